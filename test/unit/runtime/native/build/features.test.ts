/** The native builder's pure parts: wildcards, HEALTHCHECK, stage selection, --chown, URL names, cache match. */
import { describe, expect, it } from "vitest";
import { canonical, stepMatches } from "../../../../../src/runtime/native/build/cache.js";
import { parseChmod, resolveChown } from "../../../../../src/runtime/native/build/chown.js";
import { parseDockerfile, parseTrigger } from "../../../../../src/runtime/native/build/dockerfile.js";
import { filenameFor } from "../../../../../src/runtime/native/build/download.js";
import { containsWildcards, goMatch } from "../../../../../src/runtime/native/build/go-match.js";
import {
  formatGoDuration,
  healthcheckHistory,
  parseGoDuration,
  parseHealthcheck,
} from "../../../../../src/runtime/native/build/healthcheck.js";
import { neededStages, targetIndex } from "../../../../../src/runtime/native/build/stage-deps.js";

describe("goMatch (Go's filepath.Match)", () => {
  it.each([
    ["*.json", "package.json", true],
    ["*.json", "a/package.json", false],
    ["src/*.ts", "src/a.ts", true],
    ["src/*.ts", "src/sub/a.ts", false],
    ["*", "a/b", false],
    ["a?c", "abc", true],
    ["a?c", "a/c", false],
    ["[a-c]x", "bx", true],
    ["[^a-c]x", "bx", false],
    ["[!a]x", "!x", true],
    ["\\*x", "*x", true],
    ["\\*x", "ax", false],
    ["a*b*c", "axxbyyc", true],
    ["a*b", "a/b", false],
    ["[", "[", false],
    ["ab[", "ab", false],
    ["*x", "xxx", true],
  ])("%s vs %s is %s", (pattern, name, expected) => {
    expect(goMatch(pattern, name)).toBe(expected);
  });

  it("tells wildcards from escaped ones", () => {
    expect(containsWildcards("a/*.ts")).toBe(true);
    expect(containsWildcards("a\\*b")).toBe(false);
    expect(containsWildcards("plain/file")).toBe(false);
  });
});

describe("HEALTHCHECK", () => {
  const ins = (text: string) => parseDockerfile(`FROM a\n${text}`).stages[0]!.instructions[0]!;

  it("parses Go durations and prints them as Go does", () => {
    expect(parseGoDuration("30s")).toBe(30e9);
    expect(parseGoDuration("1m30s")).toBe(90e9);
    expect(parseGoDuration("1.5h")).toBe(5400e9);
    expect(parseGoDuration("250ms")).toBe(250e6);
    expect(() => parseGoDuration("10")).toThrow(/^time: /);
    expect(formatGoDuration(90e9)).toBe("1m30s");
    expect(formatGoDuration(3600e9)).toBe("1h0m0s");
    expect(formatGoDuration(1.5e9)).toBe("1.5s");
    expect(formatGoDuration(5e5)).toBe("500µs");
    expect(formatGoDuration(0)).toBe("0s");
  });

  it("writes the config as dockerd does, in nanoseconds, unset fields left out", () => {
    const h = parseHealthcheck(
      ins("HEALTHCHECK --interval=5s --timeout=3s --retries=4 CMD wget -q -O- http://x/ || exit 1"),
    );
    expect(h).toEqual({
      Test: ["CMD-SHELL", "wget -q -O- http://x/ || exit 1"],
      Interval: 5e9,
      Timeout: 3e9,
      Retries: 4,
    });
    expect(healthcheckHistory(h)).toBe(
      `HEALTHCHECK &{["CMD-SHELL" "wget -q -O- http://x/ || exit 1"] "5s" "3s" "0s" '\\x04'}`,
    );
    expect(
      parseHealthcheck(ins('HEALTHCHECK --start-period=1m --start-interval=2s CMD ["true", "x"]')),
    ).toEqual({
      Test: ["CMD", "true", "x"],
      StartPeriod: 60e9,
      StartInterval: 2e9,
    });
    expect(parseHealthcheck(ins("HEALTHCHECK NONE"))).toEqual({ Test: ["NONE"] });
  });

  it("refuses what dockerd refuses, in its words", () => {
    expect(() => parseHealthcheck(ins("HEALTHCHECK NONE x"))).toThrow("HEALTHCHECK NONE takes no arguments");
    expect(() => parseHealthcheck(ins("HEALTHCHECK RUN x"))).toThrow(
      'Unknown type "RUN" in HEALTHCHECK (try CMD)',
    );
    expect(() => parseHealthcheck(ins("HEALTHCHECK --retries=0 CMD x"))).toThrow(
      "--retries must be at least 1 (not 0)",
    );
    expect(() => parseHealthcheck(ins("HEALTHCHECK --interval=1us CMD x"))).toThrow(
      'Interval "interval" cannot be less than 1ms',
    );
    expect(() => parseHealthcheck(ins("HEALTHCHECK --foo=1 CMD x"))).toThrow("Unknown flag: foo");
  });
});

