/**
 * The engine's `kill` on each runtime backend (./orchestration/backends.ts): it must signal the
 * running containers of the named services (all by default) with SIGKILL unless told another signal,
 * leave stopped containers alone, and report each container as Killing then Killed, as
 * `docker compose kill` does. Each test brings up its own project, labelled `berth.test=<run id>`,
 * removed (and leak-checked) afterwards.
 *
 * Docker without an engine, and native without root, runc and conmon, are skipped (failing under
 * CI=true): see ./engine.ts and ./orchestration/backends.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect } from "vitest";
import { recordingSink } from "../../src/engine/events.js";
import { down, kill, ps, stop, up } from "../../src/engine/index.js";
import { loadProject, type LoadedProject } from "../../src/project/load.js";
import type { Runtime } from "../../src/runtime/runtime.js";
import { eventually, RUN_ID, TEST_LABEL } from "./engine.js";
import { adapt, BACKENDS, useBackend } from "./orchestration/backends.js";

/** Exits 3 on SIGHUP and 0 on SIGTERM, so the exit code tells which signal arrived (SIGKILL: 137). */
const SERVE = `["sh", "-c", "trap 'exit 3' HUP; trap 'exit 0' TERM; sleep 300 & wait"]`;

const STACK = `
x-service: &service
  image: IMAGE
  command: SERVE
  labels: { LABEL }
services:
  web: { <<: *service }
  worker: { <<: *service }
  idle: { <<: *service }
networks:
  default: { labels: { LABEL } }
`;

describe.each(BACKENDS)("engine: kill ($name)", (backend) => {
  const suite = useBackend(backend);
  const it = suite.it;
  let runtime: Runtime;
  let image: string;
  let counter = 0;

  beforeAll(() => {
    if (backend.available) ({ runtime, image } = suite.opened);
  });

  /**
   * Runs `test` on a fresh project made from STACK (brought up first when `started`), then takes the
   * project down (`down -v`) and requires that nothing of it is left.
   */
  async function withProject(
    started: boolean,
    test: (project: string, loaded: LoadedProject) => Promise<void>,
  ): Promise<void> {
    const name = `berth-kill-${backend.name}-${RUN_ID}-${++counter}`;
    const dir = mkdtempSync(path.join(os.tmpdir(), "berth-kill-it-"));
    try {
      const text = STACK.replaceAll("IMAGE", image)
        .replaceAll("SERVE", SERVE)
        .replaceAll("LABEL", `${TEST_LABEL}: "${RUN_ID}"`);
      writeFileSync(path.join(dir, "compose.yaml"), adapt(backend, text));
      const loaded = await loadProject({ cwd: dir, env: {}, projectName: name });
      if (started) await up(runtime, loaded, {}, recordingSink());
      await test(name, loaded);
    } finally {
      await down(runtime, name, undefined, { volumes: true, timeoutS: 1 }, recordingSink());
      rmSync(dir, { recursive: true, force: true });
    }
    expect(await suite.opened.leaks(name), "left of the project after down -v").toEqual([]);
  }

  /** Container name → exit code once every container of the project has exited (bounded). */
  async function exitCodes(project: string): Promise<Record<string, number | undefined>> {
    return eventually(async () => {
      const all = await ps(runtime, project, { all: true });
      if (all.some((c) => c.status === "running")) throw new Error("still running");
      const states = await Promise.all(all.map((c) => runtime.containers.inspect(c.id)));
      return Object.fromEntries(all.map((c, i) => [c.name, states[i]?.exitCode]));
    }, 20_000);
  }

  it(
    "sends SIGKILL to every running container and leaves a stopped one alone",
    () =>
      withProject(true, async (project, loaded) => {
        await stop(runtime, loaded, ["idle"], 5, recordingSink());
        const sink = recordingSink();
        const result = await kill(runtime, project, {}, sink);

        expect(result.containers.map((c) => c.name)).toEqual([`${project}-web-1`, `${project}-worker-1`]);
        expect(await exitCodes(project)).toEqual({
          [`${project}-idle-1`]: 0,
          [`${project}-web-1`]: 137,
          [`${project}-worker-1`]: 137,
        });
        expect(sink.events.map((e) => `${e.id} ${e.status}`).sort()).toEqual([
          `${project}-web-1 Killed`,
          `${project}-web-1 Killing`,
          `${project}-worker-1 Killed`,
          `${project}-worker-1 Killing`,
        ]);
      }),
    90_000,
  );

  it(
    "sends the given signal to the named services only",
    () =>
      withProject(true, async (project) => {
        await kill(runtime, project, { services: ["web"], signal: "SIGHUP" }, recordingSink());
        const web = await eventually(async () => {
          const [state] = await ps(runtime, project, { all: true, services: ["web"] });
          if (state?.status !== "exited") throw new Error("web still running");
          return runtime.containers.inspect(state.id);
        }, 20_000);
        expect(web?.exitCode).toBe(3);
        const running = await ps(runtime, project, {});
        expect(running.map((c) => c.name)).toEqual([`${project}-idle-1`, `${project}-worker-1`]);
      }),
    90_000,
  );

  it(
    "with nothing running, signals nothing and says so",
    () =>
      withProject(false, async (project) => {
        const sink = recordingSink();
        const result = await kill(runtime, project, {}, sink);
        expect(result.containers).toEqual([]);
        expect(sink.events.map((e) => `${e.resource} ${e.status} ${e.text ?? ""}`)).toEqual([
          "project Warning no container to kill",
        ]);
      }),
    30_000,
  );
});
