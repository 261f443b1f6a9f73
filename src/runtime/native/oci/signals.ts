/**
 * Signal names and numbers on Linux, parsed as Docker parses `stop_signal`, an image's StopSignal
 * and `kill -s` (moby v20.10.24 `pkg/signal`): a number (`15`), or a name with or without `SIG` in
 * any case (`SIGTERM`, `term`), including the real-time ones (`SIGRTMIN+3`, `RTMAX-1`).
 * Unlike Docker, a number outside 1–64 is refused here rather than at the first stop.
 */
import { InvalidRequestError } from "../../errors.js";

const SIGRTMIN = 34;
const SIGRTMAX = 64;

/** Canonical names first: the number → name direction takes the first name of each number. */
const NAMED: readonly (readonly [string, number])[] = [
  ["HUP", 1],
  ["INT", 2],
  ["QUIT", 3],
  ["ILL", 4],
  ["TRAP", 5],
  ["ABRT", 6],
  ["BUS", 7],
  ["FPE", 8],
  ["KILL", 9],
  ["USR1", 10],
  ["SEGV", 11],
  ["USR2", 12],
  ["PIPE", 13],
  ["ALRM", 14],
  ["TERM", 15],
  ["STKFLT", 16],
  ["CHLD", 17],
  ["CONT", 18],
  ["STOP", 19],
  ["TSTP", 20],
  ["TTIN", 21],
  ["TTOU", 22],
  ["URG", 23],
  ["XCPU", 24],
  ["XFSZ", 25],
  ["VTALRM", 26],
  ["PROF", 27],
  ["WINCH", 28],
  ["IO", 29],
  ["PWR", 30],
  ["SYS", 31],
  // Aliases Docker also accepts.
  ["IOT", 6],
  ["CLD", 17],
  ["POLL", 29],
];

function realtimeNames(): [string, number][] {
  const names: [string, number][] = [["RTMIN", SIGRTMIN]];
  for (let i = 1; i <= 15; i++) names.push([`RTMIN+${i}`, SIGRTMIN + i]);
  for (let i = 14; i >= 1; i--) names.push([`RTMAX-${i}`, SIGRTMAX - i]);
  names.push(["RTMAX", SIGRTMAX]);
  return names;
}

const BY_NAME: ReadonlyMap<string, number> = new Map([...NAMED, ...realtimeNames()]);
const BY_NUMBER: ReadonlyMap<number, string> = new Map(
  [...BY_NAME].reverse().map(([name, n]) => [n, `SIG${name}`]),
);

/** A signal's number; rejects with `Invalid signal: <text>` as Docker words it. */
export function parseSignal(raw: string): number {
  if (/^[+-]?\d+$/.test(raw)) {
    const n = Number(raw);
    if (n >= 1 && n <= SIGRTMAX) return n;
    throw new InvalidRequestError(`Invalid signal: ${raw}`);
  }
  const upper = raw.toUpperCase();
  const n = BY_NAME.get(upper.startsWith("SIG") ? upper.slice(3) : upper);
  if (n === undefined) throw new InvalidRequestError(`Invalid signal: ${raw}`);
  return n;
}

/** `SIGTERM` for 15, `SIGRTMIN+3` for 37; `undefined` for a number no signal has. */
export function signalName(n: number): string | undefined {
  return BY_NUMBER.get(n);
}

/**
 * The signal `stop` sends first: the service's `stop_signal`, else the image's StopSignal, else
 * SIGTERM (Docker's `Container.StopSignal`).
 */
export function stopSignal(serviceSignal: string | undefined, imageSignal: string | undefined): number {
  const raw = serviceSignal !== undefined && serviceSignal !== "" ? serviceSignal : imageSignal;
  return raw !== undefined && raw !== "" ? parseSignal(raw) : 15;
}
