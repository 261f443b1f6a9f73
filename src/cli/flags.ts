/**
 * Flag values shared by several commands, parsed the way Docker Compose parses them; a bad value is
 * a UsageError naming the flag.
 */
import { UsageError } from "../errors.js";

/** `-t, --timeout`: whole seconds, 0 or more; undefined when the flag was not given. */
export function parseTimeout(text: string | undefined, flag = "--timeout"): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new UsageError(`invalid ${flag} value "${text}": expected whole seconds`);
  return Number(text);
}

/** `--tail`: a line count, or `all` (undefined). */
export function parseTail(text: string | undefined): number | undefined {
  if (text === undefined || text === "all") return undefined;
  if (!/^\d+$/.test(text)) throw new UsageError(`invalid --tail value "${text}": expected a number or "all"`);
  return Number(text);
}

/** A positive integer (`--index`). */
export function parsePositive(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1) {
    throw new UsageError(`invalid ${flag} value "${text}": expected a number from 1`);
  }
  return Number(text);
}

/**
 * `SERVICE=N` pairs (`up --scale`, `scale`) into a record; each service must be one of `known`.
 * A later pair for the same service wins, as repeated flags do.
 */
export function parseScale(
  pairs: readonly string[],
  known: ReadonlySet<string>,
  flag = "--scale",
): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const pair of pairs) {
    const match = /^([^=]+)=(\d+)$/.exec(pair);
    if (!match?.[1] || match[2] === undefined) {
      throw new UsageError(`invalid ${flag} value "${pair}": expected SERVICE=NUMBER`);
    }
    if (!known.has(match[1])) throw new UsageError(`no such service: ${match[1]}`);
    counts[match[1]] = Number(match[2]);
  }
  return counts;
}

const DURATION_UNITS_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** A Go duration (`10m`, `1h30m`, `1.5s`, `250ms`) in milliseconds, or undefined if `text` is not one. */
export function parseGoDuration(text: string): number | undefined {
  const whole = /^[-+]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/;
  if (!whole.test(text)) return undefined;
  const sign = text.startsWith("-") ? -1 : 1;
  let total = 0;
  for (const match of text.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) {
    total += Number(match[1]) * (DURATION_UNITS_MS[match[2] ?? ""] ?? 0);
  }
  return sign * total;
}

/**
 * `--since` / `--until` as the engine reads them: a duration back from `now` (`10m`, `1h30m`), an RFC 3339
 * date or date-time (`2024-05-01`, `2024-05-01T10:00:00Z`), or Unix seconds (`1714557600.5`).
 */
export function parseTimeArg(
  value: string | undefined,
  flag: string,
  now: Date = new Date(),
): Date | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  const duration = text === "0" ? undefined : parseGoDuration(text);
  if (duration !== undefined) return new Date(now.getTime() - duration);
  if (/^\d+(?:\.\d+)?$/.test(text)) return new Date(Number(text) * 1000);
  if (/^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:\d{2})?$/.test(text)) {
    const time = Date.parse(text.replace(" ", "T"));
    if (!Number.isNaN(time)) return new Date(time);
  }
  throw new UsageError(
    `invalid ${flag} value "${text}": expected a duration (10m, 1h30m), an RFC 3339 time (2024-05-01T10:00:00Z) or Unix seconds`,
  );
}
