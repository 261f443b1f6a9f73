/**
 * The FIFO-stdio monitor wired into the native containers (docs/native-monitor.md), as root on real
 * runc and conmon: a container without tty/stdin_open writes into FIFOs it holds, the log drainer
 * writes its log.
 * - SIGKILL of the drainer mid-output and of the supervisor: the container runs on (a writer that is
 *   not its init included), nothing is logged meanwhile, the next command (`logs`) re-attaches a
 *   drainer, and the log holds every line once, in order; after `rm` no process holds a file of the
 *   container and the drainer leaves once idle.
 * - The end of a FIFO run's output: `logs` right after the exit, `logs --follow` and `attach` give
 *   every line, the last ones included.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import path from "node:path";
import { build } from "rolldown";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stillRuns } from "../../../src/runtime/native/containers/lock.js";
import type { NativeContainers } from "../../../src/runtime/native/containers/containers.js";
import { containerLayout, readRecord } from "../../../src/runtime/native/containers/records.js";
import { DRAINER_ENTRY_ENV, runningDrainer } from "../../../src/runtime/native/monitor/log-drainer.js";
import { createNativeRuntime } from "../../../src/runtime/native/native-runtime.js";
import { runningSupervisor } from "../../../src/runtime/native/supervise/ensure.js";
import type { ContainerSpec, LogLine } from "../../../src/runtime/runtime.js";
import { requireOrSkip } from "../engine.js";
import {
  closeNativeEnv,
  nativeReady,
  NOT_READY,
  openNativeEnv,
  TEST_IMAGE,
  traces,
  until,
  type NativeEnv,
} from "./containers-harness.js";

let env: NativeEnv | undefined;
let containers: NativeContainers;
const made: string[] = [];
let previousEntry: string | undefined;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const numbered = (prefix: string, count: number): string[] =>
  Array.from({ length: count }, (_, i) => `${prefix} ${i + 1}`);

async function create(extra: Partial<ContainerSpec> & { name: string }): Promise<string> {
  const { id } = await containers.create({
    image: TEST_IMAGE,
    labels: { "berth.test": "native" },
    networkMode: "none",
    ...extra,
  });
  made.push(id);
  return id;
}

async function logsOf(id: string, options = {}): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  for await (const line of containers.logs(id, { signal: AbortSignal.timeout(20_000), ...options }))
    lines.push(line);
  return lines;
}

const texts = (lines: readonly LogLine[], stream: "stdout" | "stderr"): string[] =>
  lines.filter((l) => l.stream === stream).map((l) => l.line);

/** The stdout records in the container's log file, read without any command (no re-attach). */
function loggedOut(id: string): number {
  try {
    return readFileSync(containerLayout(env!.paths, id).log, "utf8")
      .split("\n")
      .filter((line) => / stdout F /.test(line)).length;
  } catch {
    return 0;
  }
}

/** Processes holding a file whose path names `id` (the drainer's FIFOs and log included). */
function holdersOf(id: string): string[] {
  const held: string[] = [];
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        if (target.includes(id)) held.push(`${pid}: ${target}`);
      } catch {
        // Closed meanwhile.
      }
    }
  }
  return held;
}

