/**
 * runc's own log (`--log-format json`): the messages of level error or fatal, which say that runc
 * failed (warnings, e.g. about oom_score_adj in some VMs, do not).
 */
import { fieldsOf } from "../../../json-shape.js";

export function runcErrorMessages(log: string): string[] {
  return runcLogEntries(log)
    .filter((entry) => entry.level === undefined || entry.level === "error" || entry.level === "fatal")
    .map((entry) => entry.msg);
}

/** One line of runc's JSON log; `level` is undefined for a line that is not JSON. */
export interface RuncLogEntry {
  readonly level: string | undefined;
  readonly msg: string;
}

/**
 * runc's log lines (`--log-format json`, on stderr or in `--log`): each JSON line with a message,
 * and each other line whole (runc wrote it before its logger was set up, so it counts as an error).
 */
export function runcLogEntries(log: string): RuncLogEntry[] {
  const entries: RuncLogEntry[] = [];
  for (const line of log.split("\n")) {
    const text = line.trim();
    if (text === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      entries.push({ level: undefined, msg: text });
      continue;
    }
    const { level, msg } = fieldsOf(value);
    if (typeof msg === "string") entries.push({ level: typeof level === "string" ? level : "", msg });
  }
  return entries;
}
