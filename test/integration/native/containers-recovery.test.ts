/**
 * Native containers across berth processes, as root: state lives in files and in the monitor, not in
 * the process that made a container. A container created and started by a process that has exited
 * is seen, logged, stopped and removed by the next; a SIGKILLed monitor leaves its container
 * running (and the next command says the output is no longer logged, then stops and removes it
 * leaving nothing); a create SIGKILLed half-way is cleaned up by the next command (mount, record,
 * name, files).
 */
import { execFile, spawn } from "node:child_process";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { build } from "rolldown";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NativeContainers } from "../../../src/runtime/native/containers/containers.js";
import { removeCgroups } from "../../../src/runtime/native/containers/cgroups.js";
import { stillRuns } from "../../../src/runtime/native/containers/lock.js";
import { unmountRootfs } from "../../../src/runtime/native/images/rootfs.js";
import {
  claimName,
  containerLayout,
  nameOwner,
  readRecord,
  writeRecord,
} from "../../../src/runtime/native/containers/records.js";
import type { ContainerSpec } from "../../../src/runtime/runtime.js";
import { requireOrSkip } from "../engine.js";
import {
  closeNativeEnv,
  mountsUnder,
  nativeReady,
  NOT_READY,
  openNativeEnv,
  processesOf,
  TEST_IMAGE,
  traces,
  until,
  type NativeEnv,
} from "./containers-harness.js";

const run = promisify(execFile);
let env: NativeEnv | undefined;
let containers: NativeContainers;
let child = "";
const made: string[] = [];

const spec = (name: string, command: string[]): ContainerSpec => ({
  name,
  image: TEST_IMAGE,
  command,
  labels: { "berth.test": "native" },
});

