/**
 * Signals must parse as Docker parses stop_signal, an image's StopSignal and kill -s.
 */
import { describe, expect, it } from "vitest";
import { parseSignal, signalName, stopSignal } from "../../../../../src/runtime/native/oci/signals.js";

describe("parseSignal", () => {
  it.each([
    ["SIGTERM", 15],
    ["TERM", 15],
    ["term", 15],
    ["sigkill", 9],
    ["15", 15],
    ["+9", 9],
    ["SIGQUIT", 3],
    ["SIGUSR1", 10],
    ["SIGCHLD", 17],
    ["CLD", 17],
    ["IOT", 6],
    ["SIGPOLL", 29],
    ["SIGRTMIN", 34],
    ["SIGRTMIN+3", 37],
    ["RTMIN+15", 49],
    ["SIGRTMAX-14", 50],
    ["SIGRTMAX-1", 63],
    ["SIGRTMAX", 64],
    ["64", 64],
  ])("%s is %i", (text, n) => {
    expect(parseSignal(text)).toBe(n);
  });

  it.each(["0", "65", "-1", "SIGFOO", "", "RTMIN+16", "SIG", "1.5"])("refuses %j", (text) => {
    expect(() => parseSignal(text)).toThrow(`Invalid signal: ${text}`);
  });
});

describe("signalName", () => {
  it("gives the canonical name", () => {
    expect(signalName(15)).toBe("SIGTERM");
    expect(signalName(6)).toBe("SIGABRT");
    expect(signalName(17)).toBe("SIGCHLD");
    expect(signalName(29)).toBe("SIGIO");
    expect(signalName(37)).toBe("SIGRTMIN+3");
    expect(signalName(50)).toBe("SIGRTMAX-14");
    expect(signalName(64)).toBe("SIGRTMAX");
    expect(signalName(0)).toBeUndefined();
  });

  it("round-trips every number", () => {
    for (let n = 1; n <= 64; n++) {
      if (n === 32 || n === 33) continue; // glibc keeps these for itself: no name
      expect(parseSignal(signalName(n) ?? "")).toBe(n);
    }
  });
});

describe("stopSignal", () => {
  it("prefers the service's, then the image's, then SIGTERM", () => {
    expect(stopSignal("SIGQUIT", "SIGINT")).toBe(3);
    expect(stopSignal(undefined, "SIGINT")).toBe(2);
    expect(stopSignal("", "SIGRTMIN+3")).toBe(37);
    expect(stopSignal(undefined, undefined)).toBe(15);
    expect(() => stopSignal("SIGNOPE", undefined)).toThrow("Invalid signal: SIGNOPE");
  });
});
