/**
 * Ctrl-C on an attached `up` through the built CLI on each runtime backend (Docker and native,
 * ../integration/orchestration/backends.ts), as Docker Compose's `up`
 * handles it: the first stops the services gracefully, the second kills what has not stopped. The
 * checks read the containers' real states and exit codes. Every object carries
 * `berth.test=<run id>` for the CI sweep.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import type { Runtime } from "../../src/runtime/runtime.js";
import { eventually, RUN_ID, TEST_LABEL } from "../integration/engine.js";
import { BACKENDS, useBackend, withFeatures } from "../integration/orchestration/backends.js";
import { backendCli } from "./backend-cli.js";

const PROJECT_LABEL = "com.docker.compose.project";

let runtime: Runtime;
let image: string;
let dir = "";
let project = "";

/** `polite` ends on SIGTERM; `stubborn` (PID 1 ignoring SIGTERM) only ends when killed. */
const compose = (): string => `
name: ${project}
x-common: &common
  image: ${image}
  stop_grace_period: 60s
  labels: { ${TEST_LABEL}: "${RUN_ID}" }
services:
  polite:
    <<: *common
    command: ["sh", "-c", "trap 'exit 0' TERM; echo polite ready; sleep 3600 & wait"]
  stubborn:
    <<: *common
    command: ["sh", "-c", "trap '' TERM; echo stubborn ready; while true; do sleep 1; done"]
`;

/** Service → { status, exit code } of its container. */
async function states(): Promise<Record<string, { status: string; exitCode: number | undefined }>> {
  const containers = await runtime.containers.list({ labels: [`${PROJECT_LABEL}=${project}`], all: true });
  const out: Record<string, { status: string; exitCode: number | undefined }> = {};
  for (const c of containers) {
    const state = await runtime.containers.inspect(c.id);
    out[c.labels["com.docker.compose.service"] ?? c.name] = {
      status: state?.status ?? "gone",
      exitCode: state?.exitCode,
    };
  }
  return out;
}

describe.each(BACKENDS)("berth up: Ctrl-C ($name)", (backend) => {
  const suite = useBackend(backend);
  const it = suite.it;
  const { berth, startBerth } = backendCli(suite);

  beforeAll(() => {
    if (!backend.available) return;
    ({ runtime, image } = suite.opened);
    project = `berth-e2e-interrupt-${backend.name}-${RUN_ID}`;
    dir = mkdtempSync(path.join(tmpdir(), "berth-e2e-interrupt-"));
    writeFileSync(path.join(dir, "compose.yaml"), compose());
  });

  afterAll(async () => {
    if (!backend.available) return;
    await berth(["-p", project, "down", "-v", "-t", "0"], { cwd: tmpdir() });
    const labels = [`${PROJECT_LABEL}=${project}`];
    for (const c of await runtime.containers.list({ labels, all: true })) {
      await runtime.containers.remove(c.id, { force: true, volumes: true });
    }
    for (const n of await runtime.networks.list({ labels })) await runtime.networks.remove(n.id);
    expect(await suite.opened.leaks(project)).toEqual([]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  // The second Ctrl-C's kill is served while the first's stop waits out the grace period.
  if (withFeatures(backend, "kill-during-stop"))
    it("a first Ctrl-C must stop the services gracefully and a second must kill what has not stopped: exit 130, containers kept", async () => {
      const { child: up, output } = startBerth(["up", "--no-dashboard"], { cwd: dir });
      await eventually(async () => {
        expect(output.stdout).toContain("polite ready");
        expect(output.stdout).toContain("stubborn ready");
      }, 20_000);

      // Step: the first Ctrl-C stops gracefully: polite ends on its SIGTERM, stubborn ignores it.
      up.kill("SIGINT");
      await eventually(async () => {
        expect(output.stderr).toContain("Gracefully stopping... (press Ctrl+C again to force)");
        expect((await states())["polite"]).toEqual({ status: "exited", exitCode: 0 });
      }, 20_000);
      expect((await states())["stubborn"]?.status).toBe("running");

      // Step: the second Ctrl-C kills stubborn (SIGKILL: 137) long before its 60 s grace period.
      const second = Date.now();
      up.kill("SIGINT");
      const result = await up;
      expect(Date.now() - second).toBeLessThan(15_000);
      expect(output.stderr).toContain("Killing...");
      expect(result.exitCode).toBe(130);
      expect(await states()).toEqual({
        polite: { status: "exited", exitCode: 0 },
        stubborn: { status: "exited", exitCode: 137 },
      });
    }, 90_000);
});
