/**
 * Input the CLI must survive, run as a user runs it (bin/berth.js as a program, through its shell
 * launcher): files that never end, pipes, symlink loops, YAML nested past any stack, and berth's
 * own `--env-file` flag, which Node 20 would otherwise read itself. Each fails fast with one
 * sentence and exit 1, or works as Docker Compose works.
 */
import { symlinkSync } from "node:fs";

import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { berth, repoRoot, type CliResult } from "./cli.js";
import { fileTree } from "../file-tree.js";

const BIN = path.join(repoRoot, "bin", "berth.js");
const COMPOSE = 'services:\n  web:\n    image: "busybox:${TAG:-latest}"\n';

/** A fresh directory with these files. */
function project(files: Record<string, string>): string {
  return fileTree("hostile", files);
}

/** Runs `command` (an argument array, never a shell string built from data) in `cwd`, clean env. */
async function run(command: readonly string[], cwd: string): Promise<CliResult & { ms: number }> {
  const started = Date.now();
  const [file, ...args] = command as [string, ...string[]];
  const result = await execa(file, args, {
    cwd,
    env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: process.env["HOME"] ?? "/root" },
    extendEnv: false,
    stripFinalNewline: false,
    reject: false,
    timeout: 20_000,
  });
  return {
    exitCode: result.exitCode ?? -1,
    stdout: String(result.stdout),
    stderr: String(result.stderr),
    ms: Date.now() - started,
  };
}

describe("--env-file reaches berth, not Node", () => {
  // Before: Node 20 took the flag for its own: "node: nosuch.env: not found", exit 9.
  it("a missing env file is berth's error, exit 1", async () => {
    const dir = project({ "compose.yaml": COMPOSE });
    for (const flag of [["--env-file", "nosuch.env"], ["--env-file=nosuch.env"]]) {
      const result = await run([BIN, ...flag, "config"], dir);
      expect(result.stderr).toBe("env file nosuch.env not found\n");
      expect(result.exitCode).toBe(1);
    }
  });

  it("an env file's values reach the project, in either spelling of the flag", async () => {
    const dir = project({ "compose.yaml": COMPOSE, "release.env": "TAG=1.36\n" });
    for (const flag of [["--env-file", "release.env"], ["--env-file=release.env"]]) {
      const result = await run([BIN, ...flag, "config", "--images"], dir);
      expect(result.stderr).toBe("");
      expect(result.stdout).toBe("busybox:1.36\n");
    }
  });

  it("arguments pass through the launcher unchanged (spaces, empty, a leading +)", async () => {
    const dir = project({ "+odd name.yaml": COMPOSE });
    const result = await run([BIN, "-f", "+odd name.yaml", "-p", "", "config", "--services"], dir);
    // `-p ""` arrives empty: berth then takes the directory's name, as Compose does.
    expect(result.stderr).toBe("");
    expect(result.stdout).toBe("web\n");
  });

  it("`node bin/berth.js` keeps working without the launcher", async () => {
    const dir = project({ "compose.yaml": COMPOSE });
    const result = await berth(["config", "--images"], { cwd: dir });
    expect(result.stdout).toBe("busybox:latest\n");
  });
});

describe("files that are not plain files", () => {
  // Before: each of these read until memory ran out.
  it("a source that never ends fails within a second, reading at most the bound", async () => {
    const dir = project({ "compose.yaml": "services:\n  web:\n    image: x\n    env_file: /dev/zero\n" });
    const cases: [string[], string][] = [
      [[BIN, "-f", "/dev/zero", "config"], "/dev/zero:1:1: file is larger than 8 MiB"],
      [[BIN, "-f", "/dev/urandom", "config"], "/dev/urandom:1:1: file is larger than 8 MiB"],
      [[BIN, "--env-file", "/dev/zero", "config"], "/dev/zero:1:1: file is larger than 8 MiB"],
      [[BIN, "config"], "/dev/zero:1:1: file is larger than 8 MiB"],
      // `yes | berth -f - config`: the launcher path goes in as $0, not into the script text.
      [["sh", "-c", 'yes | "$0" -f - config', BIN], "-:1:1: file is larger than 8 MiB"],
    ];
    for (const [command, first] of cases) {
      const result = await run(command, dir);
      expect(result.stderr.split("\n")[0]).toBe(first);
      expect(result.exitCode).toBe(1);
      expect(result.ms).toBeLessThan(5000); // the process, Node's start-up included (~0.2 s idle)
    }
  });

  it("a pipe is read as Compose reads it: -f <(cat compose.yaml), -f /dev/stdin", async () => {
    const dir = project({ "compose.yaml": COMPOSE });
    const substituted = await run(["bash", "-c", '"$0" -f <(cat compose.yaml) config --images', BIN], dir);
    expect(substituted.stderr).toBe("");
    expect(substituted.stdout).toBe("busybox:latest\n");
    const stdin = await run(["sh", "-c", '"$0" -f /dev/stdin config --images < compose.yaml', BIN], dir);
    expect(stdin.stdout).toBe("busybox:latest\n");
  });

  it("a symlink loop says so", async () => {
    const dir = project({});
    symlinkSync("b.yaml", path.join(dir, "a.yaml"));
    symlinkSync("a.yaml", path.join(dir, "b.yaml"));
    const result = await run([BIN, "-f", "a.yaml", "config"], dir);
    expect(result.stderr).toBe("a.yaml is a symlink loop\n");
    expect(result.exitCode).toBe(1);
  });
});

describe("YAML nested past any stack", () => {
  // Before: "invalid YAML: maximum call stack size exceeded".
  it("100000 brackets fail with a located sentence", async () => {
    const dir = project({ "compose.yaml": `x-deep: ${"[".repeat(100_000)}\n` });
    const result = await run([BIN, "config"], dir);
    expect(result.stderr).toBe("compose.yaml:1:509: nesting is deeper than 500 levels\n");
    expect(result.exitCode).toBe(1);
  });
});
