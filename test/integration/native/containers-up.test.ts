/**
 * The engine on the native runtime, as root, for stacks that need no network beyond
 * `network_mode: none` or `host`: up in dependency order, ps, logs, a second up that changes
 * nothing, an up after a service's config changed that recreates that service alone, and down
 * leaving no container, mount or process of the project.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordingSink } from "../../../src/engine/events.js";
import { down, ps, up } from "../../../src/engine/index.js";
import { loadProject, type LoadedProject } from "../../../src/project/load.js";
import { runtimeBackend } from "../../../src/runtime/backends.js";
import type { Runtime } from "../../../src/runtime/runtime.js";
import { requireOrSkip } from "../engine.js";
import { BUSYBOX_PATH, buildRootfsTar } from "../images.js";
import { leaks } from "../leaks.js";
import { mountsUnder, nativeReady, NOT_READY, processesOf, until } from "./containers-harness.js";

const IMAGE = "berth-test/busybox:up";
const PROJECT = "berth-native-up";
let dir = "";
let runtime: Runtime | undefined;

function stack(aCommand: string): string {
  return `
services:
  a:
    image: ${IMAGE}
    network_mode: none
    command: ["sh", "-c", "echo ${aCommand}; trap 'exit 0' TERM; while true; do sleep 0.1; done"]
  b:
    image: ${IMAGE}
    network_mode: host
    depends_on: [a]
    command: ["sh", "-c", "echo from-b; exit 3"]
  c:
    image: ${IMAGE}
    network_mode: none
    deploy: { replicas: 2 }
    stop_grace_period: 1s
    command: ["sleep", "60"]
`;
}

async function load(yaml: string): Promise<LoadedProject> {
  writeFileSync(path.join(dir, "compose.yaml"), yaml);
  return loadProject({ cwd: dir, env: {}, projectName: PROJECT });
}

async function logLines(id: string): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of runtime!.containers.logs(id, { signal: AbortSignal.timeout(5_000) }))
    lines.push(line.line);
  return lines;
}

describe("engine on the native runtime", () => {
  beforeAll(async () => {
    if (!nativeReady) return;
    dir = mkdtempSync("/var/tmp/berth-up-");
    runtime = await runtimeBackend("native").create({
      BERTH_ROOT: path.join(dir, "root"),
      BERTH_RUN_ROOT: path.join(dir, "run"),
    });
    await runtime.images.importRootfs(Readable.from([await buildRootfsTar(readFileSync(BUSYBOX_PATH))]), {
      reference: IMAGE,
      changes: ["ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 'CMD ["sh"]'],
    });
  }, 30_000);

  afterAll(async () => {
    if (!runtime) return;
    await down(
      runtime,
      PROJECT,
      undefined,
      { volumes: true, removeOrphans: true, timeoutS: 1 },
      recordingSink(),
    );
    const left = mountsUnder(dir);
    rmSync(dir, { recursive: true, force: true });
    expect(left).toEqual([]);
  }, 30_000);

  it("brings a none/host stack up, converges, and takes it down leaving nothing", async (context) => {
    requireOrSkip(context, nativeReady, NOT_READY);
    const sink = recordingSink();
    await up(runtime!, await load(stack("first")), {}, sink);
    const started = (name: string) =>
      sink.events.find((e) => e.id === name && e.status === "Started")?.at ?? -1;
    expect(started(`${PROJECT}-b-1`)).toBeGreaterThanOrEqual(started(`${PROJECT}-a-1`));

    const all = await ps(runtime!, PROJECT, { all: true });
    expect(all.map((c) => c.name).sort()).toEqual([
      `${PROJECT}-a-1`,
      `${PROJECT}-b-1`,
      `${PROJECT}-c-1`,
      `${PROJECT}-c-2`,
    ]);
    const byName = Object.fromEntries(all.map((c) => [c.name, c]));
    await until(
      5_000,
      "b exited",
      async () => (await runtime!.containers.inspect(`${PROJECT}-b-1`))?.status === "exited",
    );
    expect((await runtime!.containers.inspect(`${PROJECT}-b-1`))?.exitCode).toBe(3);
    // b has exited: its output is whole. a still runs: its line reaches the log when the drainer
    // has read it (as on Docker, a running container's log may lag its output a moment).
    expect(await logLines(byName[`${PROJECT}-b-1`]!.id)).toEqual(["from-b"]);
    await until(5_000, "a's first line", async () =>
      (await logLines(byName[`${PROJECT}-a-1`]!.id)).includes("first"),
    );
    expect(await logLines(byName[`${PROJECT}-a-1`]!.id)).toEqual(["first"]);

    // Nothing changed: the same containers stay.
    await up(runtime!, await load(stack("first")), {}, recordingSink());
    const again = await ps(runtime!, PROJECT, { all: true });
    expect(again.map((c) => c.id).sort()).toEqual(all.map((c) => c.id).sort());

    // a's command changed: a is recreated, the c replicas are kept.
    await up(runtime!, await load(stack("second")), {}, recordingSink());
    const after = Object.fromEntries((await ps(runtime!, PROJECT, { all: true })).map((c) => [c.name, c.id]));
    expect(after[`${PROJECT}-a-1`]).not.toBe(byName[`${PROJECT}-a-1`]!.id);
    expect(after[`${PROJECT}-c-1`]).toBe(byName[`${PROJECT}-c-1`]!.id);
    await until(5_000, "a's new line", async () =>
      (await logLines(after[`${PROJECT}-a-1`]!)).includes("second"),
    );

    await down(
      runtime!,
      PROJECT,
      undefined,
      { volumes: true, removeOrphans: true, timeoutS: 1 },
      recordingSink(),
    );
    expect(await leaks(runtime!, PROJECT)).toEqual([]);
    expect(mountsUnder(dir)).toEqual([]);
    for (const id of [...Object.values(after), ...all.map((c) => c.id)]) expect(processesOf(id)).toEqual([]);
  }, 50_000);
});
