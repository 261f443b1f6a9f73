/** Runs the built CLI (bin/berth.js) as a user would: a real process, real files, its exit code and output. */
import path from "node:path";
import { execa } from "execa";

export const repoRoot = path.resolve(import.meta.dirname, "../..");
const bin = path.join(repoRoot, "bin", "berth.js");
/**
 * The tests' images and stacks are on the Docker Engine (vitest.config.ts): the clean environment
 * keeps that one variable of the test's own.
 */
export const CLI_RUNTIME = process.env["BERTH_RUNTIME"] ?? "docker";

export interface CliResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function berth(
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string>; input?: string } = {},
): Promise<CliResult> {
  const result = await execa(process.execPath, [bin, ...args], {
    cwd: options.cwd ?? repoRoot,
    // A clean environment: only what the test sets, so the machine's variables cannot leak in.
    env: {
      PATH: process.env["PATH"] ?? "/usr/bin:/bin",
      HOME: process.env["HOME"] ?? "/root",
      BERTH_RUNTIME: CLI_RUNTIME,
      ...options.env,
    },
    extendEnv: false,
    stripFinalNewline: false,
    reject: false,
    timeout: 20_000,
    ...(options.input === undefined ? {} : { input: options.input }),
  });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/**
 * The built CLI started in the background with the same clean environment, for tests that signal it
 * while it runs (an attached `up`): the process, and what it has printed so far.
 */
export function startBerth(
  args: readonly string[],
  options: { cwd: string; timeoutMs?: number; env?: Record<string, string> },
) {
  const child = execa(process.execPath, [bin, ...args], {
    cwd: options.cwd,
    env: {
      PATH: process.env["PATH"] ?? "/usr/bin:/bin",
      HOME: process.env["HOME"] ?? "/root",
      BERTH_RUNTIME: CLI_RUNTIME,
      ...options.env,
    },
    extendEnv: false,
    reject: false,
    timeout: options.timeoutMs ?? 45_000,
  });
  const output = { stdout: "", stderr: "" };
  child.stdout?.on("data", (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output.stderr += chunk.toString()));
  return { child, output };
}
