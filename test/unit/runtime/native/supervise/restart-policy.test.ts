import { describe, expect, it } from "vitest";
import {
  decideRestart,
  type RestartInput,
} from "../../../../../src/runtime/native/supervise/restart-policy.js";

const base: RestartInput = {
  policy: { name: "always" },
  exitCode: 1,
  stoppedByUser: false,
  restartCount: 0,
  runMs: 50,
  previousDelayMs: 0,
};

describe("restart policy (Docker's restart manager)", () => {
  it("no never restarts, nor does a missing policy", () => {
    expect(decideRestart({ ...base, policy: { name: "no" } }).restart).toBe(false);
    expect(decideRestart({ ...base, policy: undefined }).restart).toBe(false);
  });

  it("always and unless-stopped restart after any exit, not after a stop by hand", () => {
    for (const name of ["always", "unless-stopped"] as const) {
      expect(decideRestart({ ...base, policy: { name }, exitCode: 0 }).restart).toBe(true);
      expect(decideRestart({ ...base, policy: { name }, exitCode: 137 }).restart).toBe(true);
      expect(decideRestart({ ...base, policy: { name }, stoppedByUser: true }).restart).toBe(false);
    }
  });

  it("on-failure restarts on a non-zero exit only, up to its maximum (0: no limit)", () => {
    const onFailure = (max: number | undefined, restartCount: number, exitCode = 1): boolean =>
      decideRestart({
        ...base,
        policy: { name: "on-failure", maximumRetryCount: max },
        restartCount,
        exitCode,
      }).restart;
    expect(onFailure(3, 0, 0)).toBe(false);
    expect([0, 1, 2, 3].map((count) => onFailure(3, count))).toEqual([true, true, true, false]);
    expect(onFailure(0, 1000)).toBe(true);
    expect(onFailure(undefined, 1000)).toBe(true);
  });

  it("waits 100 ms, doubling to 1 min, back to 100 ms after a run of 10 s", () => {
    const delays: number[] = [];
    let previous = 0;
    for (let i = 0; i < 12; i++) {
      previous = decideRestart({ ...base, previousDelayMs: previous }).delayMs;
      delays.push(previous);
    }
    expect(delays).toEqual([100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 51200, 60000, 60000]);
    expect(decideRestart({ ...base, previousDelayMs: 60_000, runMs: 10_000 }).delayMs).toBe(100);
    expect(decideRestart({ ...base, previousDelayMs: 800, runMs: 9_999 }).delayMs).toBe(1600);
  });

  it("moves the delay on even when it does not restart, as Docker's manager does", () => {
    expect(
      decideRestart({ ...base, policy: { name: "on-failure" }, exitCode: 0, previousDelayMs: 200 }),
    ).toEqual({
      restart: false,
      delayMs: 400,
    });
  });
});
