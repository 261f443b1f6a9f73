/**
 * One healthcheck probe: `runc exec` of the check in the running container (its user, env and cwd
 * come from the bundle's config.json), stdout and stderr into one bounded buffer as Docker keeps
 * them. Over the timeout the probe's own process (from `--pid-file`) and runc are killed, so slow
 * probes do not pile up, and the result is Docker's timeout result.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { type HealthConfig, outputCollector, type ProbeResult, timeoutResult } from "./health.js";
import { markExecUse } from "../exec-marker.js";

export interface ProbeTarget {
  readonly runcPath: string;
  readonly runcRoot: string;
  readonly id: string;
  /** A directory for the probe's pid file (the container's bundle: removed with it). */
  readonly scratchDir: string;
}

/** How long to wait for the pipes to close after the probe process exited or was killed. */
const DRAIN_MS = 2_000;

function kill(pid: number | undefined): void {
  if (pid === undefined || pid <= 0) return;
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // Gone already.
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, "utf8").trim(), 10);
    return Number.isSafeInteger(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function runProbe(
  target: ProbeTarget,
  config: HealthConfig,
  signal?: AbortSignal,
): Promise<ProbeResult> {
  const start = new Date();
  const failed = (output: string): ProbeResult => ({
    exitCode: -1,
    output,
    start: start.toISOString(),
    end: new Date().toISOString(),
  });
  if (config.argv.length === 0) return Promise.resolve(failed("no command given to the healthcheck"));
  // A container being removed has no runc state any more: no probe may start to outlive it.
  if (!existsSync(path.join(target.runcRoot, target.id))) {
    return Promise.resolve(failed("the container is gone"));
  }
  const pidFile = path.join(
    target.scratchDir,
    `probe-${target.id.slice(0, 12)}-${process.pid}-${start.getTime()}.pid`,
  );
  const args = ["--root", target.runcRoot, "exec", "--pid-file", pidFile, target.id, ...config.argv];
  markExecUse(target.scratchDir);
  return new Promise<ProbeResult>((resolve) => {
    const output = outputCollector();
    let settled = false;
    let timedOut = false;
    let exitCode: number | null = null;
    const child = spawn(target.runcPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    const finish = (result: ProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(drain);
      signal?.removeEventListener("abort", stop);
      rmSync(pidFile, { force: true });
      resolve(result);
    };
    const stop = (): void => {
      kill(readPid(pidFile));
      kill(child.pid);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, config.timeoutMs);
    let drain: NodeJS.Timeout | undefined;
    signal?.addEventListener("abort", stop, { once: true });
    child.stdout.on("data", (chunk: Buffer) => output.add(chunk));
    child.stderr.on("data", (chunk: Buffer) => output.add(chunk));
    const done = (): void => {
      if (timedOut) finish(timeoutResult(config, start, new Date()));
      else if (exitCode === null) finish(failed("the healthcheck's runc exec was killed"));
      else
        finish({
          exitCode,
          output: output.text(),
          start: start.toISOString(),
          end: new Date().toISOString(),
        });
    };
    child.on("error", (error) => finish(failed(`runc exec: ${error.message}`)));
    child.on("exit", (code) => {
      exitCode = code;
      // A process the probe left behind may hold the pipes open: do not wait for it forever.
      drain = setTimeout(done, DRAIN_MS);
    });
    child.on("close", done);
  });
}
