/**
 * `e`: a shell in a container on this terminal, through the runtime's exec (a TTY session; never
 * a `docker exec` process). The terminal is the user's while it runs: raw keys go to the shell,
 * its output comes back as is, and the window size follows resizes. Resolves with the shell's
 * exit code once it ends; the caller has suspended the dashboard and restores it afterwards.
 */
import type { Runtime } from "../../runtime/runtime.js";
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from "../terminal/detach-keys.js";
import { joinTerminal, type Terminal, terminalSizeOf } from "../terminal/join.js";

export type { Terminal } from "../terminal/join.js";

export const SHELL_COMMAND: readonly string[] = ["sh"];

export async function runShell(runtime: Runtime, containerId: string, terminal: Terminal): Promise<number> {
  const session = await runtime.containers.exec(containerId, {
    command: SHELL_COMMAND,
    tty: true,
    consoleSize: terminalSizeOf(terminal.stdout),
    stdin: true,
    env: { TERM: process.env["TERM"] ?? "xterm" },
  });
  // The engine would detach on Docker's keys by itself and leave no exit code to wait for.
  const keys = parseDetachKeys(DEFAULT_DETACH_KEYS);
  const end = await joinTerminal(session, terminal, { tty: true, detachKeys: keys });
  return end === "detached" ? 0 : session.exitCode();
}
