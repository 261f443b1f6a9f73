/**
 * Reliability tests 1, 5, 8, 10, 14 and 18 of RESEARCH/reliability-anchors.md §5 on each runtime
 * backend (./orchestration/backends.ts), through the built CLI (bin/berth.js: real processes, real
 * signals, pointed at the backend by its cliEnv) with checks on the runtime's own state (inspect,
 * events, StartedAt, IDs), never on printed text alone. Cases about networks, volumes, published
 * ports or the Docker Engine's socket are registered for the backends that have them.
 *
 * Every test ends with `berth down -v` and the backend's leak check required empty; a failure
 * prints what leaked. Each project is `berth-rel-<backend>-<case>-<run id>` and every object carries
 * `berth.test=<run id>`. Waits are bounded in count and time; each test has its own time limit.
 * Run `npm run build` first: the CLI under test is the compiled one.
 */
import dgram from "node:dgram";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { afterAll, afterEach, beforeAll, describe, expect } from "vitest";
import { PROJECT_LABEL, projectFilter } from "../../src/engine/labels.js";
import type { ContainerState, Runtime, RuntimeEvent } from "../../src/runtime/runtime.js";
import { berth, type CliResult, repoRoot } from "../e2e/cli.js";
import { eventually, RUN_ID, TEST_LABEL } from "./engine.js";
import { leaks as labelledLeaks } from "./leaks.js";
import { adapt, BACKENDS, useBackend, withFeatures } from "./orchestration/backends.js";

const BIN = path.join(repoRoot, "bin", "berth.js");
const ENGINE_SOCKET = "/var/run/docker.sock";
/** Runs until SIGTERM, then exits 0 at once (a PID 1 `sleep` would ignore the signal). */
const SERVE = `["sh", "-c", "trap 'exit 0' TERM; sleep 300 & wait"]`;

// --- host ports ---------------------------------------------------------------------------------

function listenTcp(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port, exclusive: true }, () => resolve(server));
  });
}

function bindUdp(port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket("udp4");
    socket.once("error", (error) => {
      socket.close();
      reject(error);
    });
    socket.bind({ address: "127.0.0.1", port, exclusive: true }, () => resolve(socket));
  });
}

const closeServer = (server: net.Server): Promise<void> =>
  new Promise((resolve) => server.close(() => resolve()));
const closeUdp = (socket: dgram.Socket): Promise<void> =>
  new Promise((resolve) => socket.close(() => resolve()));

/** Whether a test listener can take 127.0.0.1:port now (it is let go at once). */
async function bindable(protocol: "tcp" | "udp", port: number): Promise<boolean> {
  try {
    if (protocol === "tcp") await closeServer(await listenTcp(port));
    else await closeUdp(await bindUdp(port));
    return true;
  } catch {
    return false;
  }
}

/** The first of `count` consecutive ports free for TCP and UDP on 127.0.0.1 (at most 100 tries). */
async function freeRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    let free = true;
    for (let port = base; port < base + count && free; port++) {
      free = (await bindable("tcp", port)) && (await bindable("udp", port));
    }
    if (free) return base;
  }
  throw new Error(`no ${count} consecutive free ports found`);
}

// --- a stand-in for the engine's socket that can die --------------------------------------------

/**
 * A unix-socket proxy to the real engine. With `dieAfter`, once a request line matching it has
 * been forwarded, the proxy dies (listener closed, every connection dropped) as soon as the engine
 * answers, so the engine did the work and berth never hears back: the engine killed right after
 * the call, without touching the shared dockerd.
 */
class EngineProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  /** Request lines forwarded, e.g. `POST /v1.41/networks/create`. */
  readonly requests: string[] = [];
  died = false;

  constructor(readonly socketPath: string) {}

  get host(): string {
    return `unix://${this.socketPath}`;
  }

  start(dieAfter?: RegExp): Promise<void> {
    rmSync(this.socketPath, { force: true });
    this.died = false;
    const server = net.createServer((client) => this.connect(client, dieAfter));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.socketPath, () => resolve());
    });
  }

  private connect(client: net.Socket, dieAfter: RegExp | undefined): void {
    const engine = net.connect(ENGINE_SOCKET);
    this.sockets.add(client).add(engine);
    let fatal = false;
    let tail = "";
    client.on("data", (chunk: Buffer) => {
      const text = tail + chunk.toString("latin1");
      tail = text.slice(-200);
      for (const match of text.matchAll(/(GET|POST|PUT|DELETE|HEAD) (\S+) HTTP\/1\.1/g)) {
        this.requests.push(`${match[1]} ${match[2]}`);
        if (dieAfter?.test(`${match[1]} ${match[2]}`)) fatal = true;
      }
      engine.write(chunk);
    });
    engine.on("data", (chunk: Buffer) => {
      if (fatal) this.die();
      else client.write(chunk);
    });
    client.on("end", () => engine.end());
    engine.on("end", () => client.end());
    client.on("error", () => engine.destroy());
    engine.on("error", () => client.destroy());
    client.on("close", () => this.sockets.delete(client));
    engine.on("close", () => this.sockets.delete(engine));
  }

  die(): void {
    this.died = true;
    this.server?.close();
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }
}

// --- the suite ----------------------------------------------------------------------------------

