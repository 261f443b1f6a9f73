import { symlinkSync } from "node:fs";

import path from "node:path";
import { describe, expect, it } from "vitest";
import { LoadError } from "../../../src/errors.js";
import { discoverFiles, normalizeProjectName, resolveProjectName } from "../../../src/project/discover.js";
import { fileTree } from "../../file-tree.js";

function tree(files: Record<string, string>): string {
  return fileTree("discover", files);
}

const noEnv = (): undefined => undefined;

describe("finding compose files", () => {
  it("prefers compose.yaml and adds the matching override", () => {
    const root = tree({ "compose.yaml": "", "docker-compose.yml": "", "compose.override.yaml": "" });
    const warnings: string[] = [];
    const found = discoverFiles({ cwd: root, files: [], env: noEnv, onWarning: (m) => warnings.push(m) });
    expect(found.files.map((f) => f.display)).toEqual(["compose.yaml", "compose.override.yaml"]);
    expect(found.projectDirectory).toBe(root);
    expect(warnings[0]).toContain("Found multiple config files");
  });

  it("searches parent directories", () => {
    const root = tree({ "docker-compose.yml": "", "a/b/.keep": "" });
    const found = discoverFiles({ cwd: path.join(root, "a", "b"), files: [], env: noEnv });
    expect(found.files.map((f) => f.path)).toEqual([path.join(root, "docker-compose.yml")]);
    expect(found.projectDirectory).toBe(root);
  });

  it("uses -f files in order, relative to the working directory", () => {
    const root = tree({ "x/a.yaml": "", "x/b.yaml": "" });
    const found = discoverFiles({ cwd: root, files: ["x/a.yaml", "x/b.yaml"], env: noEnv });
    expect(found.files.map((f) => f.display)).toEqual(["x/a.yaml", "x/b.yaml"]);
    expect(found.projectDirectory).toBe(path.join(root, "x"));
  });

  it("reads COMPOSE_FILE with the path separator", () => {
    const root = tree({ "a.yaml": "", "b.yaml": "" });
    const env = (name: string): string | undefined => (name === "COMPOSE_FILE" ? "a.yaml:b.yaml" : undefined);
    expect(discoverFiles({ cwd: root, files: [], env }).files.map((f) => f.display)).toEqual([
      "a.yaml",
      "b.yaml",
    ]);
  });

  it("honours COMPOSE_PATH_SEPARATOR", () => {
    const root = tree({ "a.yaml": "", "b.yaml": "" });
    const vars: Record<string, string> = { COMPOSE_FILE: "a.yaml;b.yaml", COMPOSE_PATH_SEPARATOR: ";" };
    const found = discoverFiles({ cwd: root, files: [], env: (n) => vars[n] });
    expect(found.files).toHaveLength(2);
  });

  it("takes - as standard input and the working directory as project directory", () => {
    const root = tree({});
    const found = discoverFiles({ cwd: root, files: ["-"], env: noEnv });
    expect(found.files).toEqual([{ display: "-", path: "-" }]);
    expect(found.projectDirectory).toBe(root);
  });

  it("says clearly when nothing is found", () => {
    const root = tree({});
    expect(() => discoverFiles({ cwd: root, files: [], env: noEnv })).toThrow(
      "no configuration file provided: not found",
    );
  });

  it("names a missing -f file as given", () => {
    const root = tree({});
    expect(() => discoverFiles({ cwd: root, files: ["missing.yaml"], env: noEnv })).toThrow(
      "open missing.yaml: no such file or directory",
    );
  });

  it("rejects a project directory that does not exist", () => {
    const root = tree({});
    expect(() => discoverFiles({ cwd: root, files: [], projectDirectory: "nope", env: noEnv })).toThrow(
      LoadError,
    );
  });
});

describe("files that are not plain files", () => {
  // Before: existsSync() was false for a symlink loop, which read as "no such file" (or, for a
  // default name, as no file at all).
  it("says a symlink loop named with -f is one", () => {
    const root = tree({});
    symlinkSync("b.yaml", path.join(root, "a.yaml"));
    symlinkSync("a.yaml", path.join(root, "b.yaml"));
    expect(() => discoverFiles({ cwd: root, files: ["a.yaml"], env: noEnv })).toThrow(
      new LoadError("a.yaml is a symlink loop"),
    );
  });

  it("finds a default name that is a symlink loop, so that reading it says so", () => {
    const root = tree({});
    symlinkSync("compose.yaml", path.join(root, "compose.yaml"));
    expect(discoverFiles({ cwd: root, files: [], env: noEnv }).files.map((f) => f.display)).toEqual([
      "compose.yaml",
    ]);
  });

  it("takes a device or a pipe as Compose does (reading bounds it)", () => {
    const found = discoverFiles({ cwd: "/", files: ["/dev/zero", "/dev/stdin"], env: noEnv });
    expect(found.files.map((f) => f.path)).toEqual(["/dev/zero", "/dev/stdin"]);
  });
});

describe("project names", () => {
  it("normalizes a directory name the way Compose does", () => {
    expect(normalizeProjectName("My App.v2")).toBe("myappv2");
    expect(normalizeProjectName("__x-Y")).toBe("x-y");
  });

  it("prefers -p, then COMPOSE_PROJECT_NAME, then name:, then the directory", () => {
    const env = (n: string): string | undefined => (n === "COMPOSE_PROJECT_NAME" ? "fromenv" : undefined);
    expect(resolveProjectName({ flag: "flag", env, fromFile: "file", projectDirectory: "/x/Dir" })).toBe(
      "flag",
    );
    expect(resolveProjectName({ env, fromFile: "file", projectDirectory: "/x/Dir" })).toBe("fromenv");
    expect(resolveProjectName({ env: noEnv, fromFile: "file", projectDirectory: "/x/Dir" })).toBe("file");
    expect(resolveProjectName({ env: noEnv, projectDirectory: "/x/My Dir" })).toBe("mydir");
  });

  it("rejects an explicit name that is not valid, without changing it", () => {
    expect(() => resolveProjectName({ flag: "MY_PROJECT", env: noEnv, projectDirectory: "/x" })).toThrow(
      'invalid project name "MY_PROJECT" (from -p/--project-name)',
    );
  });

  it("rejects a directory name that normalizes to nothing", () => {
    expect(() => resolveProjectName({ env: noEnv, projectDirectory: "/x/___" })).toThrow(
      "project name must not be empty",
    );
  });
});
