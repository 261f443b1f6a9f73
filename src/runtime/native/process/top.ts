/**
 * top as Docker's engine answers it (moby daemon/top_unix.go): the host's `ps` with the caller's
 * arguments (default `-ef`) and `-q <pids>`, retried without `-q` for options that refuse it, its
 * output kept for the rows whose PID is one of the container's (from `runc ps`) — so the columns
 * are exactly ps's (UID PID PPID C STIME TTY TIME CMD for -ef) and any ps option works.
 */
import { execFile } from "node:child_process";
import { ApiError, ConflictError, InvalidRequestError } from "../../errors.js";
import { createRunc, RUNC_PATH } from "../containers/runc.js";
import { running } from "./freezer.js";
import type { ProcessHandle } from "./handle.js";

export interface TopResult {
  readonly titles: readonly string[];
  readonly processes: readonly (readonly string[])[];
}

/** moby's validatePSArgs: a column may not be renamed to PID (`-o pid=PID` is fine). */
export function validatePsArgs(psArgs: string): void {
  for (const match of psArgs.matchAll(/\s+(\S*)=\s*(PID\S*)/g)) {
    const key = match[1] ?? "";
    if (key !== "pid") throw new InvalidRequestError(`specifying "${key}=${match[2] ?? ""}" is not allowed`);
  }
}

/** Go's strings.FieldsFunc over ASCII whitespace only (moby's fieldsASCII). */
function fieldsAscii(line: string): string[] {
  return line.split(/[\t\n\f\r ]+/).filter((field) => field !== "");
}

/** moby's parsePSOutput: the rows of `pids`, extra fields joined into the last column. */
export function parsePsOutput(output: string, pids: readonly number[]): TopResult {
  const lines = output.split("\n");
  const titles = fieldsAscii(lines[0] ?? "");
  const pidIndex = titles.indexOf("PID");
  if (pidIndex < 0) throw new ApiError("Couldn't find PID field in ps output");
  const wanted = new Set(pids);
  const processes: string[][] = [];
  const append = (fields: string[]): void => {
    const last = titles.length - 1;
    processes.push([...fields.slice(0, last), fields.slice(last).join(" ")]);
  };
  // A thread line (`-m`) has "-" for its PID and belongs to the process line before it.
  let previousWanted = false;
  for (const line of lines.slice(1)) {
    if (line === "") continue;
    const fields = fieldsAscii(line);
    const pidField = fields[pidIndex] ?? "";
    if (pidField === "-") {
      if (previousWanted) append(fields);
      continue;
    }
    if (!/^[+-]?\d+$/.test(pidField)) throw new ApiError(`Unexpected pid '${pidField}'`);
    previousWanted = wanted.has(Number(pidField));
    if (previousWanted) append(fields);
  }
  return { titles, processes };
}

function ps(args: readonly string[]): Promise<{ ok: true; stdout: string } | { ok: false; stderr: string }> {
  return new Promise((resolve) => {
    execFile("ps", [...args], { maxBuffer: 64 * 1024 * 1024, timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) resolve({ ok: false, stderr: stderr || error.message });
      else resolve({ ok: true, stdout });
    });
  });
}

export async function top(handle: ProcessHandle, psArgs?: string): Promise<TopResult> {
  const argsText = psArgs === undefined || psArgs === "" ? "-ef" : psArgs;
  validatePsArgs(argsText);
  if (!(await running(handle))) throw new ConflictError(`container ${handle.id} is not running`);
  const pids = await createRunc(handle.runcRoot, handle.runc ?? RUNC_PATH).ps(handle.id);
  // Split on single spaces, as Docker does (strings.Split).
  const args = argsText.split(" ");
  let result = await ps([...args, `-q${pids.join(",")}`]);
  if (!result.ok) result = await ps(args); // some options (f) refuse -q
  if (!result.ok) throw new ApiError(`ps: ${result.stderr.split("\n")[0] ?? ""}`);
  return parsePsOutput(result.stdout, pids);
}
