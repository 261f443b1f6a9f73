/**
 * Joins a runtime session (exec or attach) to this process's terminal: stdin goes in (half-closed
 * at its end, so the process sees EOF), output comes out on stdout and stderr with backpressure,
 * and for a TTY session the terminal is put in raw mode and its size follows resizes. Raw mode is
 * restored however the session ends (output done, detach keys, an error, or the process exiting).
 */
import type { Writable } from "node:stream";
import type { StreamSession, TerminalSize } from "../../runtime/runtime.js";
import { detachMatcher } from "./detach-keys.js";

export interface Terminal {
  readonly stdin: NodeJS.ReadStream;
  readonly stdout: NodeJS.WriteStream;
  readonly stderr?: NodeJS.WriteStream | undefined;
}

export interface JoinOptions {
  /** The session has a TTY: raw keys in, one raw stream out, the window size kept in step. */
  readonly tty: boolean;
  /** Keys that end the session without ending the process (TTY sessions only, as Docker). */
  readonly detachKeys?: Uint8Array | undefined;
  /**
   * Pass the end of stdin on (default). `attach` does not: on a container without StdinOnce the
   * engine would end the attached output with it (moby#38457) while the process runs on.
   */
  readonly halfClose?: boolean | undefined;
}

/**
 * The terminal's size, for a TTY made at that size (ContainerSpec.consoleSize, ExecSpec's); none
 * when `stdout` is not a terminal.
 */
export function terminalSizeOf(stdout: NodeJS.WriteStream): TerminalSize | undefined {
  return stdout.isTTY ? { rows: stdout.rows || 24, cols: stdout.columns || 80 } : undefined;
}

/** How the session ended: its output ended, or the user typed the detach keys. */
export type JoinEnd = "ended" | "detached";

export async function joinTerminal(
  session: StreamSession,
  terminal: Terminal,
  options: JoinOptions,
): Promise<JoinEnd> {
  const { stdin, stdout } = terminal;
  const stderr = terminal.stderr ?? stdout;
  const input = session.stdin;
  const cleanups: (() => void)[] = [];
  let detach!: () => void;
  const detached = new Promise<"detached">((resolve) => {
    detach = () => resolve("detached");
  });

  try {
    const size = terminalSizeOf(stdout);
    if (options.tty && size !== undefined) {
      const onResize = (): void => void session.resize(terminalSizeOf(stdout) ?? size).catch(() => undefined);
      await session.resize(size).catch(() => undefined);
      stdout.on("resize", onResize);
      cleanups.push(() => stdout.off("resize", onResize));
    }
    if (input) {
      if (stdin.isTTY) {
        stdin.setRawMode(true);
        // Should the process exit while the session runs, the shell still gets its terminal back.
        const restore = (): void => void stdin.setRawMode(false);
        process.once("exit", restore);
        cleanups.push(() => {
          process.off("exit", restore);
          restore();
        });
      }
      const keys = options.tty ? options.detachKeys : undefined;
      cleanups.push(pipeInput(stdin, input, { keys, halfClose: options.halfClose !== false }, detach));
    }
    const ended = (async (): Promise<"ended"> => {
      for await (const chunk of session.output) {
        const out = chunk.stream === "stderr" ? stderr : stdout;
        if (!out.write(chunk.data)) await new Promise((resolve) => out.once("drain", resolve));
      }
      return "ended";
    })();
    const end = await Promise.race([ended, detached]);
    if (end === "detached") ended.catch(() => undefined);
    return end;
  } finally {
    for (const cleanup of cleanups.reverse()) cleanup();
    session.close();
  }
}

/** stdin → the session's input, paused while the session is behind; returns the undo. */
function pipeInput(
  stdin: NodeJS.ReadStream,
  input: Writable,
  options: { readonly keys: Uint8Array | undefined; readonly halfClose: boolean },
  detach: () => void,
): () => void {
  const { keys } = options;
  const matcher = keys && keys.length > 0 ? detachMatcher(keys) : undefined;
  const onData = (chunk: Buffer | string): void => {
    let data = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    if (matcher) {
      const fed = matcher.feed(data);
      if (fed.detach) {
        if (fed.pass.length > 0) input.write(fed.pass);
        detach();
        return;
      }
      data = Buffer.from(fed.pass);
      if (data.length === 0) return;
    }
    if (!input.write(data)) {
      stdin.pause();
      input.once("drain", () => stdin.resume());
    }
  };
  // Half-close: the process reads EOF, and its remaining output still comes back.
  const onEnd = (): void => {
    if (options.halfClose) input.end();
  };
  // The process may exit (or close its stdin) before reading everything: that is not our failure.
  const onError = (): void => undefined;
  stdin.on("data", onData);
  stdin.once("end", onEnd);
  input.on("error", onError);
  stdin.resume();
  return () => {
    stdin.off("data", onData);
    stdin.off("end", onEnd);
    stdin.pause();
  };
}