describe("native containers: across processes", () => {
  beforeAll(async () => {
    if (!nativeReady) return;
    env = await openNativeEnv();
    containers = env.containers();
    child = path.join(env.dir, "child.mjs");
    await build({
      input: path.join(import.meta.dirname, "containers-child.ts"),
      platform: "node",
      external: [/^node:/],
      logLevel: "warn",
      output: { file: child, format: "esm" },
    });
  }, 60_000);

  afterAll(async () => {
    if (env) expect(await closeNativeEnv(env, containers, made), "traces left after the tests").toEqual([]);
  }, 30_000);

  it("sees, logs, stops and removes a container another process made and left", async (context) => {
    requireOrSkip(context, nativeReady, NOT_READY);
    const order = {
      env: env!.env,
      action: "run",
      spec: spec("berth-ct-other", ["sh", "-c", "echo from-child; exec sleep 60"]),
    };
    const { stdout } = await run(process.execPath, [child, JSON.stringify(order)], { timeout: 20_000 });
    const id = stdout.trim();
    made.push(id);
    const state = await containers.inspect("berth-ct-other");
    expect(state?.id).toBe(id);
    expect(state?.status).toBe("running");
    expect(state?.error).toBeUndefined();
    await until(5_000, "the line logged", async () => {
      for await (const line of containers.logs(id)) if (line.line === "from-child") return true;
      return false;
    });
    await containers.stop(id, { timeoutS: 1 });
    expect((await containers.inspect(id))?.exitCode).toBe(137);
    await containers.remove(id);
    expect(traces(env!, id)).toEqual([]);
  });

  it("keeps a container running when its monitor is SIGKILLed, and says so; stop and remove still work", async (context) => {
    requireOrSkip(context, nativeReady, NOT_READY);
    const { id } = await containers.create(spec("berth-ct-monitor", ["sleep", "60"]));
    made.push(id);
    await containers.start(id);
    const record = readRecord(env!.paths, id);
    const monitor = record?.run?.monitorPid;
    const pid = record?.run?.pid;
    expect(monitor).toBeGreaterThan(0);
    expect(readFileSync(`/proc/${monitor}/cmdline`, "utf8")).toContain("conmon");
    process.kill(monitor!, "SIGKILL");
    await until(
      5_000,
      "the monitor gone",
      () => !stillRuns({ pid: monitor!, start: record?.run?.monitorStart }),
    );

    const state = await containers.inspect(id);
    expect(state?.status).toBe("running");
    expect(state?.pid).toBe(pid);
    expect(state?.error).toContain("monitor is gone");
    expect((await containers.list({ labels: ["berth.test=native"] })).map((c) => c.id)).toContain(id);

    // Nobody reaps the exit code now: the container is reported exited, its code unknown (255).
    await containers.stop(id, { timeoutS: 1 });
    const stopped = await containers.inspect(id);
    expect(stopped?.status).toBe("exited");
    expect(stopped?.exitCode).toBe(255);
    expect(stopped?.error).toContain("exit code is unknown");
    await containers.remove(id);
    expect(processesOf(id)).toEqual([]);
    expect(traces(env!, id)).toEqual([]);
  });

  it("cleans up, in the next command, a create killed half-way", async (context) => {
    requireOrSkip(context, nativeReady, NOT_READY);
    const order = { env: env!.env, action: "hang-create", spec: spec("berth-ct-interrupted", ["true"]) };
    const process_ = spawn(process.execPath, [child, JSON.stringify(order)], { stdio: "ignore" });
    let id = "";
    try {
      await until(15_000, "a record being created", () => {
        for (const entry of readdirSync(env!.paths.containers)) {
          if (readRecord(env!.paths, entry)?.state === "creating") id = entry;
        }
        return id !== "" && mountsUnder(env!.dir).includes(containerLayout(env!.paths, id).rootfs);
      });
    } finally {
      process_.kill("SIGKILL");
    }
    await new Promise((resolve) => process_.once("exit", resolve));
    made.push(id);
    expect(traces(env!, id).length).toBeGreaterThan(0);
    expect(await containers.inspect("berth-ct-interrupted")).toBeUndefined();

    // The next command (any list or create) removes what the killed create left, name included.
    expect((await containers.list({ all: true })).map((c) => c.id)).not.toContain(id);
    expect(traces(env!, id)).toEqual([]);
    const { id: again } = await containers.create(spec("berth-ct-interrupted", ["true"]));
    made.push(again);
    await containers.remove(again);
  });

  it("a rename killed between its claim and its record's update holds no name: a rename takes it, a removal frees it", async (context) => {
    requireOrSkip(context, nativeReady, NOT_READY);
    const { id: a } = await containers.create(spec("berth-ct-rn-a", ["true"]));
    made.push(a);
    const { id: b } = await containers.create(spec("berth-ct-rn-b", ["true"]));
    made.push(b);
    // What the killed renames left: b claimed a name its record never got, and one more.
    expect(claimName(env!.paths, "berth-ct-rn-new", b)).toBe(true);
    expect(claimName(env!.paths, "berth-ct-rn-other", b)).toBe(true);
    await containers.rename(a, "berth-ct-rn-new");
    expect((await containers.inspect("berth-ct-rn-new"))?.id).toBe(a);
    await containers.remove(b);
    expect(nameOwner(env!.paths, "berth-ct-rn-other")).toBeUndefined();
    await containers.remove(a);
    expect(nameOwner(env!.paths, "berth-ct-rn-new")).toBeUndefined();
  });

  it("finishes, in the next command, a remove killed half-way with the container still running", async (context) => {
    requireOrSkip(context, nativeReady, NOT_READY);
    const { id } = await containers.create(spec("berth-ct-removing", ["sleep", "60"]));
    made.push(id);
    await containers.start(id);
    // As a remove leaves it when killed after marking the record: its owner gone, runc's container up.
    const gone = spawn("true");
    await new Promise((resolve) => gone.once("exit", resolve));
    const record = readRecord(env!.paths, id)!;
    writeRecord(env!.paths, { ...record, state: "removing", owner: { pid: gone.pid!, start: undefined } });
    expect((await containers.inspect(id))?.status).toBe("removing");

    expect((await containers.list({ all: true })).map((c) => c.id)).not.toContain(id);
    expect(traces(env!, id)).toEqual([]);
    const { id: again } = await containers.create(spec("berth-ct-removing", ["true"]));
    made.push(again);
    await containers.remove(again);
  });

  it("takes up, in the next command, a start killed after runc start and before its record update", async (context) => {
    requireOrSkip(context, nativeReady, NOT_READY);
    const { id } = await containers.create({
      ...spec("berth-ct-halfstarted", ["sleep", "60"]),
      healthcheck: { test: ["CMD", "true"], intervalNs: 60e9 },
    });
    made.push(id);
    await containers.start(id);
    // As a start leaves it when killed between \`runc start\` and the record update: the process
    // runs, the run is not marked started and has no start time.
    const record = readRecord(env!.paths, id)!;
    writeRecord(env!.paths, { ...record, startedAt: undefined, run: { ...record.run!, started: false } });

    const state = await containers.inspect(id);
    expect(state?.status).toBe("running");
    expect(state?.startedAt).toBeInstanceOf(Date);
    expect(state?.health).toBe("starting");
    const listed = await containers.list({ labels: ["berth.test=native"] });
    expect(listed.find((c) => c.id === id)?.health).toBe("starting");
    expect(readRecord(env!.paths, id)?.run?.started).toBe(true);
    await containers.remove(id, { force: true });
    expect(traces(env!, id)).toEqual([]);
  });

  it("after a reboot (processes gone, BERTH_RUN_ROOT and mounts wiped) reports exited 255 and starts again", async (context) => {
    requireOrSkip(context, nativeReady, NOT_READY);
    const { id } = await containers.create(spec("berth-ct-reboot", ["sh", "-c", "echo run; exec sleep 60"]));
    made.push(id);
    await containers.start(id);
    const logged = async (expected: string): Promise<boolean> => {
      const lines: string[] = [];
      for await (const line of containers.logs(id)) lines.push(line.line);
      return lines.join(",") === expected;
    };
    // Logged before the monitor dies (a line still in its pipe would die with it).
    await until(5_000, "the first run logged", () => logged("run"));
    const run = readRecord(env!.paths, id)!.run!;
    for (const pid of [run.monitorPid!, run.pid]) process.kill(pid, "SIGKILL");
    await until(5_000, "the processes gone", () => !stillRuns({ pid: run.pid, start: run.pidStart }));
    await unmountRootfs(containerLayout(env!.paths, id).rootfs);
    await removeCgroups(id);
    rmSync(env!.paths.run, { recursive: true, force: true });

    const state = await containers.inspect(id);
    expect(state?.status).toBe("exited");
    expect(state?.exitCode).toBe(255);
    await containers.start(id);
    expect((await containers.inspect(id))?.status).toBe("running");
    await until(5_000, "the second run logged after the first", () => logged("run,run"));
    await containers.remove(id, { force: true });
    expect(traces(env!, id)).toEqual([]);
  });
});
