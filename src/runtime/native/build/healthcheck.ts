/**
 * HEALTHCHECK as the classic builder parses it (buildkit `instructions/parse.go`
 * parseHealthcheck): `NONE`, or `[--interval|--timeout|--start-period|--start-interval|--retries]
 * CMD <command>` (exec form `["CMD", …]`, shell form `["CMD-SHELL", "…"]`), durations in Go's
 * syntax stored in nanoseconds, unset ones left out as Docker's omitempty leaves them. Pure.
 */
import { InvalidRequestError } from "../../errors.js";
import type { OciHealthcheck } from "../images/config.js";
import type { Instruction } from "./dockerfile.js";

const NS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Go's time.ParseDuration, in nanoseconds. */
export function parseGoDuration(text: string): number {
  const bad = (): never => {
    throw new InvalidRequestError(`time: invalid duration "${text}"`);
  };
  let s = text;
  let sign = 1;
  if (s.startsWith("-") || s.startsWith("+")) {
    if (s[0] === "-") sign = -1;
    s = s.slice(1);
  }
  if (s === "0") return 0;
  if (s === "") bad();
  let total = 0;
  const part = /^(\d*)(?:\.(\d*))?([^\d.]+)/;
  while (s !== "") {
    const m = part.exec(s);
    if (!m || (m[1] === "" && (m[2] ?? "") === "")) return bad();
    const unit = NS[m[3]!];
    if (unit === undefined)
      throw new InvalidRequestError(`time: unknown unit "${m[3]!}" in duration "${text}"`);
    total += Number(`${m[1] || "0"}.${m[2] || "0"}`) * unit;
    s = s.slice(m[0].length);
  }
  return sign * Math.round(total);
}

/** Go's Duration.String(): `1m30s`, `1.5s`, `500ms`, `0s`. */
export function formatGoDuration(ns: number): string {
  if (ns === 0) return "0s";
  const neg = ns < 0 ? "-" : "";
  let u = Math.abs(ns);
  const frac = (value: number, digits: number): string => {
    const whole = Math.floor(value / 10 ** digits);
    const rest = (value % 10 ** digits).toString().padStart(digits, "0").replace(/0+$/, "");
    return rest === "" ? `${whole}` : `${whole}.${rest}`;
  };
  if (u < 1e9) {
    if (u < 1e3) return `${neg}${u}ns`;
    if (u < 1e6) return `${neg}${frac(u, 3)}µs`;
    return `${neg}${frac(u, 6)}ms`;
  }
  const h = Math.floor(u / 3600e9);
  u -= h * 3600e9;
  const m = Math.floor(u / 60e9);
  u -= m * 60e9;
  const sec = `${frac(u, 9)}s`;
  if (h > 0) return `${neg}${h}h${m}m${sec}`;
  if (m > 0) return `${neg}${m}m${sec}`;
  return `${neg}${sec}`;
}

const FLAGS = new Set(["interval", "timeout", "start-period", "start-interval", "retries"]);

/** The config's Healthcheck for a HEALTHCHECK instruction. */
export function parseHealthcheck(ins: Instruction): OciHealthcheck {
  const [word = "", rest = ""] = ins.args.split(/\s+(.*)/s);
  const type = word.toUpperCase();
  if (type === "NONE") {
    if (rest.trim() !== "") throw new InvalidRequestError("HEALTHCHECK NONE takes no arguments");
    return { Test: ["NONE"] };
  }
  for (const flag of ins.flags)
    if (!FLAGS.has(flag.name)) throw new InvalidRequestError(`Unknown flag: ${flag.name}`);
  if (type !== "CMD") throw new InvalidRequestError(`Unknown type "${type}" in HEALTHCHECK (try CMD)`);
  const command = rest.trim();
  let test: string[] | undefined;
  if (command.startsWith("[")) {
    try {
      const parsed: unknown = JSON.parse(command);
      if (Array.isArray(parsed) && parsed.every((v): v is string => typeof v === "string"))
        test = ["CMD", ...parsed];
    } catch {
      // The shell form, as the parser falls back to it.
    }
  }
  if (test === undefined) {
    if (command === "") throw new InvalidRequestError("Missing command after HEALTHCHECK CMD");
    test = ["CMD-SHELL", command];
  }
  if (test.length === 1) throw new InvalidRequestError("Missing command after HEALTHCHECK CMD");
  const flag = (name: string): string | undefined => ins.flags.findLast((f) => f.name === name)?.value;
  const interval = (name: string): number | undefined => {
    const value = flag(name);
    if (value === undefined || value === "") return undefined;
    const ns = parseGoDuration(value);
    if (ns === 0) return undefined;
    if (ns < 1e6) throw new InvalidRequestError(`Interval "${name}" cannot be less than 1ms`);
    return ns;
  };
  let retries: number | undefined;
  const retriesText = flag("retries");
  if (retriesText !== undefined && retriesText !== "") {
    if (!/^[+-]?\d+$/.test(retriesText))
      throw new InvalidRequestError(`strconv.ParseInt: parsing "${retriesText}": invalid syntax`);
    retries = Number(retriesText);
    if (retries < 1) throw new InvalidRequestError(`--retries must be at least 1 (not ${retries})`);
  }
  const health: Record<string, number | readonly string[] | undefined> = {
    Test: test,
    Interval: interval("interval"),
    Timeout: interval("timeout"),
    StartPeriod: interval("start-period"),
    StartInterval: interval("start-interval"),
    Retries: retries,
  };
  return Object.fromEntries(Object.entries(health).filter(([, v]) => v !== undefined));
}

/** Go's %q of an int: a quoted character literal (`'\x03'`). */
function goQuoteRune(code: number): string {
  const named: Readonly<Record<number, string>> = {
    7: "\\a",
    8: "\\b",
    9: "\\t",
    10: "\\n",
    11: "\\v",
    12: "\\f",
    13: "\\r",
    39: "\\'",
    92: "\\\\",
  };
  if (named[code] !== undefined) return `'${named[code]}'`;
  if (code >= 0x20 && code < 0x7f) return `'${String.fromCharCode(code)}'`;
  if (code < 0x80) return `'\\x${code.toString(16).padStart(2, "0")}'`;
  return `'${String.fromCodePoint(code)}'`;
}

/** The history text dockerd writes: `HEALTHCHECK &{["CMD-SHELL" "x"] "30s" "0s" "0s" '\x03'}`. */
export function healthcheckHistory(h: OciHealthcheck): string {
  const test = `[${(h.Test ?? []).map((t) => JSON.stringify(t)).join(" ")}]`;
  const d = (ns: number | undefined): string => `"${formatGoDuration(ns ?? 0)}"`;
  const startInterval = h.StartInterval === undefined ? "" : ` ${d(h.StartInterval)}`;
  return `HEALTHCHECK &{${test} ${d(h.Interval)} ${d(h.Timeout)} ${d(h.StartPeriod)}${startInterval} ${goQuoteRune(h.Retries ?? 0)}}`;
}
