/**
 * `security_opt: seccomp=<file>` on each runtime backend (./orchestration/backends.ts): the profile
 * the file holds is what the container runs under. The Engine API takes the profile's JSON, not a
 * path, so the client reads the file as the docker CLI and Compose v2 do; given the path, dockerd
 * failed the start ("Decoding seccomp profile failed").
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { recordingSink } from "../../src/engine/events.js";
import { down, up } from "../../src/engine/index.js";
import { loadProject } from "../../src/project/load.js";
import type { Runtime } from "../../src/runtime/runtime.js";
import { eventually, RUN_ID, TEST_LABEL } from "./engine.js";
import { adapt, BACKENDS, useBackend } from "./orchestration/backends.js";

/** Everything allowed but mkdir and mkdirat, which fail with EPERM; spaced out, as people write it. */
const PROFILE = {
  defaultAction: "SCMP_ACT_ALLOW",
  syscalls: [{ names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO" }],
};

describe.each(BACKENDS)("seccomp profile from a file ($name)", (backend) => {
  const suite = useBackend(backend);
  const it = suite.it;
  const project = `berth-seccomp-${backend.name}-${RUN_ID}`;
  let runtime: Runtime;
  let dir: string;
  let output = "";

  beforeAll(async () => {
    if (!backend.available) return;
    runtime = suite.runtime;
    dir = mkdtempSync(path.join(os.tmpdir(), "berth-seccomp-it-"));
    const profile = path.join(dir, "profile.json");
    writeFileSync(profile, JSON.stringify(PROFILE, null, 2));
    writeFileSync(
      path.join(dir, "compose.yaml"),
      adapt(
        backend,
        `
services:
  app:
    image: ${suite.image}
    labels: { ${TEST_LABEL}: "${RUN_ID}" }
    security_opt: ["seccomp=${profile}"]
    command: ["sh", "-c", "mkdir /tmp/made && echo made || echo refused; echo done; sleep 300"]
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

  it("runs the container under the profile the file holds", async () => {
    expect(output).toContain("refused");
    expect(output).not.toContain("made\n");
  });
});
