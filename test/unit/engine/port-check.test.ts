/**
 * The host-port pre-check on its own: real loopback binds by this process (the holder it must
 * name), a hand-made plan of container creates, and the fake runtime holding the project's containers.
 */
import dgram from "node:dgram";
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { PortInUseError } from "../../../src/engine/errors.js";
import { PROJECT_LABEL, SERVICE_LABEL } from "../../../src/engine/labels.js";
import { Plan, type PlanNode } from "../../../src/engine/plan.js";
import { checkHostPorts } from "../../../src/engine/port-check.js";
import { canBind, findHolder } from "../../../src/host/ports.js";
import type { PortBinding } from "../../../src/runtime/runtime.js";
import { FakeRuntime } from "../../fake-runtime.js";

const open: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of open.splice(0)) await close();
});

/** A TCP listener on 127.0.0.1 at a port the kernel picks; closed after the test. */
async function listen(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen({ host: "127.0.0.1", port: 0 }, resolve));
  open.push(() => new Promise((resolve) => server.close(() => resolve())));
  return (server.address() as net.AddressInfo).port;
}

/** `count` consecutive free TCP ports on 127.0.0.1 (bounded search). */
async function freeRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const base = 30_000 + Math.floor(Math.random() * 20_000);
    let free = true;
    for (let port = base; port < base + count && free; port++) free = await canBind("tcp", "127.0.0.1", port);
    if (free) return base;
  }
  throw new Error("no free range");
}

function create(service: string, number: number, ports: PortBinding[]): PlanNode {
  const name = `demo-${service}-${number}`;
  return {
    id: number,
    deps: [],
    resource: `container:${service}:${number}`,
    reason: "no existing container",
    op: {
      kind: "CreateContainer",
      name,
      display: name,
      copies: [],
      spec: { name, image: "busybox", labels: { [SERVICE_LABEL]: service }, ports },
    },
  };
}

function stop(container: string): PlanNode {
  return {
    id: 100,
    deps: [],
    resource: `container:${container}`,
    reason: "recreate",
    op: { kind: "StopContainer", container, display: container, recreate: true },
  };
}

/** A runtime where the project's running demo-web-1 publishes `owned`; none runs when nothing is owned. */
async function runtimeOwning(owned: PortBinding[] = []): Promise<FakeRuntime> {
  const runtime = new FakeRuntime();
  if (owned.length === 0) return runtime;
  runtime.seedImage("busybox");
  const labels = { [PROJECT_LABEL]: "demo", [SERVICE_LABEL]: "web" };
  const { id } = await runtime.containers.create({
    name: "demo-web-1",
    image: "busybox",
    labels,
    ports: owned,
  });
  await runtime.containers.start(id);
  return runtime;
}

const tcp = (hostPort: string, hostIp = "127.0.0.1"): PortBinding => ({
  containerPort: 80,
  protocol: "tcp",
  hostIp,
  hostPort,
});

describe("host-port pre-check", () => {
  it("names the service, the port and the process holding it", async () => {
    const port = await listen();
    const error = await checkHostPorts(
      await runtimeOwning(),
      "demo",
      new Plan([create("web", 1, [tcp(String(port))])]),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PortInUseError);
    expect((error as PortInUseError).message).toBe(
      `service "web": host port 127.0.0.1:${port}/tcp is already in use by node (pid ${process.pid})`,
    );
    expect((error as PortInUseError).holder).toEqual({ pid: process.pid, command: "node" });
  });

  it("a wildcard host IP clashes with a holder on 127.0.0.1 (the engine would bind 0.0.0.0)", async () => {
    const port = await listen();
    await expect(
      checkHostPorts(await runtimeOwning(), "demo", new Plan([create("web", 1, [tcp(String(port), "")])])),
    ).rejects.toThrow(`service "web": host port ${port}/tcp is already in use by node (pid ${process.pid})`);
  });

  it("skips ports the project's own running containers publish when the plan stops them (a recreate frees them)", async () => {
    const port = await listen();
    const runtime = await runtimeOwning([tcp(String(port))]);
    const web = (await runtime.containers.inspect("demo-web-1"))?.id ?? "";
    const plan = new Plan([stop(web), create("web", 1, [tcp(String(port))])]);
    await expect(checkHostPorts(runtime, "demo", plan)).resolves.toBeUndefined();
  });

  it("a container the plan keeps keeps its port: a new replica asking for it fails naming that container", async () => {
    // No process holds the port (as with the engine's userland proxy off): the kept container does.
    const port = await freeRange(1);
    const plan = new Plan([create("web", 2, [tcp(String(port))])]);
    await expect(checkHostPorts(await runtimeOwning([tcp(String(port))]), "demo", plan)).rejects.toThrow(
      `service "web": host port 127.0.0.1:${port}/tcp is already in use by this project's container demo-web-1`,
    );
    // On another address of the host the same port is free.
    const elsewhere = new Plan([create("web", 2, [tcp(String(port), "127.0.0.2")])]);
    await expect(
      checkHostPorts(await runtimeOwning([tcp(String(port))]), "demo", elsewhere),
    ).resolves.toBeUndefined();
  });

  it("fails before anything is made when more new containers publish a fixed port than it can take", async () => {
    const port = await freeRange(1);
    const two = new Plan([create("web", 1, [tcp(String(port))]), create("web", 2, [tcp(String(port))])]);
    const error = await checkHostPorts(await runtimeOwning(), "demo", two).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PortInUseError);
    expect((error as PortInUseError).message).toBe(
      `service "web": 2 new containers would publish host port 127.0.0.1:${port}/tcp`,
    );
  });

  it("passes a range while it has a usable port per new container, and fails naming a taken one", async () => {
    const low = await freeRange(3);
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen({ host: "127.0.0.1", port: low + 1 }, resolve));
    open.push(() => new Promise((resolve) => squatter.close(() => resolve())));
    const range = `${low}-${low + 2}`;
    const two = new Plan([create("web", 1, [tcp(range)]), create("web", 2, [tcp(range)])]);
    await expect(checkHostPorts(await runtimeOwning(), "demo", two)).resolves.toBeUndefined();
    const three = new Plan([...two.nodes, create("web", 3, [tcp(range)])]);
    await expect(checkHostPorts(await runtimeOwning(), "demo", three)).rejects.toThrow(
      `service "web": host port range ${range}/tcp has 2 usable ports for 3 containers; ` +
        `127.0.0.1:${low + 1}/tcp is already in use by node (pid ${process.pid})`,
    );
  });

  it("finds the holder of a UDP port, and none for a free port", async () => {
    const socket = dgram.createSocket("udp4");
    await new Promise<void>((resolve) => socket.bind({ address: "127.0.0.1", port: 0 }, resolve));
    open.push(() => new Promise((resolve) => socket.close(() => resolve())));
    const port = socket.address().port;
    expect(await canBind("udp", "127.0.0.1", port)).toBe(false);
    expect(await findHolder("udp", port)).toEqual({ pid: process.pid, command: "node" });
    const free = await freeRange(1);
    expect(await findHolder("tcp", free)).toBeUndefined();
  });
});
