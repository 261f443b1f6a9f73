/** Which changed paths a watch rule leaves alone: Compose's pattern matching, editors' files, .git, .dockerignore. */
import { describe, expect, it } from "vitest";
import {
  anyOf,
  DOT_GIT,
  dockerignoreCandidates,
  dockerignorePatterns,
  EPHEMERAL,
  NO_PATHS,
  patternMatcher,
} from "../../../../src/engine/watch/ignore.js";

describe("patternMatcher: patterns relative to the rule's path", () => {
  const m = patternMatcher("/proj/src", ["*.log", "build/", "deep/**/*.tmp", "!keep.log"]);

  it("matches a file, and everything under a matched directory", () => {
    expect(m.matches("/proj/src/a.log")).toBe(true);
    expect(m.matches("/proj/src/build")).toBe(true);
    expect(m.matches("/proj/src/build/out/x.js")).toBe(true);
    expect(m.matches("/proj/src/deep/a/b/c.tmp")).toBe(true);
  });

  it("does not match elsewhere, nested names a single star cannot reach, or an exception", () => {
    expect(m.matches("/proj/src/app.js")).toBe(false);
    expect(m.matches("/proj/src/sub/a.log")).toBe(false);
    expect(m.matches("/proj/other/a.log")).toBe(false);
    expect(m.matches("/proj/src/keep.log")).toBe(false);
  });

  it("is case-sensitive, as moby's matcher is on Linux", () => {
    expect(m.matches("/proj/src/A.LOG")).toBe(false);
  });

  it("says a directory is wholly matched only when no exception could bring a file back", () => {
    expect(m.matchesEntireDir("/proj/src/build")).toBe(false);
    const plain = patternMatcher("/proj/src", ["node_modules"]);
    expect(plain.matchesEntireDir("/proj/src/node_modules")).toBe(true);
    expect(plain.matchesEntireDir("/proj/src/lib")).toBe(false);
  });

  it("keeps an absolute pattern absolute, and has nothing to match without patterns", () => {
    expect(patternMatcher("/proj", ["/etc/x"]).matches("/etc/x/y")).toBe(true);
    expect(patternMatcher("/proj", [" ", "!"])).toBe(NO_PATHS);
  });
});

describe("editors' temporary files and .git", () => {
  it.each([
    "/p/src/main.go~",
    "/p/src/.main.go.swp",
    "/p/src/.main.go.swx",
    "/p/src/4913",
    "/p/src/#notes.txt#",
    "/p/src/.#notes.txt",
    "/p/src/index.js___jb_tmp___",
    "/p/src/index.js___jb_old___",
    "/p/src/.idea/workspace.xml",
  ])("%s is an editor's file", (p) => {
    expect(EPHEMERAL.matches(p)).toBe(true);
  });

  it("leaves ordinary files alone", () => {
    expect(EPHEMERAL.matches("/p/src/index.js")).toBe(false);
    expect(EPHEMERAL.matches("/p/src/swap.swp.txt")).toBe(false);
  });

  it("leaves out .git at any depth, and what is in it", () => {
    expect(DOT_GIT.matches("/p/.git")).toBe(true);
    expect(DOT_GIT.matches("/p/src/.git/HEAD")).toBe(true);
    expect(DOT_GIT.matchesEntireDir("/p/.git")).toBe(true);
    expect(DOT_GIT.matches("/p/src/.github/x.yml")).toBe(false);
  });

  it("anyOf matches what one of them matches", () => {
    const both = anyOf(EPHEMERAL, DOT_GIT, NO_PATHS);
    expect(both.matches("/p/a~")).toBe(true);
    expect(both.matches("/p/.git/x")).toBe(true);
    expect(both.matches("/p/a")).toBe(false);
    expect(anyOf(NO_PATHS)).toBe(NO_PATHS);
  });
});

describe(".dockerignore", () => {
  it("reads patterns as Docker does: comments and blanks skipped, a leading slash is the root", () => {
    expect(dockerignorePatterns("# c\n\n/dist\n!dist/keep\n  *.md  \r\nsub/../x\n")).toEqual([
      "dist",
      "!dist/keep",
      "*.md",
      "x",
    ]);
  });

  it("looks for <Dockerfile>.dockerignore first, then .dockerignore", () => {
    expect(dockerignoreCandidates("/ctx", "app.Dockerfile")).toEqual([
      "/ctx/app.Dockerfile.dockerignore",
      "/ctx/.dockerignore",
    ]);
    expect(dockerignoreCandidates("/ctx", undefined)[0]).toBe("/ctx/Dockerfile.dockerignore");
  });
});
