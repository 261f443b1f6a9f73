/**
 * Ctrl-C and SIGTERM while a command works: counted, so the first can stop gracefully and the second
 * force. The exit status after an interrupt is INTERRUPTED_EXIT_CODE (130), defined with the
 * interactive `up`'s steps.
 */
export { INTERRUPTED_EXIT_CODE } from "../ui/up-session.js";

/**
 * Calls `handler` with 1, 2, … and the signal on each SIGINT or SIGTERM; returns the function that
 * removes it.
 */
export function onInterrupt(handler: (count: number, signal: NodeJS.Signals) => void): () => void {
  let count = 0;
  const listener = (signal: NodeJS.Signals): void => handler(++count, signal);
  process.on("SIGINT", listener);
  process.on("SIGTERM", listener);
  return () => {
    process.off("SIGINT", listener);
    process.off("SIGTERM", listener);
  };
}
