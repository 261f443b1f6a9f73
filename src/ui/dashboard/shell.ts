/**
 * `e`: a shell in a container on this terminal, through the runtime's exec (a TTY session; never
 * a `docker exec` process). The terminal is the user's while it runs: raw keys go to the shell,
 * its output comes back as is, and the window size follows resizes. Resolves with the shell's
 * exit code once it ends; the caller has suspended the dashboard and restores it afterwards.
 */
import type { Runtime } from "../../runtime/runtime.js";

export interface Terminal {
  readonly stdin: NodeJS.ReadStream;
  readonly stdout: NodeJS.WriteStream;
}

export const SHELL_COMMAND: readonly string[] = ["sh"];

export async function runShell(runtime: Runtime, containerId: string, terminal: Terminal): Promise<number> {
  const { stdin, stdout } = terminal;
  const session = await runtime.containers.exec(containerId, {
    command: SHELL_COMMAND,
    tty: true,
    stdin: true,
    env: { TERM: process.env["TERM"] ?? "xterm" },
  });
  const size = (): { rows: number; cols: number } => ({
    rows: stdout.rows || 24,
    cols: stdout.columns || 80,
  });
  const onResize = (): void => void session.resize(size()).catch(() => undefined);
  const onData = (chunk: Buffer | string): void => void session.stdin?.write(chunk);
  await session.resize(size()).catch(() => undefined);
  stdout.on("resize", onResize);
  if (stdin.isTTY) stdin.setRawMode(true);
  stdin.on("data", onData);
  stdin.resume();
  try {
    for await (const chunk of session.output) stdout.write(chunk.data);
    return await session.exitCode();
  } finally {
    stdin.off("data", onData);
    stdin.pause();
    if (stdin.isTTY) stdin.setRawMode(false);
    stdout.off("resize", onResize);
    session.close();
  }
}
