/**
 * Whether the Docker engine tests can run here, decided once per test file before collection.
 *
 * - An engine answers `ping`: the suites run.
 * - `BERTH_TEST_DOCKER=0`: the suites are registered with `describe.skip` (reported as skipped, never
 *   as passed) and the reason is printed once.
 * - No engine answers (EngineUnavailableError, or no answer within 5 s): the same skip, with
 *   `engine tests skipped: no Docker engine at <host>` printed once; but under CI (`CI=true`) each
 *   suite instead holds one failing test, so CI cannot silently lose the integration tests.
 * - The engine answers but ping fails some other way (e.g. an API version it refuses): a failing test,
 *   everywhere; that is a bug to see, not an absent engine.
 */
import { describe, it, type TestContext } from "vitest";
import { createDockerRuntime } from "../../src/runtime/docker/docker-runtime.js";
import { EngineUnavailableError } from "../../src/runtime/errors.js";
import type { Runtime, RuntimeInfo } from "../../src/runtime/runtime.js";

export const ENGINE_HOST = process.env.DOCKER_HOST ?? "unix:///var/run/docker.sock";
export const IN_CI = process.env.CI === "true" || process.env.CI === "1";
const PING_TIMEOUT_MS = 5_000;

export type EngineProbe =
  | { readonly state: "up"; readonly info: RuntimeInfo }
  | { readonly state: "disabled"; readonly reason: string }
  | { readonly state: "down"; readonly reason: string }
  | { readonly state: "broken"; readonly reason: string };

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
}

async function probe(): Promise<EngineProbe> {
  if (process.env.BERTH_TEST_DOCKER === "0") {
    return { state: "disabled", reason: "engine tests skipped: BERTH_TEST_DOCKER=0" };
  }
  const runtime = createDockerRuntime();
  try {
    return { state: "up", info: await runtime.ping(AbortSignal.timeout(PING_TIMEOUT_MS)) };
  } catch (error) {
    if (error instanceof EngineUnavailableError || isTimeout(error)) {
      return { state: "down", reason: `no Docker engine at ${ENGINE_HOST} (${message(error)})` };
    }
    return { state: "broken", reason: `the engine at ${ENGINE_HOST} failed ping: ${message(error)}` };
  } finally {
    await runtime.close();
  }
}

/** What the probe found; `info` when an engine answered. */
export const engine: EngineProbe = await probe();
export const engineUp = engine.state === "up";

let announced = false;
function announce(reason: string): void {
  if (announced) return;
  announced = true;
  console.warn(reason);
}

function failing(name: string, reason: string): void {
  describe(name, () => {
    it("has a Docker engine to run against", () => {
      throw new Error(reason);
    });
  });
}

/** `describe` for tests that need the Docker engine; see the file comment for skip/fail rules. */
export function describeEngine(name: string, fn: () => void): void {
  switch (engine.state) {
    case "up":
      describe(name, fn);
      return;
    case "disabled":
      announce(engine.reason);
      describe.skip(name, fn);
      return;
    case "down":
      if (IN_CI) {
        failing(
          name,
          `CI=true and ${engine.reason}: CI must not skip the engine tests; ` +
            "`.ci/run` starts the engine with scripts/ci/dockerd.sh start",
        );
        return;
      }
      announce(`engine tests skipped: ${engine.reason}`);
      describe.skip(name, fn);
      return;
    case "broken":
      failing(name, engine.reason);
      return;
  }
}

/**
 * Inside a test: skip it with `reason` when `available` is false, except under CI, where it fails
 * instead (a CI run must not lose a case because a service it needs was not started).
 */
export function requireOrSkip(context: TestContext, available: boolean, reason: string): void {
  if (available) return;
  if (IN_CI) throw new Error(`CI=true: ${reason}`);
  console.warn(`skipped: ${reason}`);
  context.skip(reason);
}

/** A runtime for a suite; close it in `afterAll`. */
export function engineRuntime(): Runtime {
  return createDockerRuntime();
}

/** Label key every object made by the integration tests carries (scripts/ci/dockerd.sh sweeps it). */
export const TEST_LABEL = "berth.test";

/** A short id unique to this test process, for names and the `berth.test=<run id>` label. */
export const RUN_ID = `${Date.now().toString(36)}${process.pid.toString(36)}`;

/**
 * Polls `check` every 100 ms until it stops throwing, for at most `ms` and 1,000 attempts (then its
 * last error is thrown).
 */
export async function eventually<T>(check: () => Promise<T>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (let attempt = 0; ; attempt++) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline || attempt > 1_000) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
