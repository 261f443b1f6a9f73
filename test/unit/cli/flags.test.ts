/** Flag values must be read as Docker Compose reads them, and a bad one must name the flag. */
import { describe, expect, it } from "vitest";
import { UsageError } from "../../../src/errors.js";
import {
  parseGoDuration,
  parseScale,
  parseTail,
  parseTimeArg,
  parseTimeout,
} from "../../../src/cli/flags.js";

const now = new Date("2024-05-01T10:00:00Z");

describe("--since / --until", () => {
  it("reads durations back from now", () => {
    expect(parseTimeArg("10m", "--since", now)?.toISOString()).toBe("2024-05-01T09:50:00.000Z");
    expect(parseTimeArg("1h30m", "--since", now)?.toISOString()).toBe("2024-05-01T08:30:00.000Z");
    expect(parseTimeArg("1.5s", "--since", now)?.toISOString()).toBe("2024-05-01T09:59:58.500Z");
  });

  it("reads RFC 3339 times, dates and Unix seconds", () => {
    expect(parseTimeArg("2024-04-30T12:00:00Z", "--since", now)?.toISOString()).toBe(
      "2024-04-30T12:00:00.000Z",
    );
    expect(parseTimeArg("2024-04-30T12:00:00+02:00", "--until", now)?.toISOString()).toBe(
      "2024-04-30T10:00:00.000Z",
    );
    expect(parseTimeArg("2024-04-30", "--since", now)?.toISOString()).toBe("2024-04-30T00:00:00.000Z");
    expect(parseTimeArg("1714557600.5", "--since", now)?.toISOString()).toBe("2024-05-01T10:00:00.500Z");
    expect(parseTimeArg(undefined, "--since", now)).toBeUndefined();
  });

  it("refuses anything else, naming the flag", () => {
    expect(() => parseTimeArg("yesterday", "--since", now)).toThrow(UsageError);
    expect(() => parseTimeArg("10 minutes", "--until", now)).toThrow(/--until/);
    expect(parseGoDuration("10x")).toBeUndefined();
  });
});

describe("other flags", () => {
  it("--timeout takes whole seconds", () => {
    expect(parseTimeout("0")).toBe(0);
    expect(parseTimeout(undefined)).toBeUndefined();
    expect(() => parseTimeout("-1")).toThrow(/--timeout/);
    expect(() => parseTimeout("1.5")).toThrow(UsageError);
  });

  it("--tail takes a count or all", () => {
    expect(parseTail("all")).toBeUndefined();
    expect(parseTail("20")).toBe(20);
    expect(() => parseTail("last")).toThrow(/--tail/);
  });

  it("--scale takes SERVICE=N for known services; a later pair wins", () => {
    const known = new Set(["web", "worker"]);
    expect(parseScale(["web=3", "worker=0", "web=2"], known)).toEqual({ web: 2, worker: 0 });
    expect(() => parseScale(["web"], known)).toThrow(/SERVICE=NUMBER/);
    expect(() => parseScale(["web=-1"], known)).toThrow(UsageError);
    expect(() => parseScale(["db=1"], known)).toThrow(/no such service: db/);
  });
});
