/** docker import --change instructions applied to an image config, as Docker's builder applies them. */
import { describe, expect, it } from "vitest";
import { applyChanges } from "../../../../../src/runtime/native/images/changes.js";

describe("import changes", () => {
  it("applies exec and shell forms, env, labels, ports, volumes, workdir, user and stop signal", () => {
    const config = applyChanges({ Env: ["A=0"] }, [
      'CMD ["/bin/sh", "-c", "sleep 1"]',
      'ENV A=1 B="two words"',
      "ENV C three four",
      'LABEL com.example=x "other label"=y',
      "EXPOSE 80 53/udp 8000-8001",
      "VOLUME /data /cache",
      "WORKDIR /srv",
      "WORKDIR app",
      "USER nobody:nogroup",
      "STOPSIGNAL SIGINT",
    ]);
    expect(config).toEqual({
      Cmd: ["/bin/sh", "-c", "sleep 1"],
      Env: ["A=1", "B=two words", "C=three four"],
      Labels: { "com.example": "x", "other label": "y" },
      ExposedPorts: { "80/tcp": {}, "53/udp": {}, "8000/tcp": {}, "8001/tcp": {} },
      Volumes: { "/data": {}, "/cache": {} },
      WorkingDir: "/srv/app",
      User: "nobody:nogroup",
      StopSignal: "SIGINT",
    });
  });

  it("runs the shell form through /bin/sh -c; ENTRYPOINT clears an inherited CMD but not one set before it", () => {
    expect(applyChanges({ Cmd: ["old"] }, ["ENTRYPOINT top -b"])).toEqual({
      Cmd: null,
      Entrypoint: ["/bin/sh", "-c", "top -b"],
    });
    expect(applyChanges({}, ["CMD x", 'ENTRYPOINT ["/e"]'])).toEqual({
      Cmd: ["/bin/sh", "-c", "x"],
      Entrypoint: ["/e"],
    });
  });

  it("refuses an instruction docker import does not take, naming it", () => {
    expect(() => applyChanges({}, ["RUN make"])).toThrow(/RUN is not a valid change command/);
    expect(() => applyChanges({}, ["EXPOSE eighty"])).toThrow(/EXPOSE "eighty"/);
  });
});
