/**
 * `tmpfs:` on a service reaches the engine as Docker Compose sends it (HostConfig.Tmpfs, options as
 * written), while a `volumes:` entry of `type: tmpfs` stays a mount. Checked field by field in the
 * engine's own inspect answer and inside the running container (/proc/mounts, the directory's mode).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { recordingSink } from "../../src/engine/events.js";
import { down, up } from "../../src/engine/index.js";
import { loadProject } from "../../src/project/load.js";
import { EngineApi } from "../../src/runtime/docker/engine-api.js";
import type { Runtime } from "../../src/runtime/runtime.js";
import { describeEngine, engineRuntime, eventually, RUN_ID, TEST_LABEL } from "./engine.js";
import { ensureTestImage } from "./images.js";
import { leaks } from "./leaks.js";

let runtime: Runtime;
let api: EngineApi;
let image: string;
let dir: string;
const project = `berth-tmpfs-${RUN_ID}`;

interface Inspect {
  readonly HostConfig: { readonly Tmpfs?: Record<string, string> | null };
  readonly Mounts: readonly { readonly Type: string; readonly Destination: string }[];
}

describeEngine("tmpfs on the Docker engine", () => {
  beforeAll(async () => {
    runtime = engineRuntime();
    api = new EngineApi(process.env);
    image = await ensureTestImage(runtime);
    dir = mkdtempSync(path.join(os.tmpdir(), "berth-tmpfs-it-"));
  }, 60_000);

  afterAll(async () => {
    await down(
      runtime,
      project,
      undefined,
      { volumes: true, removeOrphans: true, timeoutS: 1 },
      recordingSink(),
    );
    expect(await leaks(runtime, project)).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
    api.close();
    await runtime.close();
  }, 60_000);

  it("sends service tmpfs as HostConfig.Tmpfs with its options, and tmpfs volumes as mounts", async () => {
    writeFileSync(
      path.join(dir, "compose.yaml"),
      `
services:
  app:
    image: ${image}
    labels: { ${TEST_LABEL}: "${RUN_ID}" }
    command: ["sh", "-c", "grep -E ' /(scratch|plain|vol) ' /proc/mounts; stat -c 'mode %a' /scratch; echo done; sleep 300"]
    tmpfs:
      - /scratch:size=1m,mode=1777,noexec
      - /plain
    volumes:
      - { type: tmpfs, target: /vol, tmpfs: { size: 2m } }
networks:
  default: { labels: { ${TEST_LABEL}: "${RUN_ID}" } }
`,
    );
    const loaded = await loadProject({ cwd: dir, env: {}, projectName: project });
    await up(runtime, loaded, {}, recordingSink());

    const inspect = await api.jsonRequired<Inspect>("GET", `/containers/${project}-app-1/json`);
    expect(inspect.HostConfig.Tmpfs).toEqual({ "/scratch": "size=1m,mode=1777,noexec", "/plain": "" });
    expect(inspect.Mounts.map((m) => `${m.Type} ${m.Destination}`)).toEqual(["tmpfs /vol"]);

    const output = await eventually(async () => {
      let text = "";
      for await (const line of runtime.containers.logs(`${project}-app-1`, {
        signal: AbortSignal.timeout(5_000),
      })) {
        text += `${line.line}\n`;
      }
      if (!text.includes("done")) throw new Error(`no "done" yet in: ${text}`);
      return text;
    }, 15_000);
    const scratch = output.split("\n").find((line) => line.includes(" /scratch "));
    // (1777 is tmpfs's default mode, so /proc/mounts leaves it out; stat shows it below.)
    expect(scratch).toMatch(/^tmpfs \/scratch tmpfs \S*noexec\S*size=1024k/);
    expect(output).toMatch(/^tmpfs \/plain tmpfs /m);
    expect(output).toMatch(/^tmpfs \/vol tmpfs \S*size=2048k/m);
    expect(output).toContain("mode 1777");
  }, 60_000);
});
