/**
 * The CLI's loader (dist/bin/launch.cjs, src/cli/launch.ts) on a build of its own: a copy of the
 * built loader in a temporary directory beside a CommonJS entry and chunk written here, so what it
 * runs and caches is known. The real CLI through it is what every other e2e test runs.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { repoRoot } from "./cli.js";

const CHUNK = "big-0123abcd.cjs";
let dir = "";

/** A chunk big enough to be cached, whose text says `word`; every word gives the same length. */
function writeChunk(word: string): void {
  const padding = "x".repeat(6000);
  writeFileSync(
    path.join(dir, CHUNK),
    `"use strict";exports.word=function(){return ${JSON.stringify(word)}};/*${padding}*/\n`,
  );
}

function launch(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [path.join(dir, "launch.cjs"), ...args], {
    encoding: "utf8",
    env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin" },
    timeout: 15_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const cached = (): string[] => readdirSync(path.join(dir, ".cache"));

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "berth-launch-"));
  copyFileSync(path.join(repoRoot, "dist", "bin", "launch.cjs"), path.join(dir, "launch.cjs"));
  writeFileSync(
    path.join(dir, "cli.cjs"),
    `"use strict";process.stdout.write(require("./${CHUNK}").word()+" "+require("node:path").basename(__filename)+"\\n");`,
  );
  writeFileSync(path.join(dir, "entry.js"), 'process.stdout.write("es modules\\n");\n');
  writeChunk("first");
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("the CLI's loader", () => {
  it("runs the CommonJS build and caches its big chunks' code, the small entry's not", () => {
    expect(launch("ps")).toEqual({ status: 0, stdout: "first cli.cjs\n", stderr: "" });
    expect(cached()).toHaveLength(1);
    // From the cache, the same answer; nothing new is written.
    expect(launch("ps").stdout).toBe("first cli.cjs\n");
    expect(cached()).toHaveLength(1);
  });

  it("never runs a cache of another text: a chunk rebuilt with the same length runs as it now reads", () => {
    expect(launch("ps").stdout).toBe("first cli.cjs\n");
    // V8 checks a cache against the source's length only: the key must be the text itself.
    writeChunk("other");
    expect(launch("ps").stdout).toBe("other cli.cjs\n");
    expect(cached()).toHaveLength(2);
  });

  it("runs without a cache where none can be written", () => {
    writeFileSync(path.join(dir, ".cache"), "a file where the directory would go");
    expect(launch("ps")).toEqual({ status: 0, stdout: "first cli.cjs\n", stderr: "" });
    expect(launch("ps").stdout).toBe("first cli.cjs\n");
  });

  it("runs the ES module build for --debug, BERTH_DEBUG and the dashboard, and without a CommonJS build", () => {
    expect(launch("--debug", "config").stdout).toBe("es modules\n");
    expect(launch("dashboard").stdout).toBe("es modules\n");
    // The sh launcher's encoding (bin/berth.js) is read as the CLI reads it.
    expect(launch("+berth-argv", "+--debug", "+ps").stdout).toBe("es modules\n");
    const debugEnv = spawnSync(process.execPath, [path.join(dir, "launch.cjs"), "ps"], {
      encoding: "utf8",
      env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", BERTH_DEBUG: "1" },
    });
    expect(debugEnv.stdout).toBe("es modules\n");
    rmSync(path.join(dir, "cli.cjs"));
    expect(launch("ps").stdout).toBe("es modules\n");
  });
});
