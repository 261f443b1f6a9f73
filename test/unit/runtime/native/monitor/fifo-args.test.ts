/**
 * conmon's arguments for FIFO stdio (docs/native-monitor.md): passthrough instead of a k8s-file log,
 * runc's own errors to a file in the bundle (its stderr is the container's), no attach socket,
 * no size limit of conmon's (the drainer rotates).
 */
import { describe, expect, it } from "vitest";
import { monitorArgs, runcLogFile } from "../../../../../src/runtime/native/containers/monitor.js";

const options = {
  id: "a".repeat(64),
  uuid: "aaaaaaaaaaaa",
  name: "web-1",
  runcPath: "/usr/sbin/runc",
  runcArgs: ["--root", "/run/berth/native/runc"],
  bundle: "/run/b",
  pidFile: "/run/b/pid",
  logPath: "/var/lib/berth/containers/x/container.log",
  exitDir: "/run/berth/native/exits",
  socketDir: "/run/berth/native/sockets",
  conmonPidFile: "/run/b/conmon.pid",
  tty: false,
  stdin: false,
  leaveStdinOpen: false,
  logSizeMax: 1024,
};

describe("conmon with FIFO stdio", () => {
  it("passes the container's stdio through, runc's errors to the bundle, with no socket or size limit", () => {
    const args = monitorArgs({ ...options, fifos: { stdout: 10, stderr: 11 } });
    expect(args[args.indexOf("--log-path") + 1]).toBe("passthrough");
    expect(args.join(" ")).toContain(
      `--runtime-arg --root --runtime-arg /run/berth/native/runc --runtime-arg --log --runtime-arg ${runcLogFile("/run/b")}`,
    );
    for (const absent of ["--socket-dir-path", "--log-size-max", "--terminal", "--stdin"])
      expect(args).not.toContain(absent);
    expect(args).toContain("--exit-dir");
  });

  it("keeps conmon's own log and socket without it", () => {
    const args = monitorArgs(options);
    expect(args).toContain(`k8s-file:${options.logPath}`);
    expect(args).toContain("--socket-dir-path");
    expect(args.join(" ")).not.toContain("runc-create.log");
  });
});
