/**
 * SIGTERM to an attached `up` (how systemd, CI or a container runtime stops it) must stop the
 * stack and exit 0, as Compose's reference for `up` documents; Ctrl-C stays 130 (up-interrupt.test.ts).
 * Checked through the built CLI on each runtime backend (Docker and native,
 * ../integration/orchestration/backends.ts); everything is labelled and leak-checked by the backend.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import type { Runtime } from "../../src/runtime/runtime.js";
import { eventually, RUN_ID, TEST_LABEL } from "../integration/engine.js";
import { BACKENDS, useBackend } from "../integration/orchestration/backends.js";
import { backendCli } from "./backend-cli.js";

describe.each(BACKENDS)("berth up: SIGTERM ($name)", (backend) => {
  const suite = useBackend(backend);
  const it = suite.it;
  const { berth, startBerth } = backendCli(suite);
  let runtime: Runtime;
  let image: string;
  let dir = "";
  const project = `berth-e2e-sigterm-${backend.name}-${RUN_ID}`;

  beforeAll(() => {
    if (!backend.available) return;
    ({ runtime, image } = suite.opened);
    dir = mkdtempSync(path.join(tmpdir(), "berth-e2e-sigterm-"));
    writeFileSync(
      path.join(dir, "compose.yaml"),
      `name: ${project}\nservices:\n  app:\n    image: ${image}\n    stop_grace_period: 20s\n    labels: { ${TEST_LABEL}: "${RUN_ID}" }\n    command: ["sh", "-c", "trap 'exit 0' TERM; echo app ready; sleep 3600 & wait"]\n`,
    );
  });

  afterAll(async () => {
    if (!backend.available) return;
    await berth(["-p", project, "down", "-v", "-t", "0"], { cwd: tmpdir() });
    expect(await suite.opened.leaks(project)).toEqual([]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("SIGTERM must stop the stack gracefully and exit 0", async () => {
    const { child: up, output } = startBerth(["up", "--no-dashboard"], { cwd: dir });
    await eventually(async () => expect(output.stdout).toContain("app ready"), 20_000);

    up.kill("SIGTERM");
    const result = await up;
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(String(result.stderr)).toContain("Gracefully stopping...");
    const [app] = await runtime.containers.list({
      labels: [`com.docker.compose.project=${project}`],
      all: true,
    });
    const state = app ? await runtime.containers.inspect(app.id) : undefined;
    // Stopped by its own SIGTERM trap (0), not killed (137); the container is kept, as after Ctrl-C.
    expect({ status: state?.status, exitCode: state?.exitCode }).toEqual({ status: "exited", exitCode: 0 });
  });
});
