/**
 * The built CLI pointed at one backend of ../integration/orchestration/backends.ts: every call runs
 * with the opened backend's `cliEnv` (BERTH_RUNTIME, and on native its temporary BERTH_ROOT and
 * BERTH_RUN_ROOT), so one test body drives the CLI on Docker and on the native runtime alike.
 */
import { execa } from "execa";
import { readRecord } from "../../src/runtime/native/containers/records.js";
import { nativePaths } from "../../src/runtime/native/paths.js";
import type { BackendSuite } from "../integration/orchestration/backends.js";
import { berth, type CliResult, startBerth } from "./cli.js";

export interface BackendCli {
  /** `berth` as ./cli.ts runs it, on this backend (`env` adds to the backend's variables). */
  berth(
    args: readonly string[],
    options?: { cwd?: string; env?: Record<string, string>; input?: string },
  ): Promise<CliResult>;
  startBerth(
    args: readonly string[],
    options: { cwd: string; timeoutMs?: number },
  ): ReturnType<typeof startBerth>;
  /** The clean environment a test gives a CLI it starts itself (execa with a buffer, tmux). */
  env(): Record<string, string>;
  /** The restart policy's name the backend keeps for container `id` ("" or "no" when none). */
  restartPolicy(id: string): Promise<string>;
}

export function backendCli(suite: BackendSuite): BackendCli {
  const cliEnv = (): Record<string, string> => ({ ...suite.opened.cliEnv });
  return {
    berth: (args, options = {}) => berth(args, { ...options, env: { ...cliEnv(), ...options.env } }),
    startBerth: (args, options) => startBerth(args, { ...options, env: cliEnv() }),
    env: () => ({
      PATH: process.env["PATH"] ?? "/usr/bin:/bin",
      HOME: process.env["HOME"] ?? "/root",
      ...cliEnv(),
    }),
    async restartPolicy(id) {
      if (suite.backend.name === "native") {
        // The native runtime keeps the spec it was given with its record; no Engine JSON to ask.
        return readRecord(nativePaths(suite.opened.cliEnv), id)?.spec.restart?.name ?? "";
      }
      const result = await execa("docker", ["inspect", "-f", "{{.HostConfig.RestartPolicy.Name}}", id]);
      return result.stdout.trim();
    },
  };
}
