/** The service a one-off runs: the command line's settings over the declared ones (Compose's applyRunOptions). */
import { describe, expect, it } from "vitest";
import { silentSink } from "../../../src/engine/events.js";
import { createOneOff, oneOffService } from "../../../src/engine/run.js";
import type { Service } from "../../../src/project/model.js";
import { FakeRuntime } from "../../fake-runtime.js";
import { load } from "./helpers.js";

const declared: Service = {
  image: "app",
  command: ["serve"],
  container_name: "fixed",
  ports: [{ mode: "ingress", target: 80, published: "8080", protocol: "tcp" }],
  environment: { A: "1", B: "2" },
  labels: { team: "web" },
  cap_add: ["NET_ADMIN", "SYS_TIME"],
  cap_drop: ["CHOWN"],
  volumes: [{ type: "volume", source: "data", target: "/data" }],
};

describe("oneOffService", () => {
  it("publishes no ports and drops container_name unless asked", () => {
    const service = oneOffService(declared, {});
    expect(service.ports).toEqual([]);
    expect(service.container_name).toBeUndefined();
    expect(service.command).toEqual(["serve"]);
    expect(service.tty).toBe(false);
    expect(service.stdin_open).toBe(false);
  });

  it("keeps the service's ports with --service-ports, and -p replaces them otherwise", () => {
    expect(oneOffService(declared, { servicePorts: true }).ports).toEqual(declared.ports);
    const p = { mode: "ingress", target: 81, protocol: "tcp" };
    expect(oneOffService(declared, { publish: [p] }).ports).toEqual([p]);
  });

  it("--entrypoint without a command drops the service's command", () => {
    expect(oneOffService(declared, { entrypoint: ["sh"] })).toMatchObject({
      entrypoint: ["sh"],
      command: [],
    });
    expect(oneOffService(declared, { entrypoint: ["sh"], command: ["-c", "x"] }).command).toEqual([
      "-c",
      "x",
    ]);
  });

  it("-e and -l are set over the service's; -v adds to its volumes", () => {
    const service = oneOffService(declared, {
      environment: { B: "3", C: "4" },
      labels: { team: "ops", x: "y" },
      volumes: [{ type: "bind", source: "/h", target: "/c" }],
    });
    expect(service.environment).toEqual({ A: "1", B: "3", C: "4" });
    expect(service.labels).toEqual({ team: "ops", x: "y" });
    expect(service.volumes?.map((v) => v.target)).toEqual(["/data", "/c"]);
  });

  it("--cap-add takes a capability out of cap_drop, --cap-drop out of cap_add", () => {
    const service = oneOffService(declared, { capAdd: ["CHOWN"], capDrop: ["SYS_TIME"] });
    expect(service.cap_add).toEqual(["NET_ADMIN", "CHOWN"]);
    expect(service.cap_drop).toEqual(["SYS_TIME"]);
  });
});

describe("createOneOff", () => {
  it("makes the one-off's network and the one-off, named and labelled as Compose's, without listing the project's containers", async () => {
    const loaded = await load(`
services:
  app:
    image: busybox
    command: ["sleep", "60"]
`);
    const runtime = new FakeRuntime();
    runtime.seedImage("busybox");
    const oneOff = await createOneOff(
      runtime,
      loaded,
      { service: "app", overrides: { command: ["true"] }, noDeps: true, slug: "a".repeat(64) },
      silentSink,
    );
    expect(oneOff).toEqual({ name: `demo-app-run-${"a".repeat(12)}`, tty: false });
    const state = await runtime.containers.inspect(oneOff.name);
    expect(state?.labels["com.docker.compose.oneoff"]).toBe("True");
    expect(state?.networks).toHaveProperty("demo_default");
    // Its preparation plans no container from the project's: they are not listed (nor inspected).
    expect(runtime.callsOf("containers.list")).toEqual([]);
  });
});