describe("ONBUILD triggers", () => {
  it("refuses chaining, FROM and MAINTAINER", () => {
    expect(parseTrigger("RUN echo hi").keyword).toBe("RUN");
    expect(() => parseTrigger("ONBUILD RUN x")).toThrow(
      "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed",
    );
    expect(() => parseTrigger("from x")).toThrow("FROM isn't allowed as an ONBUILD trigger");
  });
});

describe("stages a target needs", () => {
  const df = parseDockerfile(
    [
      "ARG BASE=base",
      "FROM busybox AS base",
      "FROM busybox AS unused",
      "RUN exit 1",
      "FROM busybox AS tools",
      "FROM ${BASE} AS app",
      "ARG FROMSTAGE=tools",
      "COPY --from=${FROMSTAGE} /x /x",
      "COPY --from=0 /y /y",
      "COPY --from=alpine:3 /z /z",
    ].join("\n"),
  );
  const expand = (_s: unknown, word: string): string =>
    word.replace("${BASE}", "base").replace("${FROMSTAGE}", "tools");

  it("follows FROM and COPY --from by name and index, leaving the others out", () => {
    expect(neededStages(df, targetIndex(df), expand)).toEqual([0, 2, 3]);
    expect(neededStages(df, targetIndex(df, "UNUSED"), expand)).toEqual([1]);
    expect(() => targetIndex(df, "nope")).toThrow("failed to reach build target nope in Dockerfile");
  });
});

describe("--chown and --chmod", () => {
  const passwd = "root:x:0:0::/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n";
  const group = "root:x:0:\napp:x:1002:\nstaff:x:50:\n";

  it("resolves names as the classic builder does: a user alone is its group too", () => {
    expect(resolveChown("app", passwd, group)).toEqual({ uid: 1000, gid: 1002 });
    expect(resolveChown("app:staff", passwd, group)).toEqual({ uid: 1000, gid: 50 });
    expect(resolveChown("7:8", undefined, undefined)).toEqual({ uid: 7, gid: 8 });
    expect(resolveChown("42", undefined, undefined)).toEqual({ uid: 42, gid: 42 });
    expect(() => resolveChown("nobody", passwd, group)).toThrow(
      "unable to convert uid/gid chown string to host mapping: can't find uid for user nobody: no such user: nobody",
    );
    expect(() => resolveChown("app:wheel", passwd, group)).toThrow("no such group: wheel");
    expect(() => resolveChown("a:b:c", passwd, group)).toThrow("invalid chown string format: a:b:c");
  });

  it("takes octal modes only", () => {
    expect(parseChmod("755")).toBe(0o755);
    expect(parseChmod("0640")).toBe(0o640);
    expect(() => parseChmod("u+x")).toThrow("invalid chmod parameter: u+x");
  });
});

describe("ADD of a URL: the file's name", () => {
  it("comes from the URL path, else Content-Disposition", () => {
    expect(filenameFor("/files/app.tar.gz", null)).toBe("app.tar.gz");
    expect(filenameFor("/dir/", 'attachment; filename="x.txt"')).toBe("x.txt");
    expect(filenameFor("/", null)).toBe("");
  });
});

describe("cache match", () => {
  it("compares created_by and the config whatever the key order", () => {
    const image = {
      architecture: "amd64",
      os: "linux",
      rootfs: { type: "layers", diff_ids: [] },
      history: [{ created_by: "/bin/sh -c #(nop)  ENV A=1" }],
      config: { Env: ["A=1"], Labels: { b: "2", a: "1" } },
    };
    expect(canonical({ b: 1, a: { d: 1, c: 2 } })).toBe('{"a":{"c":2,"d":1},"b":1}');
    expect(
      stepMatches(image, "/bin/sh -c #(nop)  ENV A=1", { Labels: { a: "1", b: "2" }, Env: ["A=1"] }),
    ).toBe(true);
    expect(
      stepMatches(image, "/bin/sh -c #(nop)  ENV A=2", { Labels: { a: "1", b: "2" }, Env: ["A=1"] }),
    ).toBe(false);
    expect(stepMatches(image, "/bin/sh -c #(nop)  ENV A=1", { Env: ["A=1"] })).toBe(false);
  });
});
