/** The BERTH_FAULT_KILL_AT test hook: which values it accepts and when it fires. */
import { describe, expect, it } from "vitest";
import { faultCounter, type FaultStep, parseFaultTarget } from "../../../src/engine/fault.js";

describe("fault hook", () => {
  it("reads `step` as the first time and `step:k` as the k-th, `@ms` as a delay before the kill", () => {
    expect(parseFaultTarget("network-created")).toEqual({ step: "network-created", count: 1, delayMs: 0 });
    expect(parseFaultTarget("container-created:6")).toEqual({
      step: "container-created",
      count: 6,
      delayMs: 0,
    });
    expect(parseFaultTarget("container-stopping@500")).toEqual({
      step: "container-stopping",
      count: 1,
      delayMs: 500,
    });
    expect(parseFaultTarget("container-stopping:2@50")).toEqual({
      step: "container-stopping",
      count: 2,
      delayMs: 50,
    });
  });

  it("ignores unset, empty and malformed values", () => {
    for (const value of [
      undefined,
      "",
      "  ",
      "container-created:0",
      "container-created:x",
      "a:1:2",
      "a@",
      "a@x",
      "a@5:1",
    ]) {
      expect(parseFaultTarget(value), String(value)).toBeUndefined();
    }
  });

  it("fires exactly once, at the k-th time its step is reached, not counting other steps", () => {
    const fired: number[] = [];
    let calls = 0;
    const reach = faultCounter({ step: "container-created", count: 2, delayMs: 0 }, () => fired.push(calls));
    const steps: FaultStep[] = [
      "container-created",
      "container-started",
      "container-created",
      "container-created",
    ];
    for (const step of steps) {
      calls++;
      reach(step);
    }
    expect(fired).toEqual([3]);
  });
});
