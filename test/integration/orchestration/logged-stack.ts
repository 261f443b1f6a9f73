/**
 * A one-file stack brought up on a backend for cases that read what its first container printed
 * (tmpfs.test.ts, seccomp-file.test.ts, host-settings.test.ts): the file written in a temporary
 * project directory, `up`, the container's log read until `marker` appears; and its `down` with the
 * leak check. `useLoggedStack` does both around a describe's cases; `engineJson` reads the Docker
 * engine's own inspect answer for the cases about what was sent.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import { recordingSink } from "../../../src/engine/events.js";
import { down, up } from "../../../src/engine/index.js";
import { loadProject } from "../../../src/project/load.js";
import { EngineApi } from "../../../src/runtime/docker/engine-api.js";
import { eventually } from "../engine.js";
import { adapt, type BackendSuite } from "./backends.js";

export interface LoggedStack {
  readonly dir: string;
  /** The first container's log once `marker` was in it. */
  readonly output: string;
}

/** `compose(dir)` gives the file's text for the project directory (a place for its own files). */
export async function upUntilLogged(
  suite: BackendSuite,
  project: string,
  container: string,
  compose: (dir: string) => string,
  marker = "done",
): Promise<LoggedStack> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `${project}-`));
  writeFileSync(path.join(dir, "compose.yaml"), adapt(suite.backend, compose(dir)));
  const loaded = await loadProject({ cwd: dir, env: {}, projectName: project });
  await up(suite.runtime, loaded, {}, recordingSink());
  const output = await eventually(async () => {
    let text = "";
    for await (const line of suite.runtime.containers.logs(container, { signal: AbortSignal.timeout(5_000) }))
      text += `${line.line}\n`;
    if (!text.includes(marker)) throw new Error(`no "${marker}" yet in: ${text}`);
    return text;
  }, 15_000);
  return { dir, output };
}

/** `down -v` of the project; nothing of it may be left. */
export async function downAndCheck(suite: BackendSuite, project: string, dir: string): Promise<void> {
  await down(
    suite.runtime,
    project,
    undefined,
    { volumes: true, removeOrphans: true, timeoutS: 1 },
    recordingSink(),
  );
  expect(await suite.opened.leaks(project)).toEqual([]);
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Brings the stack up before the describe's cases (where the backend is available) and takes it
 * down, leak-checked, after them; answers the stack once it is up. Its container is
 * `<project>-app-1`: the file's service is `app`.
 */
export function useLoggedStack(
  suite: BackendSuite,
  project: string,
  compose: (dir: string) => string,
): () => LoggedStack | undefined {
  let stack: LoggedStack | undefined;
  beforeAll(async () => {
    if (!suite.backend.available) return;
    stack = await upUntilLogged(suite, project, `${project}-app-1`, compose);
  }, 60_000);
  afterAll(async () => {
    if (stack) await downAndCheck(suite, project, stack.dir);
  }, 60_000);
  return () => stack;
}

/** The Docker engine's JSON answer to `GET apiPath` (an inspect), as the engine keeps the object. */
export async function engineJson<T>(apiPath: string): Promise<T> {
  const api = new EngineApi(process.env);
  try {
    return await api.jsonRequired<T>("GET", apiPath);
  } finally {
    api.close();
  }
}
