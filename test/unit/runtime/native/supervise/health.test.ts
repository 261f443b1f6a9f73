import { describe, expect, it } from "vitest";
import {
  applyProbe,
  goDuration,
  type HealthConfig,
  healthConfig,
  type HealthState,
  mergeHealthcheck,
  nextProbeDelay,
  outputCollector,
  type ProbeResult,
  startingHealth,
  timeoutResult,
} from "../../../../../src/runtime/native/supervise/health.js";

const T0 = Date.parse("2026-01-01T00:00:00.000Z");
const at = (ms: number): string => new Date(T0 + ms).toISOString();
const result = (exitCode: number, startMs: number, output = ""): ProbeResult => ({
  exitCode,
  output,
  start: at(startMs),
  end: at(startMs + 5),
});

const config = (overrides: Partial<HealthConfig> = {}): HealthConfig => ({
  argv: ["true"],
  intervalMs: 1000,
  timeoutMs: 500,
  startPeriodMs: 0,
  startIntervalMs: 100,
  retries: 3,
  ...overrides,
});

describe("healthcheck config (Docker's HealthConfig)", () => {
  it("takes Docker's defaults for zero durations and retries", () => {
    expect(healthConfig({ test: ["CMD", "true"] })).toEqual({
      argv: ["true"],
      intervalMs: 30_000,
      timeoutMs: 30_000,
      startPeriodMs: 0,
      startIntervalMs: 5_000,
      retries: 3,
    });
    expect(
      healthConfig({
        test: ["CMD", "x"],
        intervalNs: 2e9,
        timeoutNs: 1e8,
        startPeriodNs: 3e9,
        startIntervalNs: 5e8,
        retries: 7,
      }),
    ).toEqual({
      argv: ["x"],
      intervalMs: 2000,
      timeoutMs: 100,
      startPeriodMs: 3000,
      startIntervalMs: 500,
      retries: 7,
    });
  });

  it("runs CMD-SHELL with /bin/sh -c; NONE, no test or an unknown kind disable it", () => {
    expect(healthConfig({ test: ["CMD-SHELL", "test -f /ok"] })?.argv).toEqual([
      "/bin/sh",
      "-c",
      "test -f /ok",
    ]);
    expect(healthConfig({ test: ["NONE"] })).toBeUndefined();
    expect(healthConfig({ test: [] })).toBeUndefined();
    expect(healthConfig(undefined)).toBeUndefined();
    expect(healthConfig({ test: ["WHAT", "x"] })).toBeUndefined();
  });

  it("merges the service's over the image's as Docker does at create", () => {
    const image = { Test: ["CMD", "img"], Interval: 5e9, Retries: 4 };
    expect(mergeHealthcheck(undefined, image)?.test).toEqual(["CMD", "img"]);
    expect(mergeHealthcheck({ test: [], timeoutNs: 1e9 }, image)).toMatchObject({
      test: ["CMD", "img"],
      intervalNs: 5e9,
      timeoutNs: 1e9,
      retries: 4,
    });
    // The service's NONE turns the image's check off.
    expect(healthConfig(mergeHealthcheck({ test: ["NONE"] }, image))).toBeUndefined();
    expect(mergeHealthcheck(undefined, undefined)).toBeUndefined();
  });
});

describe("health state (Docker's daemon/health.go)", () => {
  const start = startingHealth(undefined, at(0));

  it("starts `starting`; exit 0 makes it healthy and resets the streak", () => {
    expect(start).toEqual({ status: "starting", failingStreak: 0, log: [], runStartedAt: at(0) });
    const failing: HealthState = { ...start, status: "healthy", failingStreak: 2 };
    const next = applyProbe(config(), failing, result(0, 10));
    expect(next.state.status).toBe("healthy");
    expect(next.state.failingStreak).toBe(0);
    expect(next.changed).toBe(false);
    expect(applyProbe(config(), start, result(0, 10)).changed).toBe(true);
  });

  it("turns unhealthy when the failing streak reaches retries", () => {
    let state = applyProbe(config(), start, result(0, 10)).state;
    const changes: boolean[] = [];
    for (let i = 1; i <= 3; i++) {
      const next = applyProbe(config(), state, result(i === 2 ? -1 : 1, 10 + i * 1000));
      state = next.state;
      changes.push(next.changed);
    }
    expect(state.status).toBe("unhealthy");
    expect(state.failingStreak).toBe(3);
    expect(changes).toEqual([false, false, true]);
  });

  it("does not count failures while starting inside the start period", () => {
    const c = config({ startPeriodMs: 2000, retries: 1 });
    const inside = applyProbe(c, start, result(1, 1999)).state;
    expect(inside).toMatchObject({ status: "starting", failingStreak: 0 });
    expect(applyProbe(c, inside, result(1, 2000)).state).toMatchObject({
      status: "unhealthy",
      failingStreak: 1,
    });
    // Once healthy, the start period no longer shields failures.
    const healthy = applyProbe(c, start, result(0, 100)).state;
    expect(applyProbe(c, healthy, result(1, 200)).state).toMatchObject({
      status: "unhealthy",
      failingStreak: 1,
    });
  });

  it("keeps the last 5 results; a new run starts over but keeps them", () => {
    let state = start;
    for (let i = 0; i < 7; i++) state = applyProbe(config(), state, result(0, i * 10, `probe ${i}`)).state;
    expect(state.log.map((r) => r.output)).toEqual(["probe 2", "probe 3", "probe 4", "probe 5", "probe 6"]);
    const again = startingHealth({ ...state, status: "unhealthy", failingStreak: 4 }, at(99_000));
    expect(again).toMatchObject({ status: "starting", failingStreak: 0, runStartedAt: at(99_000) });
    expect(again.log).toHaveLength(5);
  });

  it("probes after start_interval while starting within the start period, else after interval", () => {
    const c = config({ startPeriodMs: 5000 });
    expect(nextProbeDelay(c, start, new Date(T0 + 100))).toBe(100);
    expect(nextProbeDelay(c, { ...start, status: "healthy" }, new Date(T0 + 100))).toBe(1000);
    expect(nextProbeDelay(c, start, new Date(T0 + 5000))).toBe(1000);
    expect(nextProbeDelay(config(), start, new Date(T0))).toBe(1000);
  });

  it("cuts output at 4096 bytes and says so; a timeout reads as Docker's", () => {
    const out = outputCollector();
    out.add(Buffer.alloc(4000, "a"));
    out.add(Buffer.alloc(200, "b"));
    expect(out.text()).toBe(`${"a".repeat(4000)}${"b".repeat(96)}...`);
    const short = outputCollector();
    short.add(Buffer.from("ok\n"));
    expect(short.text()).toBe("ok\n");
    expect(timeoutResult(config({ timeoutMs: 1500 }), new Date(T0), new Date(T0 + 1500))).toEqual({
      exitCode: -1,
      output: "Health check exceeded timeout (1.5s)",
      start: at(0),
      end: at(1500),
    });
    expect([goDuration(500), goDuration(30_000), goDuration(90_000), goDuration(3_600_000)]).toEqual([
      "500ms",
      "30s",
      "1m30s",
      "1h0m0s",
    ]);
  });
});
