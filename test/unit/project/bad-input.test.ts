/**
 * Every directory under test/fixtures/bad is one broken project. Loading it must fail with a
 * BerthError whose one-line description equals the fixture's `expected` file: the file as the
 * user named it, line and column, the path, and the sentence. Nothing may escape as a plain Error.
 */
import { cpSync, existsSync, readdirSync, readFileSync } from "node:fs";

import path from "node:path";
import { describe, expect, it } from "vitest";
import { BerthError } from "../../../src/errors.js";
import { loadProject, type LoadOptions } from "../../../src/project/load.js";
import { tempDir } from "../../file-tree.js";

const root = path.resolve(import.meta.dirname, "../../fixtures/bad");

interface FixtureArgs {
  files?: string[];
  projectName?: string;
  envFiles?: string[];
  services?: string[];
  profiles?: string[];
  env?: Record<string, string>;
}

async function failureOf(name: string): Promise<string> {
  // A private copy, so upward file search and .env lookups see only the fixture.
  const dir = tempDir(`bad-${name}`);
  cpSync(path.join(root, name), dir, { recursive: true });
  const argsFile = path.join(dir, "args.json");
  const args: FixtureArgs = existsSync(argsFile)
    ? (JSON.parse(readFileSync(argsFile, "utf8")) as FixtureArgs)
    : {};
  const options: LoadOptions = {
    cwd: dir,
    files: args.files ?? [],
    projectName: args.projectName,
    envFiles: args.envFiles ?? [],
    services: args.services ?? [],
    profiles: args.profiles ?? [],
    env: args.env ?? {},
  };
  try {
    await loadProject(options);
  } catch (error) {
    if (!(error instanceof BerthError)) throw error;
    return error.describe();
  }
  return "(loaded without an error)";
}

const cases = readdirSync(root).sort();

describe("bad input: each broken project fails with its exact location and message", () => {
  it("has at least 60 cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
  });
  for (const name of cases) {
    it(name, async () => {
      const expected = readFileSync(path.join(root, name, "expected"), "utf8").trimEnd();
      expect(await failureOf(name)).toBe(expected);
    });
  }
});
