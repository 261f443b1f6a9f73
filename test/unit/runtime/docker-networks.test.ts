/**
 * The Docker backend's network removal against a scripted engine on a real unix socket: Docker
 * 20.10 sometimes refuses to remove a network with no container attached ("has active endpoints",
 * a stale endpoint count), which the backend retries a few times before saying so.
 */
import http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createDockerRuntime } from "../../../src/runtime/docker/docker-runtime.js";
import { ConflictError } from "../../../src/runtime/errors.js";

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

/** An engine whose DELETE of network `demo_default` is refused; GET shows `attached` on it. */
async function refusingEngine(attached: Record<string, { Name: string }>): Promise<{
  host: string;
  deletes: () => number;
}> {
  const dir = mkdtempSync(path.join(tmpdir(), "berth-networks-"));
  const socketPath = path.join(dir, "engine.sock");
  let deletes = 0;
  const server = http.createServer((req, res) => {
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method === "DELETE" && req.url === "/v1.41/networks/demo_default") {
      deletes++;
      return json(403, {
        message: "error while removing network: network demo_default id 1234 has active endpoints",
      });
    }
    if (req.method === "GET" && req.url === "/v1.41/networks/demo_default") {
      return json(200, { Id: "1234", Name: "demo_default", Driver: "bridge", Containers: attached });
    }
    json(404, { message: `no route ${req.method} ${req.url}` });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  closers.push(() => {
    server.close();
    server.closeAllConnections();
    rmSync(dir, { recursive: true, force: true });
  });
  return { host: `unix://${socketPath}`, deletes: () => deletes };
}

describe("DockerNetworks.remove", () => {
  it("retries a refusal while no container is attached, then says it is the engine's stale count", async () => {
    const engine = await refusingEngine({});
    const runtime = createDockerRuntime({ host: engine.host, env: { DOCKER_API_VERSION: "1.41" } });
    const error = await runtime.networks.remove("demo_default").catch((e: unknown) => e);
    await runtime.close();
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toMatch(/lists no container on it .*moby\/moby#43286/);
    expect(engine.deletes()).toBe(3);
  });

  it("gives up at once when a container is attached: the network is in use", async () => {
    const engine = await refusingEngine({ abc: { Name: "demo-web-1" } });
    const runtime = createDockerRuntime({ host: engine.host, env: { DOCKER_API_VERSION: "1.41" } });
    const error = await runtime.networks.remove("demo_default").catch((e: unknown) => e);
    await runtime.close();
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toMatch(/has active endpoints/);
    expect(engine.deletes()).toBe(1);
  });
});