describe.each(BACKENDS)("reliability (anchors §5: 1, 5, 8, 10, 14, 18) ($name)", (backend) => {
  const suite = useBackend(backend);
  const it = suite.it;
  let runtime: Runtime;
  let image: string;
  const dirs: string[] = [];
  /** Projects of the running test, cleaned up after it whatever happened. */
  const touched = new Set<string>();

  interface Fixture {
    readonly dir: string;
    readonly project: string;
  }

  /** A directory holding `compose.yaml` (IMAGE, LABEL, SERVE replaced) for project `berth-rel-<name>-<run>`. */
  function fixture(name: string, yaml: string): Fixture {
    const project = `berth-rel-${backend.name}-${name}-${RUN_ID}`;
    const dir = mkdtempSync(path.join(os.tmpdir(), `berth-rel-${name}-`));
    const text = yaml
      .replaceAll("IMAGE", image)
      .replaceAll("LABEL", `${TEST_LABEL}: "${RUN_ID}"`)
      .replaceAll("SERVE", SERVE);
    writeFileSync(path.join(dir, "compose.yaml"), adapt(backend, `name: ${project}\n${text}`));
    dirs.push(dir);
    touched.add(project);
    return { dir, project };
  }

  /** The CLI's environment: the runtime the tests use unless `env` says otherwise. */
  function cliEnv(env: Record<string, string> = {}): Record<string, string> {
    return { ...suite.opened.cliEnv, ...env };
  }

  async function run(f: Fixture, args: readonly string[], env?: Record<string, string>): Promise<CliResult> {
    return berth(args, { cwd: f.dir, env: cliEnv(env) });
  }

  function show(result: CliResult): string {
    return `exit ${result.exitCode}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
  }

  /** The error berth ended with: the last line of stderr that is not a hint (progress lines come before). */
  function errorLine(result: CliResult): string {
    const lines = result.stderr.split("\n").filter((line) => line.trim() !== "" && !line.startsWith("hint:"));
    return lines.at(-1) ?? "";
  }

  /** The final step of every test: `down -v` exits 0 and nothing with the project label is left. */
  async function downAndCheckLeaks(f: Fixture, env?: Record<string, string>): Promise<void> {
    const down = await run(f, ["down", "-v", "-t", "0"], env);
    expect(down.exitCode, show(down)).toBe(0);
    expect(await suite.opened.leaks(f.project), `left after down -v of ${f.project}`).toEqual([]);
  }

  async function containers(project: string): Promise<ContainerState[]> {
    const listed = await runtime.containers.list({ labels: projectFilter(project), all: true });
    const states = await Promise.all(listed.map((c) => runtime.containers.inspect(c.id)));
    return states
      .filter((s): s is ContainerState => s !== undefined)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async function state(name: string): Promise<ContainerState> {
    const found = await runtime.containers.inspect(name);
    if (!found) throw new Error(`no container ${name}`);
    return found;
  }

  /** The engine's events between two instants (the stream ends at `until`), bounded to 10 s. */
  async function eventsBetween(since: Date, until: Date): Promise<RuntimeEvent[]> {
    const events: RuntimeEvent[] = [];
    const signal = AbortSignal.timeout(10_000);
    for await (const event of runtime.events(
      { since, until, types: ["container", "network", "volume"] },
      signal,
    )) {
      events.push(event);
    }
    return events;
  }

  /** Events about the project's objects: containers by label, networks and volumes by name. */
  function ofProject(
    events: readonly RuntimeEvent[],
    project: string,
    names: ReadonlySet<string>,
  ): RuntimeEvent[] {
    return events.filter((e) =>
      e.type === "container"
        ? e.attributes[PROJECT_LABEL] === project
        : names.has(e.attributes["name"] ?? "") || names.has(e.id),
    );
  }

  beforeAll(() => {
    if (backend.available) ({ runtime, image } = suite.opened);
  });

  afterEach(async () => {
    // A failed test may have left its stack: remove it, through the CLI and then directly.
    for (const project of touched) {
      await berth(["-p", project, "down", "-v", "-t", "0"], { cwd: os.tmpdir(), env: cliEnv() });
      const labels = projectFilter(project);
      for (const c of await runtime.containers.list({ labels, all: true }))
        await runtime.containers.remove(c.id, { force: true, volumes: true }).catch(() => undefined);
      for (const n of await runtime.networks.list({ labels }))
        await runtime.networks.remove(n.id).catch(() => undefined);
      for (const v of await runtime.volumes.list({ labels }))
        await runtime.volumes.remove(v.name, { force: true }).catch(() => undefined);
    }
    touched.clear();
  }, 60_000);

  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  // Its stack's networks and volume are part of what must not change.
  if (withFeatures(backend, "networks", "volumes"))
    it("1. a second `up -d` is a no-op: no create/start/destroy event, same IDs, StartedAt and networks", async () => {
      const f = fixture(
        "noop",
        `
services:
  db:
    image: IMAGE
    command: SERVE
    labels: { LABEL }
    networks: [back]
    volumes: [data:/data]
    healthcheck: { test: ["CMD", "true"], interval: 200ms, timeout: 2s, retries: 3 }
  web:
    image: IMAGE
    command: SERVE
    labels: { LABEL }
    scale: 2
    networks: [front, back]
    depends_on: { db: { condition: service_healthy } }
networks:
  front: { labels: { LABEL } }
  back: { labels: { LABEL } }
volumes:
  data: { labels: { LABEL } }
`,
      );
      const snapshot = async () => ({
        containers: (await containers(f.project)).map((c) => ({
          name: c.name,
          id: c.id,
          status: c.status,
          startedAt: c.startedAt?.toISOString(),
        })),
        networks: (await runtime.networks.list({ labels: projectFilter(f.project) }))
          .map((n) => `${n.name} ${n.id}`)
          .sort(),
        volumes: (await runtime.volumes.list({ labels: projectFilter(f.project) })).map((v) => v.name).sort(),
      });

      const beforeFirst = new Date();
      const first = await run(f, ["up", "-d"]);
      expect(first.exitCode, show(first)).toBe(0);
      const before = await snapshot();
      expect(before.containers.map((c) => `${c.name} ${c.status}`)).toEqual([
        `${f.project}-db-1 running`,
        `${f.project}-web-1 running`,
        `${f.project}-web-2 running`,
      ]);
      expect(before.networks).toHaveLength(2);
      expect(before.volumes).toEqual([`${f.project}_data`]);

      const betweenStart = new Date();
      const second = await run(f, ["up", "-d"]);
      const betweenEnd = new Date();
      expect(second.exitCode, show(second)).toBe(0);
      expect(await snapshot()).toEqual(before);

      // Lifecycle events only: the healthcheck's exec chatter and health events go on regardless.
      const lifecycle =
        /^(create|start|restart|stop|die|kill|destroy|rename|update|pause|unpause|connect|disconnect|mount|unmount|remove)$/;
      const names = new Set([`${f.project}_front`, `${f.project}_back`, `${f.project}_data`]);
      const during = ofProject(await eventsBetween(betweenStart, betweenEnd), f.project, names).filter((e) =>
        lifecycle.test(e.action),
      );
      expect(during.map((e) => `${e.type} ${e.action} ${e.attributes["name"] ?? e.id}`)).toEqual([]);

      // The same query does see the first run's work, so the empty answer above means something.
      const firstRun = ofProject(await eventsBetween(beforeFirst, betweenStart), f.project, names);
      const seen = new Set(firstRun.map((e) => `${e.type} ${e.action} ${e.attributes["name"] ?? e.id}`));
      for (const c of before.containers) {
        expect(seen).toContain(`container create ${c.name}`);
        expect(seen).toContain(`container start ${c.name}`);
      }
      expect(seen).toContain(`network create ${f.project}_front`);

      await downAndCheckLeaks(f);
    }, 60_000);

  // The second Ctrl-C's kill lands while the first one's stop waits out its grace period.
  if (withFeatures(backend, "kill-during-stop"))
    it("5. Ctrl-C stops the named services gracefully, a second Ctrl-C kills within 2 s; exit 130; dependencies keep running", async () => {
      const f = fixture(
        "ctrlc",
        `
services:
  dep: { image: IMAGE, command: SERVE, labels: { LABEL } }
  stubborn:
    image: IMAGE
    labels: { LABEL }
    # PID 1 ignoring SIGTERM: only a kill ends it.
    command: ["sh", "-c", "trap '' TERM; echo stubborn ready; while true; do sleep 1; done"]
    stop_grace_period: 30s
    depends_on: [dep]
  polite:
    image: IMAGE
    labels: { LABEL }
    command: ["sh", "-c", "trap 'exit 143' TERM; echo polite ready; sleep 300 & wait"]
    depends_on: [dep]
`,
      );
      // A new process group, as a terminal gives a foreground job; Ctrl-C signals the whole group.
      const child = execa(process.execPath, [BIN, "up", "stubborn", "polite"], {
        cwd: f.dir,
        env: {
          PATH: process.env["PATH"] ?? "/usr/bin:/bin",
          HOME: process.env["HOME"] ?? "/root",
          ...cliEnv(),
        },
        extendEnv: false,
        detached: true,
        reject: false,
        timeout: 90_000,
      });
      let out = "";
      const collect = (chunk: Buffer): void => {
        out += chunk.toString();
      };
      child.stdout?.on("data", collect);
      child.stderr?.on("data", collect);
      const pid = child.pid;
      if (pid === undefined) throw new Error("berth up did not start");
      const ctrlC = (): void => {
        process.kill(-pid, "SIGINT");
      };
      try {
        await eventually(async () => {
          expect(out).toContain("stubborn ready");
          expect(out).toContain("polite ready");
        }, 30_000);
        const c = (service: string) => `${f.project}-${service}-1`;
        for (const service of ["dep", "stubborn", "polite"])
          expect((await state(c(service))).status).toBe("running");

        // First Ctrl-C: a graceful stop of the services named on the command line.
        ctrlC();
        await eventually(async () => {
          const polite = await state(c("polite"));
          expect([polite.status, polite.exitCode]).toEqual(["exited", 143]);
        }, 10_000);
        expect(out).toContain("Gracefully stopping...");
        await sleep(1_000);
        expect((await state(c("stubborn"))).status, "SIGTERM is ignored: still in its grace period").toBe(
          "running",
        );
        expect(child.exitCode, "berth waits for the graceful stop").toBeNull();

        // Second Ctrl-C within the grace period: kill.
        const secondAt = Date.now();
        ctrlC();
        const result = await child;
        const exitedAfter = Date.now() - secondAt;
        expect(result.exitCode, out).toBe(130);
        expect(exitedAfter).toBeLessThan(5_000);
        const stubborn = await state(c("stubborn"));
        expect([stubborn.status, stubborn.exitCode]).toEqual(["exited", 137]);
        expect((stubborn.finishedAt?.getTime() ?? Infinity) - secondAt).toBeLessThan(2_000);
        // Not named on the command line: left running, as Compose leaves it (docker/compose#9701).
        expect((await state(c("dep"))).status).toBe("running");
      } finally {
        if (child.exitCode === null) process.kill(-pid, "SIGKILL");
        await child.catch(() => undefined);
      }

      await downAndCheckLeaks(f);
    }, 90_000);

  if (withFeatures(backend, "networks", "volumes", "ports"))
    it("8. `down -v` removes 3 services x 2 replicas, 2 networks, a volume, and frees every published port", async () => {
      const base = await freeRange(6);
      const range = (from: number) => `${from}-${from + 1}`;
      const f = fixture(
        "down",
        `
services:
  web:
    { image: IMAGE, command: SERVE, labels: { LABEL }, scale: 2, networks: [front], ports: ["127.0.0.1:${range(base)}:80"] }
  api:
    image: IMAGE
    command: SERVE
    labels: { LABEL }
    scale: 2
    networks: [front, back]
    volumes: [data:/data]
    ports: ["127.0.0.1:${range(base + 2)}:8080"]
  db:
    image: IMAGE
    command: SERVE
    labels: { LABEL }
    scale: 2
    networks: [back]
    volumes: [data:/data]
    ports: ["127.0.0.1:${range(base + 4)}:5353/udp"]
networks:
  front: { labels: { LABEL } }
  back: { labels: { LABEL } }
volumes:
  data: { labels: { LABEL } }
`,
      );
      const up = await run(f, ["up", "-d"]);
      expect(up.exitCode, show(up)).toBe(0);
      const running = await containers(f.project);
      expect(running.map((c) => `${c.name} ${c.status}`)).toEqual(
        ["api-1", "api-2", "db-1", "db-2", "web-1", "web-2"].map((n) => `${f.project}-${n} running`),
      );
      // What carries the project's label (native's host checks come after down).
      expect(await labelledLeaks(runtime, f.project)).toHaveLength(6 + 2 + 1);
      const published = running
        .flatMap((c) => c.ports.map((p) => ({ protocol: p.protocol, port: Number(p.hostPort) })))
        .sort((a, b) => a.port - b.port);
      expect(published).toEqual([
        ...[0, 1, 2, 3].map((i) => ({ protocol: "tcp", port: base + i })),
        ...[4, 5].map((i) => ({ protocol: "udp", port: base + i })),
      ]);
      // While the stack runs the engine holds every one of them, so the check after `down` can fail.
      for (const { protocol, port } of published) {
        expect(await bindable(protocol === "udp" ? "udp" : "tcp", port), `${protocol}/${port} while up`).toBe(
          false,
        );
      }

      await downAndCheckLeaks(f);
      for (const { protocol, port } of published) {
        expect(
          await bindable(protocol === "udp" ? "udp" : "tcp", port),
          `${protocol}/${port} after down`,
        ).toBe(true);
      }
    }, 90_000);

  if (withFeatures(backend, "ports"))
    it("10. a host port clash fails before anything is created, naming service, port and holder; a range serves 5 replicas", async () => {
      const port = await freeRange(1);
      const f = fixture(
        "clash",
        `
services:
  web: { image: IMAGE, command: SERVE, labels: { LABEL }, ports: ["127.0.0.1:${port}:80"] }
  side: { image: IMAGE, command: SERVE, labels: { LABEL } }
`,
      );
      // Step: the port is taken by this test process: refused before any container or network exists.
      const holder = await listenTcp(port);
      try {
        const clash = await run(f, ["up", "-d"]);
        expect(clash.exitCode, show(clash)).toBe(1);
        expect(clash.stderr).toContain(
          `service "web": host port 127.0.0.1:${port}/tcp is already in use by node (pid ${process.pid})`,
        );
        expect(clash.stderr).not.toMatch(/\n\s+at /);
        expect(await suite.opened.leaks(f.project), "nothing may be created when a port is taken").toEqual(
          [],
        );
      } finally {
        await closeServer(holder);
      }
      // Step: with the port free again the same command converges.
      const again = await run(f, ["up", "-d"]);
      expect(again.exitCode, show(again)).toBe(0);
      const web = await state(`${f.project}-web-1`);
      expect(web.status).toBe("running");
      expect(web.ports.map((p) => p.hostPort)).toEqual([String(port)]);
      expect((await state(`${f.project}-side-1`)).status).toBe("running");
      await downAndCheckLeaks(f);

      // Step: a fixed host port on a service with 2 replicas is refused before anything is created.
      const fixed = fixture(
        "fixed",
        `
services:
  web: { image: IMAGE, command: SERVE, labels: { LABEL }, scale: 2, ports: ["127.0.0.1:${port}:80"] }
`,
      );
      const refused = await run(fixed, ["up", "-d"]);
      expect(refused.exitCode, show(refused)).toBe(1);
      expect(refused.stderr).toContain(
        `service "web" has 2 replicas but publishes the fixed host port ${port}`,
      );
      expect(await suite.opened.leaks(fixed.project)).toEqual([]);
      await downAndCheckLeaks(fixed);

      // Step: a range of 5 ports for 5 replicas; one of them taken first, then freed.
      const low = await freeRange(5);
      const ranged = fixture(
        "range",
        `
services:
  web: { image: IMAGE, command: SERVE, labels: { LABEL }, scale: 5, ports: ["127.0.0.1:${low}-${low + 4}:80"] }
`,
      );
      const squatter = await listenTcp(low + 4);
      try {
        const short = await run(ranged, ["up", "-d"]);
        expect(short.exitCode, show(short)).toBe(1);
        expect(short.stderr).toContain(
          `service "web": host port range ${low}-${low + 4}/tcp has 4 usable ports for 5`,
        );
        expect(short.stderr).toContain(
          `127.0.0.1:${low + 4}/tcp is already in use by node (pid ${process.pid})`,
        );
        expect(await suite.opened.leaks(ranged.project)).toEqual([]);
      } finally {
        await closeServer(squatter);
      }
      const five = await run(ranged, ["up", "-d"]);
      expect(five.exitCode, show(five)).toBe(0);
      const replicas = await containers(ranged.project);
      expect(replicas.map((c) => c.status)).toEqual(Array(5).fill("running"));
      expect(replicas.map((c) => Number(c.ports[0]?.hostPort)).sort()).toEqual(
        [0, 1, 2, 3, 4].map((i) => low + i),
      );
      // Rerun: the project's own ports are not a clash, and nothing changes.
      const rerun = await run(ranged, ["up", "-d"]);
      expect(rerun.exitCode, show(rerun)).toBe(0);
      expect((await containers(ranged.project)).map((c) => c.id)).toEqual(replicas.map((c) => c.id));
      await downAndCheckLeaks(ranged);
    }, 120_000);

  it("14a. a dependent starts only after its dependency's first healthy probe (~2 s in)", async () => {
    const f = fixture(
      "healthy",
      `
services:
  db:
    image: IMAGE
    labels: { LABEL }
    command: ["sh", "-c", "sleep 2; touch /tmp/ready; trap 'exit 0' TERM; sleep 300 & wait"]
    healthcheck: { test: ["CMD", "cat", "/tmp/ready"], interval: 200ms, timeout: 2s, retries: 50 }
  app:
    image: IMAGE
    command: SERVE
    labels: { LABEL }
    depends_on: { db: { condition: service_healthy } }
`,
    );
    const since = new Date();
    const up = await run(f, ["up", "-d"]);
    expect(up.exitCode, show(up)).toBe(0);
    const events = ofProject(await eventsBetween(since, new Date()), f.project, new Set());
    const when = (name: string, happened: (e: RuntimeEvent) => boolean, what: string): number => {
      const found = events.find((e) => e.attributes["name"] === `${f.project}-${name}` && happened(e));
      if (!found) throw new Error(`no ${what} event for ${name}`);
      return found.time.getTime();
    };
    const started = (e: RuntimeEvent) => e.action === "start";
    const dbStart = when("db-1", started, "start");
    const healthy = when("db-1", (e) => e.action === "health" && e.health === "healthy", "healthy");
    const appStart = when("app-1", started, "start");
    expect(healthy - dbStart).toBeGreaterThanOrEqual(1_800);
    expect(appStart).toBeGreaterThanOrEqual(healthy);
    expect((await state(`${f.project}-app-1`)).status).toBe("running");
    await downAndCheckLeaks(f);
  }, 60_000);

  it("14b. a never-healthy dependency fails `up` within retries*interval + 2 s; the dependent stays created", async () => {
    const f = fixture(
      "unhealthy",
      `
services:
  bad:
    image: IMAGE
    command: SERVE
    labels: { LABEL }
    healthcheck: { test: ["CMD", "false"], interval: 1s, timeout: 1s, retries: 3 }
  app:
    image: IMAGE
    command: SERVE
    labels: { LABEL }
    depends_on: { bad: { condition: service_healthy } }
`,
    );
    const up = await run(f, ["up", "-d"]);
    const exitedAt = Date.now();
    expect(up.exitCode, show(up)).toBe(1);
    expect(errorLine(up), show(up)).toBe(
      `dependency failed to start: container ${f.project}-bad-1 is unhealthy`,
    );
    expect(up.stderr).not.toMatch(/\n\s+at /);
    const bad = await state(`${f.project}-bad-1`);
    expect(exitedAt - (bad.startedAt?.getTime() ?? 0)).toBeLessThan(3 * 1_000 + 2_000);
    expect((await state(`${f.project}-app-1`)).status).toBe("created");
    await downAndCheckLeaks(f);
  }, 60_000);

  it("14c. a dependency that exits 1 fails `up` with Compose's `exited (1)` message", async () => {
    const f = fixture(
      "exits",
      `
services:
  dep:
    image: IMAGE
    labels: { LABEL }
    command: ["sh", "-c", "sleep 1; exit 1"]
    healthcheck: { test: ["CMD", "true"], interval: 30s }
  app:
    image: IMAGE
    command: SERVE
    labels: { LABEL }
    depends_on: { dep: { condition: service_healthy } }
`,
    );
    const started = Date.now();
    const up = await run(f, ["up", "-d"]);
    expect(up.exitCode, show(up)).toBe(1);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(errorLine(up), show(up)).toBe(
      `dependency failed to start: container ${f.project}-dep-1 exited (1)`,
    );
    expect((await state(`${f.project}-app-1`)).status).toBe("created");
    await downAndCheckLeaks(f);
  }, 60_000);

  it("14d. `up -d --wait --wait-timeout 3` on a never-healthy service fails in under 6 s", async () => {
    const f = fixture(
      "waittimeout",
      `
services:
  slow:
    image: IMAGE
    command: SERVE
    labels: { LABEL }
    # Failures inside start_period do not count: it stays "starting".
    healthcheck: { test: ["CMD", "false"], interval: 1s, start_period: 60s }
`,
    );
    const started = Date.now();
    const up = await run(f, ["up", "-d", "--wait", "--wait-timeout", "3"]);
    const took = Date.now() - started;
    expect(up.exitCode, show(up)).toBe(1);
    expect(errorLine(up), show(up)).toBe("application not healthy after 3s");
    expect(took).toBeLessThan(6_000);
    expect((await state(`${f.project}-slow-1`)).health).toBe("starting");
    await downAndCheckLeaks(f);
  }, 60_000);

  // Through DOCKER_HOST and a proxy in front of the engine's socket.
  if (withFeatures(backend, "engine-api"))
    it("18. a dead engine gives one line naming the socket in < 5 s; an engine lost mid-`up` converges on the next `up`", async () => {
      const f = fixture(
        "dead",
        `
services:
  a: { image: IMAGE, command: SERVE, labels: { LABEL } }
  b: { image: IMAGE, command: SERVE, labels: { LABEL }, depends_on: [a] }
networks:
  default: { labels: { LABEL } }
`,
      );
      const oneLine = (result: CliResult, where: string): void => {
        expect(result.exitCode, show(result)).toBe(1);
        const lines = result.stderr
          .split("\n")
          .filter((line) => line.trim() !== "" && !line.startsWith("hint:"));
        expect(lines, show(result)).toHaveLength(1);
        expect(lines[0]).toContain(where);
        expect(result.stderr).not.toMatch(/\n\s+at |internal error/);
      };

      // Step: nobody listens on the socket, then on the TCP port.
      const none = `unix:///tmp/berth-none-${RUN_ID}.sock`;
      let started = Date.now();
      oneLine(await run(f, ["up", "-d"], { DOCKER_HOST: none }), none);
      expect(Date.now() - started).toBeLessThan(5_000);
      const closed = await freeRange(1);
      started = Date.now();
      oneLine(
        await run(f, ["up", "-d"], { DOCKER_HOST: `tcp://127.0.0.1:${closed}` }),
        `tcp://127.0.0.1:${closed}`,
      );
      expect(Date.now() - started).toBeLessThan(5_000);

      // Step: the engine dies right after it created the network (berth never gets the answer).
      const proxy = new EngineProxy(path.join(os.tmpdir(), `berth-proxy-${RUN_ID}.sock`));
      try {
        await proxy.start(/^POST \S*\/networks\/create$/);
        started = Date.now();
        const lost = await run(f, ["up", "-d"], { DOCKER_HOST: proxy.host });
        expect(proxy.died, `the proxy saw: ${proxy.requests.join(", ")}`).toBe(true);
        expect(lost.exitCode, show(lost)).toBe(1);
        expect(errorLine(lost), show(lost)).toBe(
          `cannot create network ${f.project}_default: ` +
            `lost the connection to the Docker engine at ${proxy.host}: socket hang up`,
        );
        expect(lost.stderr).not.toMatch(/\n\s+at |internal error/);
        expect(Date.now() - started).toBeLessThan(5_000);
        const orphaned = await runtime.networks.list({ labels: projectFilter(f.project) });
        expect(
          orphaned.map((n) => n.name),
          "the engine made the network",
        ).toEqual([`${f.project}_default`]);

        // Step: the engine is back; `up -d` adopts the network and converges.
        await proxy.start();
        const again = await run(f, ["up", "-d"], { DOCKER_HOST: proxy.host });
        expect(again.exitCode, show(again)).toBe(0);
        expect((await containers(f.project)).map((c) => `${c.name} ${c.status}`)).toEqual([
          `${f.project}-a-1 running`,
          `${f.project}-b-1 running`,
        ]);
        const networks = await runtime.networks.list({ labels: projectFilter(f.project) });
        expect(
          networks.map((n) => n.id),
          "no second network",
        ).toEqual(orphaned.map((n) => n.id));
        await downAndCheckLeaks(f, { DOCKER_HOST: proxy.host });
      } finally {
        proxy.die();
        rmSync(proxy.socketPath, { force: true });
      }
    }, 60_000);
});
