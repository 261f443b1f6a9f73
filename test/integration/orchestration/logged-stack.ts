/**
 * A one-file stack brought up on a backend for cases that read what its first container printed
 * (tmpfs.test.ts, seccomp-file.test.ts): the file written in a temporary project directory, `up`,
 * the container's log read until `marker` appears; and its `down` with the leak check.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "vitest";
import { recordingSink } from "../../../src/engine/events.js";
import { down, up } from "../../../src/engine/index.js";
import { loadProject } from "../../../src/project/load.js";
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
