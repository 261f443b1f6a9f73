/** A stream stand-in that keeps every write, so tests can check what was written and in how many writes. */
import type { TextOut } from "../../../src/ui/progress.js";

export interface Recorder extends TextOut {
  readonly writes: string[];
  text(): string;
}

export function recorder(shape: { isTTY?: boolean; columns?: number; rows?: number } = {}): Recorder {
  const writes: string[] = [];
  return {
    ...shape,
    writes,
    write(text: string): boolean {
      writes.push(text);
      return true;
    },
    text: () => writes.join(""),
  };
}

/** Removes ANSI escape sequences (colours, cursor moves). */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");
}
