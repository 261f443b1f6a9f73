/**
 * The engine (up, down, scale) on each runtime backend (./orchestration/backends.ts): the same cases
 * on Docker and on native, where a case needing what a backend lacks (networks, volumes) is
 * registered for the backends that have it. Each test brings up its own project
 * (`berth-it-<backend>-<run>-<n>`), every object it makes carries `berth.test=<run id>`, and after
 * each test `down -v` runs and nothing of the project may be left (the backend's leak check). Waits
 * are bounded and every test has its own time limit. Checks read real state (container IDs, names,
 * labels, event times), not printed text.
 *
 * Docker without an engine, and native without root, runc and conmon, are skipped (failing under
 * CI=true): see ./engine.ts and ./orchestration/backends.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect } from "vitest";
import { containerSpecFor } from "../../src/engine/container-spec.js";
import { type EngineEvent, recordingSink } from "../../src/engine/events.js";
import { down, EngineError, ps, restart, scale, up } from "../../src/engine/index.js";
import { withProjectLock } from "../../src/engine/project-lock.js";
import { replacementName } from "../../src/engine/names.js";
import { networkSpec } from "../../src/engine/desired.js";
import { loadProject, type LoadedProject } from "../../src/project/load.js";
import type { ContainerSummary, Runtime } from "../../src/runtime/runtime.js";
import { eventually, RUN_ID, TEST_LABEL } from "./engine.js";
import { leaks as labelledLeaks } from "./leaks.js";
import { adapt, BACKENDS, useBackend, withFeatures } from "./orchestration/backends.js";

/** A long-running process that exits at once on SIGTERM (a PID 1 `sleep` would ignore it). */
const SERVE = `["sh", "-c", "trap 'exit 0' TERM; sleep 300 & wait"]`;
const HEALTHY = `{ test: ["CMD", "true"], interval: 200ms, timeout: 2s, retries: 3 }`;

/** The time of the first event matching, or fail naming what was looked for. */
function at(events: readonly EngineEvent[], id: string, status: EngineEvent["status"]): number {
  const found = events.find((e) => e.id === id && e.status === status);
  if (!found) throw new Error(`no ${status} event for ${id}`);
  return found.at;
}

