/**
 * `tmpfs:` on a service and a `volumes:` entry of `type: tmpfs`, on each runtime backend
 * (./orchestration/backends.ts): inside the running container (/proc/mounts, the directory's mode)
 * each is a tmpfs with the options as written. On Docker, also as Docker Compose sends them: service
 * tmpfs as HostConfig.Tmpfs (options as written) while the volume entry stays a mount, checked field
 * by field in the engine's own inspect answer.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { recordingSink } from "../../src/engine/events.js";
import { down, up } from "../../src/engine/index.js";
import { loadProject } from "../../src/project/load.js";
import { EngineApi } from "../../src/runtime/docker/engine-api.js";
import type { Runtime } from "../../src/runtime/runtime.js";
import { eventually, RUN_ID, TEST_LABEL } from "./engine.js";
import { adapt, BACKENDS, useBackend, withFeatures } from "./orchestration/backends.js";

interface Inspect {
  readonly HostConfig: { readonly Tmpfs?: Record<string, string> | null };
  readonly Mounts: readonly { readonly Type: string; readonly Destination: string }[];
}

describe.each(BACKENDS)("tmpfs ($name)", (backend) => {
  const suite = useBackend(backend);
  const it = suite.it;
  const project = `berth-tmpfs-${backend.name}-${RUN_ID}`;
  let runtime: Runtime;
  let dir: string;
  let output = "";

  beforeAll(async () => {
    if (!backend.available) return;
    runtime = suite.runtime;
    dir = mkdtempSync(path.join(os.tmpdir(), "berth-tmpfs-it-"));
    writeFileSync(
      path.join(dir, "compose.yaml"),
      adapt(
        backend,
        `
services:
  app:
    image: ${suite.image}
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
      ),
    );
    const loaded = await loadProject({ cwd: dir, env: {}, projectName: project });
    await up(runtime, loaded, {}, recordingSink());
    output = await eventually(async () => {
      let text = "";
      for await (const line of runtime.containers.logs(`${project}-app-1`, {
        signal: AbortSignal.timeout(5_000),
      })) {
        text += `${line.line}\n`;
      }
      if (!text.includes("done")) throw new Error(`no "done" yet in: ${text}`);
      return text;
    }, 15_000);
  }, 60_000);

  afterAll(async () => {
    if (!backend.available) return;
    await down(
      runtime,
      project,
      undefined,
      { volumes: true, removeOrphans: true, timeoutS: 1 },
      recordingSink(),
    );
    expect(await suite.opened.leaks(project)).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("mounts service tmpfs and tmpfs volumes in the container with their options", async () => {
    const scratch = output.split("\n").find((line) => line.includes(" /scratch "));
    // (1777 is tmpfs's default mode, so /proc/mounts leaves it out; stat shows it below.)
    expect(scratch).toMatch(/^tmpfs \/scratch tmpfs \S*noexec\S*size=1024k/);
    expect(output).toMatch(/^tmpfs \/plain tmpfs /m);
    expect(output).toMatch(/^tmpfs \/vol tmpfs \S*size=2048k/m);
    expect(output).toContain("mode 1777");
  });

  // The engine's own inspect JSON is what it reads.
  if (withFeatures(backend, "engine-api"))
    it("sends service tmpfs as HostConfig.Tmpfs with its options, and tmpfs volumes as mounts", async () => {
      const api = new EngineApi(process.env);
      try {
        const inspect = await api.jsonRequired<Inspect>("GET", `/containers/${project}-app-1/json`);
        expect(inspect.HostConfig.Tmpfs).toEqual({ "/scratch": "size=1m,mode=1777,noexec", "/plain": "" });
        expect(inspect.Mounts.map((m) => `${m.Type} ${m.Destination}`)).toEqual(["tmpfs /vol"]);
      } finally {
        api.close();
      }
    });
});
