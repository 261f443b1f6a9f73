/**
 * Durations and byte sizes as Compose reads and prints them: Go's `time.ParseDuration` (plus `d`
 * and `w`) and `Duration.String()`, go-units' `RAMInBytes`, and Go's `strconv.ParseFloat`.
 */

const MAX_INT64 = (1n << 63n) - 1n;
const DURATION_UNITS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n, // U+00B5 micro sign
  μs: 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
  d: 86_400_000_000_000n,
  w: 604_800_000_000_000n,
};

/** One whole number and a unit, as nearly every duration in a compose file is written. */
const SIMPLE_DURATION = /^(\d{1,15})(ns|us|µs|μs|ms|s|m|h|d|w)$/;

/**
 * A duration as Compose reads it (go-str2duration: Go's `time.ParseDuration` plus `d` and `w`):
 * `1m30s`, `1.5h`, `300ms`, `10us`, `2d`, `-1s`, `0`. Returns nanoseconds; throws an Error whose
 * message starts with `invalid duration "<text>"`.
 */
export function parseDuration(text: string): number {
  const simple = SIMPLE_DURATION.exec(text);
  if (simple) {
    // `10s`, `500ms`: exact in floating point while the result is a safe integer; else the general path.
    const ns = Number(simple[1]) * Number(DURATION_UNITS[simple[2] ?? ""]);
    if (Number.isSafeInteger(ns)) return ns;
  }
  const invalid = (detail?: string): Error =>
    new Error(`invalid duration ${JSON.stringify(text)}${detail ? `: ${detail}` : ""}`);
  let s = text;
  let negative = false;
  if (s.startsWith("-") || s.startsWith("+")) {
    negative = s.startsWith("-");
    s = s.slice(1);
  }
  if (s === "0") return 0;
  if (s === "") throw invalid();
  let total = 0n;
  while (s !== "") {
    if (!(s[0] === "." || isAsciiDigit(s[0]))) throw invalid();
    let i = 0;
    while (i < s.length && isAsciiDigit(s[i])) i++;
    const intPart = s.slice(0, i);
    let v = intPart === "" ? 0n : BigInt(intPart);
    if (v > MAX_INT64) throw invalid();
    s = s.slice(i);
    let fraction = 0n;
    let scale = 1;
    let post = false;
    if (s.startsWith(".")) {
      s = s.slice(1);
      let j = 0;
      let overflow = false;
      while (j < s.length && isAsciiDigit(s[j])) {
        if (!overflow) {
          if (fraction > MAX_INT64 / 10n) overflow = true;
          else {
            fraction = fraction * 10n + BigInt(Number(s[j]));
            scale *= 10;
          }
        }
        j++;
      }
      post = j > 0;
      s = s.slice(j);
    }
    if (intPart === "" && !post) throw invalid();
    let u = 0;
    while (u < s.length && s[u] !== "." && !isAsciiDigit(s[u])) u++;
    if (u === 0) throw invalid("missing unit");
    const unitName = s.slice(0, u);
    s = s.slice(u);
    const unit = DURATION_UNITS[unitName];
    if (unit === undefined) throw invalid(`unknown unit ${JSON.stringify(unitName)}`);
    if (v > MAX_INT64 / unit) throw invalid();
    v *= unit;
    if (fraction > 0n) {
      v += BigInt(Math.trunc(Number(fraction) * (Number(unit) / scale)));
      if (v > MAX_INT64) throw invalid();
    }
    total += v;
    if (total > MAX_INT64) throw invalid();
  }
  return Number(negative ? -total : total);
}

/** Go's `time.Duration.String()`: `1m30s`, `10s`, `1h30m0s`, `1.5s`, `300ms`, `10µs`, `0s`. */
export function formatDuration(ns: number): string {
  const negative = ns < 0;
  let u = BigInt(Math.trunc(Math.abs(ns)));
  let out: string;
  if (u < 1_000_000_000n) {
    if (u === 0n) return "0s";
    let precision: number;
    let unit: string;
    if (u < 1_000n) {
      precision = 0;
      unit = "ns";
    } else if (u < 1_000_000n) {
      precision = 3;
      unit = "µs";
    } else {
      precision = 6;
      unit = "ms";
    }
    const [fraction, whole] = formatFraction(u, precision);
    out = `${whole}${fraction}${unit}`;
  } else {
    const [fraction, seconds] = formatFraction(u, 9);
    u = seconds;
    out = `${u % 60n}${fraction}s`;
    u /= 60n;
    if (u > 0n) {
      out = `${u % 60n}m${out}`;
      u /= 60n;
      if (u > 0n) out = `${u}h${out}`;
    }
  }
  return negative ? `-${out}` : out;
}

/** `.ddd` (trailing zeros dropped, empty when zero) of the last `precision` digits, and the rest. */
function formatFraction(v: bigint, precision: number): [string, bigint] {
  const divisor = 10n ** BigInt(precision);
  const digits = precision === 0 ? "" : (v % divisor).toString().padStart(precision, "0").replace(/0+$/, "");
  return [digits === "" ? "" : `.${digits}`, v / divisor];
}

const BINARY_UNITS: Readonly<Record<string, number>> = {
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
  p: 1024 ** 5,
};

/**
 * A size as go-units `RAMInBytes` reads it: a decimal number, optionally followed (after an
 * optional space) by `b`, `k`, `m`, `g`, `t`, `p` with an optional `b` / `ib` — all binary
 * (`512m` = `512MB` = `512MiB` = 536870912). Case-insensitive. Throws on anything else.
 */
export function parseBytes(text: string): number {
  let sep = -1;
  for (let i = text.length - 1; i >= 0; i--) {
    if ("0123456789. ".includes(text[i] ?? "")) {
      sep = i;
      break;
    }
  }
  if (sep === -1) throw new Error(`invalid size ${JSON.stringify(text)}`);
  const num = text[sep] === " " ? text.slice(0, sep) : text.slice(0, sep + 1);
  let suffix = text.slice(sep + 1);
  const size = goParseFloat(num);
  if (size === undefined || size < 0) throw new Error(`invalid size ${JSON.stringify(text)}`);
  if (suffix.length === 0) return Math.trunc(size);
  const badSuffix = (): Error =>
    new Error(`invalid size ${JSON.stringify(text)}: invalid suffix '${suffix}'`);
  if (suffix.length > 3) throw badSuffix();
  suffix = suffix.toLowerCase();
  if (suffix[0] === "b") {
    if (suffix.length > 1) throw badSuffix();
    return Math.trunc(size);
  }
  const multiplier = BINARY_UNITS[suffix[0] ?? ""];
  if (multiplier === undefined) throw badSuffix();
  if (suffix.length === 2 && suffix[1] !== "b") throw badSuffix();
  if (suffix.length === 3 && suffix.slice(1) !== "ib") throw badSuffix();
  return Math.trunc(size * multiplier);
}

/** Go's `strconv.ParseFloat` on a decimal number; `undefined` when it is not one. */
export function goParseFloat(text: string): number | undefined {
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return Number(text);
  if (/^[+-]?(inf|infinity)$/i.test(text)) return text.startsWith("-") ? -Infinity : Infinity;
  return undefined;
}

function isAsciiDigit(c: string | undefined): boolean {
  return c !== undefined && c >= "0" && c <= "9";
}