describe("native containers: FIFO stdio and the log drainer", () => {
  beforeAll(async () => {
    if (!nativeReady) return;
    env = await openNativeEnv();
    containers = env.containers();
    // The real drainer, with short rescan and idle times (monitor-child.ts).
    const entry = path.join(env.dir, "drainer.mjs");
    await build({
      input: path.join(import.meta.dirname, "monitor-child.ts"),
      platform: "node",
      external: [/^node:/],
      logLevel: "warn",
      output: { file: entry, format: "esm" },
    });
    previousEntry = process.env[DRAINER_ENTRY_ENV];
    process.env[DRAINER_ENTRY_ENV] = entry;
  }, 60_000);

  afterAll(async () => {
    if (previousEntry === undefined) delete process.env[DRAINER_ENTRY_ENV];
    else process.env[DRAINER_ENTRY_ENV] = previousEntry;
    if (!env) return;
    const left = await closeNativeEnv(env, containers, made);
    expect(left, "traces left after the tests").toEqual([]);
  }, 60_000);

  it("a SIGKILLed drainer and supervisor lose no container and no line; the next command re-attaches", async (context) => {
    requireOrSkip(context, nativeReady, NOT_READY);
    const count = 150;
    const id = await create({
      name: "berth-mon-kill",
      // The writer is a child of the init (SIGPIPE would kill it, unlike a namespace's PID 1).
      command: [
        "sh",
        "-c",
        `sh -c 'i=0; while [ $i -lt ${count} ]; do i=$((i+1)); echo out $i; echo err $i >&2; sleep 0.02; done'; sleep 3600`,
      ],
      // A restart policy: the supervisor runs for it.
      restart: { name: "unless-stopped" },
    });
    await containers.start(id);
    const pid = readRecord(env!.paths, id)?.run?.pid;
    expect(pid).toBeGreaterThan(0);
    await until(10_000, "the first lines logged", () => loggedOut(id) >= 10);
    const drainer = runningDrainer(env!.paths);
    const supervisor = runningSupervisor(env!.paths);
    expect(drainer, "a log drainer runs").toBeDefined();
    expect(supervisor, "the supervisor runs").toBeDefined();
    process.kill(drainer!.pid, "SIGKILL");
    process.kill(supervisor!.pid, "SIGKILL");
    await until(
      5_000,
      "the drainer and the supervisor gone",
      () => !stillRuns(drainer!) && !stillRuns(supervisor!),
    );
    const atKill = loggedOut(id);
    expect(atKill, "killed mid-output").toBeLessThan(count);
    await sleep(1_000);
    // Nobody drains: the container prints on into its FIFOs, nothing of it logged yet.
    expect(stillRuns({ pid: pid!, start: undefined }), "the container runs on").toBe(true);
    expect(loggedOut(id)).toBe(atKill);
    expect(runningDrainer(env!.paths), "no drainer until a command comes").toBeUndefined();

    // The next command: logs re-attaches a drainer, which reads where the FIFOs are.
    let lines = await logsOf(id);
    await until(5_000, "a drainer started by logs", () => runningDrainer(env!.paths) !== undefined);
    await until(20_000, "every line logged", async () => {
      lines = await logsOf(id);
      return texts(lines, "stdout").length >= count && texts(lines, "stderr").length >= count;
    });
    expect(texts(lines, "stdout"), "every stdout line once, in order").toEqual(numbered("out", count));
    expect(texts(lines, "stderr"), "every stderr line once, in order").toEqual(numbered("err", count));
    expect((await containers.inspect(id))?.status).toBe("running");

    await containers.remove(id, { force: true });
    expect(traces(env!, id)).toEqual([]);
    await until(5_000, "no process holds a file of the container", () => holdersOf(id).length === 0);
    // With nothing left to drain, the drainer leaves (idle 1 s in this test's build).
    const last = runningDrainer(env!.paths);
    await until(10_000, "the drainer gone once idle", () => last === undefined || !stillRuns(last));
  }, 90_000);

  it("gives a FIFO run's last lines to logs right after its exit, to logs --follow and to attach", async (context) => {
    requireOrSkip(context, nativeReady, NOT_READY);
    const count = 3_000;
    const id = await create({
      name: "berth-mon-end",
      command: [
        "sh",
        "-c",
        `i=0; while [ $i -lt ${count} ]; do i=$((i+1)); echo line $i; done; echo bye >&2`,
      ],
    });
    // The Runtime's attach (process io wired in, as berth's commands have it).
    const runtime = createNativeRuntime({ env: env!.env });
    const attached = await runtime.containers.attach(id, { logs: true, signal: AbortSignal.timeout(20_000) });
    await containers.start(id);
    const follow = logsOf(id, { follow: true });
    expect(await containers.wait(id, { signal: AbortSignal.timeout(20_000) })).toEqual({ exitCode: 0 });
    const after = await logsOf(id);
    expect(texts(after, "stdout"), "logs right after the exit").toEqual(numbered("line", count));
    expect(texts(after, "stderr")).toEqual(["bye"]);
    const followed = await follow;
    expect(texts(followed, "stdout"), "logs --follow ends after the last line").toEqual(
      numbered("line", count),
    );
    expect(texts(followed, "stderr")).toEqual(["bye"]);
    let out = "";
    let err = "";
    for await (const chunk of attached.output) {
      const text = Buffer.from(chunk.data).toString("utf8");
      if (chunk.stream === "stdout") out += text;
      else err += text;
    }
    expect(out.split("\n").slice(0, -1), "attach ends after the last line").toEqual(numbered("line", count));
    expect(err).toBe("bye\n");
  }, 60_000);

  it("starts a created container through runc's exec FIFO, in this process: runc then reports it running", async (context) => {
    requireOrSkip(context, nativeReady, NOT_READY);
    const id = await create({ name: "berth-mon-start", command: ["sh", "-c", "echo up; exec sleep 60"] });
    for (let run = 1; run <= 2; run++) {
      await containers.start(id);
      expect(existsSync(path.join(env!.paths.runc, id, "exec.fifo")), "the exec FIFO consumed").toBe(false);
      const state = JSON.parse(
        execFileSync("/usr/sbin/runc", ["--root", env!.paths.runc, "state", id], { encoding: "utf8" }),
      ) as { status: string; pid: number };
      expect(state.status).toBe("running");
      expect(state.pid).toBe(readRecord(env!.paths, id)?.run?.pid);
      await until(5_000, "its line logged", async () => texts(await logsOf(id), "stdout").length === run);
      await containers.stop(id, { timeoutS: 1 });
    }
    expect(texts(await logsOf(id), "stdout")).toEqual(["up", "up"]);
    await containers.remove(id);
    expect(traces(env!, id)).toEqual([]);
  }, 60_000);
});