describe.each(BACKENDS)("engine: up, down and scale ($name)", (backend) => {
  const suite = useBackend(backend);
  const it = suite.it;
  let runtime: Runtime;
  let image: string;
  let counter = 0;
  const dirs: string[] = [];
  const projects = new Set<string>();

  function newProject(): string {
    const name = `berth-it-${backend.name}-${RUN_ID}-${++counter}`;
    projects.add(name);
    return name;
  }

  /** Writes `yaml` (with `IMAGE` and `LABEL` replaced, adapted to the backend) and loads it as `name`. */
  async function load(name: string, yaml: string): Promise<LoadedProject> {
    const dir = mkdtempSync(path.join(os.tmpdir(), "berth-engine-it-"));
    dirs.push(dir);
    const text = yaml.replaceAll("IMAGE", image).replaceAll("LABEL", `${TEST_LABEL}: "${RUN_ID}"`);
    writeFileSync(path.join(dir, "compose.yaml"), adapt(backend, text));
    return loadProject({ cwd: dir, env: {}, projectName: name });
  }

  async function idsByName(project: string): Promise<Record<string, string>> {
    const all = await ps(runtime, project, { all: true });
    return Object.fromEntries(all.map((c) => [c.name, c.id]));
  }

  function leaks(project: string): Promise<string[]> {
    return suite.opened.leaks(project);
  }

  beforeAll(() => {
    if (backend.available) ({ runtime, image } = suite.opened);
  });

  afterEach(async () => {
    const problems: string[] = [];
    for (const project of projects) {
      await down(
        runtime,
        project,
        undefined,
        { volumes: true, removeOrphans: true, timeoutS: 1 },
        recordingSink(),
      );
      problems.push(...(await leaks(project)));
    }
    projects.clear();
    expect(problems, "objects left of the project after down -v").toEqual([]);
  }, 60_000);

  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it("brings a 6-service stack up in dependency order, independent services at the same time", async () => {
    const name = newProject();
    const loaded = await load(
      name,
      `
x-service: &service
  image: IMAGE
  command: ${SERVE}
  labels: { LABEL }
services:
  db: { <<: *service, healthcheck: ${HEALTHY} }
  cache: { <<: *service, healthcheck: ${HEALTHY} }
  api:
    <<: *service
    healthcheck: ${HEALTHY}
    depends_on: { db: { condition: service_healthy }, cache: { condition: service_healthy } }
  worker:
    <<: *service
    depends_on: { db: { condition: service_healthy } }
  web:
    <<: *service
    depends_on: { api: { condition: service_healthy } }
  proxy:
    <<: *service
    depends_on: [web]
networks:
  default: { labels: { LABEL } }
`,
    );
    const sink = recordingSink();
    const started = Date.now();
    const result = await up(runtime, loaded, {}, sink);
    expect(Date.now() - started).toBeLessThan(30_000);

    const c = (service: string) => `${name}-${service}-1`;
    const events = sink.events;
    // Dependencies first: a dependent starts only after its condition held.
    expect(at(events, c("api"), "Starting")).toBeGreaterThanOrEqual(at(events, c("db"), "Healthy"));
    expect(at(events, c("api"), "Starting")).toBeGreaterThanOrEqual(at(events, c("cache"), "Healthy"));
    expect(at(events, c("worker"), "Starting")).toBeGreaterThanOrEqual(at(events, c("db"), "Healthy"));
    expect(at(events, c("web"), "Starting")).toBeGreaterThanOrEqual(at(events, c("api"), "Healthy"));
    expect(at(events, c("proxy"), "Starting")).toBeGreaterThanOrEqual(at(events, c("web"), "Started"));
    // Independent services overlap: db and cache each start before the other is healthy.
    expect(at(events, c("db"), "Starting")).toBeLessThan(at(events, c("cache"), "Healthy"));
    expect(at(events, c("cache"), "Starting")).toBeLessThan(at(events, c("db"), "Healthy"));
    // ... and so do worker and api, both waiting only on db (and cache).
    expect(at(events, c("worker"), "Starting")).toBeLessThan(at(events, c("api"), "Healthy"));

    expect(result.containers.map((x) => `${x.name} ${x.status}`)).toEqual(
      ["api", "cache", "db", "proxy", "web", "worker"].map((s) => `${c(s)} running`),
    );
    expect(events.filter((e) => e.status === "Error")).toEqual([]);

    // A second up changes nothing: no container operation planned, the same containers running.
    const before = await idsByName(name);
    const again = recordingSink();
    const second = await up(runtime, loaded, {}, again);
    expect(second.plan.containerOperations()).toEqual([]);
    expect(second.plan.toString()).not.toMatch(/Container/);
    expect(await idsByName(name)).toEqual(before);
    expect(
      again.events
        .filter((e) => e.status === "Running")
        .map((e) => e.id)
        .sort(),
    ).toEqual(Object.keys(before).sort());
  }, 90_000);

  it("an environment change recreates only that service, leaving no temporary container", async () => {
    const name = newProject();
    const yaml = (mode: string) => `
services:
  a: { image: IMAGE, command: ${SERVE}, labels: { LABEL } }
  b: { image: IMAGE, command: ${SERVE}, labels: { LABEL }, environment: { MODE: ${mode} }, depends_on: [a] }
  c: { image: IMAGE, command: ${SERVE}, labels: { LABEL }, depends_on: [b] }
networks:
  default: { labels: { LABEL } }
`;
    await up(runtime, await load(name, yaml("one")), {}, recordingSink());
    const before = await idsByName(name);

    const sink = recordingSink();
    const result = await up(runtime, await load(name, yaml("two")), {}, sink);
    const after = await idsByName(name);
    expect(Object.keys(after).sort()).toEqual([`${name}-a-1`, `${name}-b-1`, `${name}-c-1`]);
    expect(after[`${name}-a-1`]).toBe(before[`${name}-a-1`]);
    expect(after[`${name}-c-1`]).toBe(before[`${name}-c-1`]);
    expect(after[`${name}-b-1`]).not.toBe(before[`${name}-b-1`]);
    expect(new Set(result.plan.containerOperations().map((n) => n.resource))).toEqual(
      new Set(["container:b:1"]),
    );
    expect(sink.events.some((e) => e.id === `${name}-b-1` && e.status === "Recreated")).toBe(true);
    const b = await runtime.containers.inspect(`${name}-b-1`);
    expect(b?.running).toBe(true);
    // The slot it took over, as Compose 2.x labels a replacement (not the old container's ID).
    expect(b?.labels["com.docker.compose.replace"]).toBe("b-1");
  }, 60_000);

  it("scales to 3 replicas and back to 1, keeping replica 1", async () => {
    const name = newProject();
    const loaded = await load(
      name,
      `
services:
  web: { image: IMAGE, command: ${SERVE}, labels: { LABEL } }
networks:
  default: { labels: { LABEL } }
`,
    );
    await up(runtime, loaded, {}, recordingSink());
    const first = (await idsByName(name))[`${name}-web-1`];

    await scale(runtime, loaded, { web: 3 }, recordingSink());
    const three = await ps(runtime, name);
    expect(three.map((c) => c.name)).toEqual([`${name}-web-1`, `${name}-web-2`, `${name}-web-3`]);
    expect(three[0]?.id).toBe(first);

    await scale(runtime, loaded, { web: 1 }, recordingSink());
    const one = await ps(runtime, name, { all: true });
    expect(one.map((c) => `${c.name} ${c.id}`)).toEqual([`${name}-web-1 ${first}`]);
  }, 60_000);

  // Networks and volumes are what it checks.
  if (withFeatures(backend, "networks", "volumes"))
    it("down -v removes containers, networks, named and anonymous volumes", async () => {
      const name = newProject();
      const loaded = await load(
        name,
        `
services:
  app:
    image: IMAGE
    command: ${SERVE}
    labels: { LABEL }
    volumes: [data:/data, /scratch]
    networks: [front, back]
networks:
  front: { labels: { LABEL } }
  back: { labels: { LABEL } }
volumes:
  data: { labels: { LABEL } }
`,
      );
      await up(runtime, loaded, {}, recordingSink());
      const app = await runtime.containers.inspect(`${name}-app-1`);
      const anonymous = app?.mounts.find((m) => m.target === "/scratch")?.name;
      expect(anonymous).toMatch(/^[0-9a-f]{64}$/);
      // A container, two networks, a volume (what carries the label; native's host checks come after down).
      expect(await labelledLeaks(runtime, name)).toHaveLength(4);

      const sink = recordingSink();
      await down(runtime, name, loaded, { volumes: true, timeoutS: 1 }, sink);
      expect(await leaks(name)).toEqual([]);
      expect(await runtime.volumes.inspect(anonymous ?? "")).toBeUndefined();
      expect(
        sink.events
          .filter((e) => e.status === "Removed")
          .map((e) => `${e.resource} ${e.id}`)
          .sort(),
      ).toEqual(
        [
          `container ${name}-app-1`,
          `network ${name}_back`,
          `network ${name}_front`,
          `volume ${name}_data`,
        ].sort(),
      );
    }, 60_000);

  it("warns about orphans and removes them only with removeOrphans", async () => {
    const name = newProject();
    const both = `
services:
  keep: { image: IMAGE, command: ${SERVE}, labels: { LABEL } }
  gone: { image: IMAGE, command: ${SERVE}, labels: { LABEL } }
networks:
  default: { labels: { LABEL } }
`;
    await up(runtime, await load(name, both), {}, recordingSink());
    const onlyKeep = await load(name, both.replace(/ {2}gone:.*\n/, ""));
    expect(Object.keys(onlyKeep.project.services)).toEqual(["keep"]);

    const warned = recordingSink();
    await up(runtime, onlyKeep, {}, warned);
    expect(warned.events.filter((e) => e.status === "Warning").map((e) => e.text)).toEqual([
      expect.stringContaining(`Found orphan containers (${name}-gone-1)`),
    ]);
    expect(Object.keys(await idsByName(name)).sort()).toEqual([`${name}-gone-1`, `${name}-keep-1`]);

    // `down` with that file leaves the orphan (and so the network it is on) and says why, as `up` does.
    const downWarned = recordingSink();
    await down(runtime, name, onlyKeep, { timeoutS: 1 }, downWarned);
    expect(downWarned.events.filter((e) => e.resource === "project").map((e) => e.text)).toEqual([
      expect.stringContaining(`Found orphan containers (${name}-gone-1)`),
    ]);
    expect(Object.keys(await idsByName(name))).toEqual([`${name}-gone-1`]);

    await up(runtime, onlyKeep, { removeOrphans: true }, recordingSink());
    expect(Object.keys(await idsByName(name))).toEqual([`${name}-keep-1`]);
  }, 60_000);

  it("--wait fails naming the unhealthy service; a dependent of it is never started", async () => {
    const name = newProject();
    const loaded = await load(
      name,
      `
services:
  bad:
    image: IMAGE
    command: ${SERVE}
    labels: { LABEL }
    healthcheck: { test: ["CMD", "false"], interval: 200ms, timeout: 2s, retries: 1 }
  good: { image: IMAGE, command: ${SERVE}, labels: { LABEL } }
networks:
  default: { labels: { LABEL } }
`,
    );
    const started = Date.now();
    await expect(up(runtime, loaded, { wait: true, waitTimeoutS: 20 }, recordingSink())).rejects.toThrow(
      `container ${name}-bad-1 is unhealthy`,
    );
    expect(Date.now() - started).toBeLessThan(15_000);

    const dependent = await load(
      name,
      `
services:
  bad:
    image: IMAGE
    command: ${SERVE}
    labels: { LABEL }
    healthcheck: { test: ["CMD", "false"], interval: 200ms, timeout: 2s, retries: 1 }
  app:
    image: IMAGE
    command: ${SERVE}
    labels: { LABEL }
    depends_on: { bad: { condition: service_healthy } }
networks:
  default: { labels: { LABEL } }
`,
    );
    await expect(up(runtime, dependent, {}, recordingSink())).rejects.toThrow(
      `dependency failed to start: container ${name}-bad-1 is unhealthy`,
    );
    const app = await runtime.containers.inspect(`${name}-app-1`);
    expect(app?.status).toBe("created");
  }, 60_000);

  it("--wait-timeout bounds the depends_on waits too: a dependency never healthy ends the up in time, named", async () => {
    const name = newProject();
    const loaded = await load(
      name,
      `
services:
  db:
    image: IMAGE
    command: ${SERVE}
    labels: { LABEL }
    # Fails every second but never runs out of retries: "starting" for ever.
    healthcheck: { test: ["CMD", "false"], interval: 1s, timeout: 2s, retries: 100000 }
  app:
    image: IMAGE
    command: ${SERVE}
    labels: { LABEL }
    depends_on: { db: { condition: service_healthy } }
networks:
  default: { labels: { LABEL } }
`,
    );
    const started = Date.now();
    const failure: unknown = await up(runtime, loaded, { wait: true, waitTimeoutS: 3 }, recordingSink()).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(failure).toBeInstanceOf(EngineError);
    // Compose's words; the db wait for app and `--wait`'s own wait on db end together, either first.
    expect((failure as EngineError).message).toMatch(/^application not healthy after 3s\b/);
    expect((failure as EngineError).hint).toMatch(
      new RegExp(`^service "db": container ${name}-db-1 is starting\\b`),
    );
    expect((await runtime.containers.inspect(`${name}-app-1`))?.status).toBe("created");
  }, 60_000);

  it("copies configs given as content into the container before it starts", async () => {
    const name = newProject();
    const loaded = await load(
      name,
      `
services:
  app:
    image: IMAGE
    labels: { LABEL }
    command: ["sh", "-c", "cat /etc/greeting > /tmp/seen-at-start; trap 'exit 0' TERM; sleep 300 & wait"]
    configs: [{ source: greeting, target: /etc/greeting, mode: 0440, uid: "1005" }]
configs:
  greeting: { content: "hello from berth" }
networks:
  default: { labels: { LABEL } }
`,
    );
    await up(runtime, loaded, {}, recordingSink());
    const session = await runtime.containers.exec(`${name}-app-1`, {
      command: ["sh", "-c", "cat /tmp/seen-at-start; echo; stat -c '%a %u' /etc/greeting"],
    });
    const chunks: Buffer[] = [];
    for await (const chunk of session.output)
      if (chunk.stream === "stdout") chunks.push(Buffer.from(chunk.data));
    expect(await session.exitCode()).toBe(0);
    expect(Buffer.concat(chunks).toString("utf8")).toBe("hello from berth\n440 1005\n");
  }, 60_000);

  it("adopts containers made by hand with Compose's labels, and leftovers of a killed recreate", async () => {
    const name = newProject();
    const loaded = await load(
      name,
      `
services:
  app: { image: IMAGE, command: ${SERVE}, labels: { LABEL }, environment: { MODE: one } }
  side: { image: IMAGE, command: ${SERVE}, labels: { LABEL } }
networks:
  default: { labels: { LABEL } }
`,
    );
    // As `docker compose up` would leave it: the network and app-1 with the same labels and hash.
    if (withFeatures(backend, "networks"))
      await runtime.networks.create(networkSpec(loaded.project, "default"));
    const configFiles = loaded.files.map((f) => f.path);
    const appSpec = containerSpecFor(loaded.project, "app", 1, { configFiles }).spec;
    const handMade = (await runtime.containers.create(appSpec)).id;
    await runtime.containers.start(handMade);
    // As a recreate killed after its create: side-1 stale, its replacement under the temporary name.
    const stale = containerSpecFor(loaded.project, "side", 1, { configFiles }).spec;
    const staleId = (
      await runtime.containers.create({
        ...stale,
        labels: { ...stale.labels, "com.docker.compose.config-hash": "stale" },
      })
    ).id;
    const fresh = containerSpecFor(loaded.project, "side", 1, { configFiles, replaces: staleId }).spec;
    expect(fresh.name).toBe(replacementName(staleId, `${name}-side-1`));
    const freshId = (await runtime.containers.create(fresh)).id;

    const sink = recordingSink();
    const result = await up(runtime, loaded, {}, sink);
    const containers: ContainerSummary[] = await ps(runtime, name, { all: true });
    expect(containers.map((c) => `${c.name} ${c.id} ${c.status}`)).toEqual([
      `${name}-app-1 ${handMade} running`,
      `${name}-side-1 ${freshId} running`,
    ]);
    expect(result.plan.toString()).not.toMatch(/container:app:1/);
    expect(await runtime.containers.inspect(staleId)).toBeUndefined();
  }, 60_000);

  it("restart reports each container once as Restarting, then Started, as Compose does", async () => {
    const name = newProject();
    const loaded = await load(
      name,
      `
services:
  db: { image: IMAGE, command: ${SERVE}, labels: { LABEL } }
  app: { image: IMAGE, command: ${SERVE}, labels: { LABEL }, depends_on: [db] }
networks:
  default: { labels: { LABEL } }
`,
    );
    await up(runtime, loaded, {}, recordingSink());
    const sink = recordingSink();
    await restart(runtime, loaded, [], 1, sink);
    const seen = sink.events.map((e) => `${e.resource} ${e.id} ${e.status}${e.text ? ` ${e.text}` : ""}`);
    expect(seen.sort()).toEqual([
      `container ${name}-app-1 Restarting`,
      `container ${name}-app-1 Started`,
      `container ${name}-db-1 Restarting`,
      `container ${name}-db-1 Started`,
    ]);
  }, 60_000);

  it("reports the wait for another berth's lock on the project as the project's, not a container's", async () => {
    const name = newProject();
    const sink = recordingSink();
    let waiting: Promise<unknown> | undefined;
    await withProjectLock(name, {}, async () => {
      waiting = down(runtime, name, undefined, {}, sink);
      // The waiter says so at once; then the holder lets go.
      await eventually(async () => expect(sink.events.length).toBeGreaterThan(0), 5_000);
    });
    await waiting;
    expect(sink.events[0]).toMatchObject({
      resource: "project",
      id: name,
      status: "Warning",
      text: expect.stringContaining(`waiting for another berth on project ${name}`),
    });
  }, 30_000);
});
