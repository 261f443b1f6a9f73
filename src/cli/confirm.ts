/**
 * A yes/no question on stdout answered on stdin, as Compose's prompt asks it (`pkg/prompt`): on a
 * terminal `message [y/N]: ` until the answer is y, yes, n, no or empty (the default); from a pipe
 * the message and one line, read as Go's `StringToBool` reads it (y, 1, t, true), end of input
 * being no.
 */
import { createInterface } from "node:readline";

export async function confirm(message: string, defaultValue = false): Promise<boolean> {
  const terminal = process.stdin.isTTY === true;
  const lines = createInterface({ input: process.stdin, terminal: false });
  const iterator = lines[Symbol.asyncIterator]();
  const nextLine = async (): Promise<string | undefined> => {
    const next = await iterator.next();
    return next.done === true ? undefined : String(next.value);
  };
  try {
    if (!terminal) {
      process.stdout.write(message);
      return stringToBool((await nextLine()) ?? "");
    }
    for (let asked = 0; asked < 100; asked++) {
      process.stdout.write(`${message} ${defaultValue ? "[Y/n]" : "[y/N]"}: `);
      const answer = await nextLine();
      if (answer === undefined) return false;
      const word = answer.trim().toLowerCase();
      if (word === "") return defaultValue;
      if (word === "y" || word === "yes") return true;
      if (word === "n" || word === "no") return false;
    }
    return false;
  } finally {
    lines.close();
  }
}

/** Go's strconv.ParseBool after lower-casing, plus "y" (compose's utils.StringToBool). */
export function stringToBool(text: string): boolean {
  const word = text.trim().toLowerCase();
  return word === "y" || word === "1" || word === "t" || word === "true";
}
