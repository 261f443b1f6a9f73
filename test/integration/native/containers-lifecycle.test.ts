/**
 * The native container lifecycle on the real host, as root: runc under a conmon monitor, the rootfs
 * an overlay of the imported busybox image. Create, start, inspect, logs (both streams, tail,
 * timestamps, follow), stop with the spec's stop signal and grace, kill with a chosen signal, wait
 * for exit codes, name conflicts, rename, and remove leaving nothing: no mount, process, cgroup or
 * file of the container (read from /proc/mounts, the process table and the cgroup tree).
 */
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConflictError, InvalidRequestError, NotFoundError } from "../../../src/runtime/errors.js";
import type { NativeContainers } from "../../../src/runtime/native/containers/containers.js";
import { containerLayout } from "../../../src/runtime/native/containers/records.js";
import { readEvents } from "../../../src/runtime/native/events.js";
import type { ContainerSpec, LogLine, RuntimeEvent } from "../../../src/runtime/runtime.js";
import { requireOrSkip } from "../engine.js";
import {
  closeNativeEnv,
  nativeReady,
  NOT_READY,
  openNativeEnv,
  processesOf,
  rejection,
  TEST_IMAGE,
  traces,
  until,
  type NativeEnv,
} from "./containers-harness.js";

let env: NativeEnv | undefined;
let containers: NativeContainers;
const made: string[] = [];

async function create(extra: Partial<ContainerSpec> & { name: string }): Promise<string> {
  const { id } = await containers.create({ image: TEST_IMAGE, labels: { "berth.test": "native" }, ...extra });
  made.push(id);
  return id;
}

async function logsOf(id: string, options = {}): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  for await (const line of containers.logs(id, { signal: AbortSignal.timeout(10_000), ...options }))
    lines.push(line);
  return lines;
}

describe("native containers: lifecycle", () => {
  beforeAll(async () => {
    if (nativeReady) {
      env = await openNativeEnv();
      containers = env.containers();
    }
  }, 30_000);

  afterAll(async () => {
    if (env) expect(await closeNativeEnv(env, containers, made), "traces left after the tests").toEqual([]);
  }, 30_000);

  it("creates, starts, logs both streams, stops with the spec's stop signal, and removes leaving nothing", async (context) => {
    requireOrSkip(context, nativeReady, NOT_READY);
    const since = new Date();
    const id = await create({
      name: "berth-ct-life",
      command: [
        "sh",
        "-c",
        "trap 'echo got-usr2; exit 7' USR2; echo out; echo err >&2; while true; do sleep 0.1; done",
      ],
      stopSignal: "SIGUSR2",
      hostname: "ct-host",
    });
    let state = await containers.inspect("berth-ct-life");
    expect(state?.id).toBe(id);
    expect(state?.status).toBe("created");
    expect(state?.exitCode).toBeUndefined();
    expect(state?.labels["berth.test"]).toBe("native");

    await containers.start(id);
    await containers.start(id); // running: a no-op
    state = await containers.inspect(id);
    expect(state?.status).toBe("running");
    expect(state?.pid).toBeGreaterThan(0);
    expect(state?.startedAt).toBeInstanceOf(Date);
    const listed = await containers.list({ labels: ["berth.test=native"] });
    expect(listed.find((c) => c.id === id)?.statusText).toMatch(/^Up /);

    await until(5_000, "both lines logged", async () => (await logsOf(id)).length >= 2);
    const lines = await logsOf(id);
    expect(lines.filter((l) => l.stream === "stdout").map((l) => l.line)).toEqual(["out"]);
    expect(lines.filter((l) => l.stream === "stderr").map((l) => l.line)).toEqual(["err"]);
    const stamped = await logsOf(id, { timestamps: true, tail: 1, stderr: false });
    expect(stamped.map((l) => l.line)).toEqual(["out"]);
    expect(stamped[0]?.timestamp).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/);

    // The spec's stop signal (USR2) is trapped: exit 7 long before the 20 s grace.
    const started = Date.now();
    await containers.stop(id, { timeoutS: 20 });
    expect(Date.now() - started).toBeLessThan(5_000);
    state = await containers.inspect(id);
    expect(state?.status).toBe("exited");
    expect(state?.exitCode).toBe(7);
    expect(state?.pid).toBeUndefined();
    expect((await logsOf(id)).map((l) => l.line)).toContain("got-usr2");
    expect(await containers.wait(id)).toEqual({ exitCode: 7 });

    const before = traces(env!, id);
    expect(before.some((t) => t.startsWith("mount "))).toBe(true); // the rootfs, kept until removal
    expect(before.some((t) => t.startsWith("file "))).toBe(true);
    await containers.remove(id);
    expect(await containers.inspect(id)).toBeUndefined();
    expect(traces(env!, id)).toEqual([]);

    const seen: RuntimeEvent[] = [];
    for await (const event of readEvents(env!.paths, { since, until: new Date() })) {
      if (event.id === id) seen.push(event);
    }
    expect(seen.map((e) => e.action)).toEqual(["create", "start", "kill", "die", "stop", "destroy"]);
    expect(seen.find((e) => e.action === "kill")).toMatchObject({ signal: "SIGUSR2" });
    expect(seen.find((e) => e.action === "die")).toMatchObject({ exitCode: 7 });
    expect(seen[0]?.attributes).toMatchObject({ name: "berth-ct-life", "berth.test": "native" });
  });

  it("waits the grace period, then kills a process that ignores the stop signal", async (context) => {
    requireOrSkip(context, nativeReady, NOT_READY);
    const id = await create({ name: "berth-ct-grace", command: ["sleep", "60"] });
    await containers.start(id);
    const started = Date.now();
    await containers.stop(id, { timeoutS: 1 }); // PID 1 sleep ignores SIGTERM
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(6_000);
    const state = await containers.inspect(id);
    expect(state?.exitCode).toBe(137);
    expect(state?.finishedAt?.getTime()).toBeGreaterThanOrEqual(state?.startedAt?.getTime() ?? Infinity);
    await containers.stop(id); // stopped: a no-op
    await containers.kill(id); // stopped: a no-op
  });

  it("kills at once while a stop waits out its grace period, and the stop returns with the exit", async (context) => {
    requireOrSkip(context, nativeReady, NOT_READY);
    const id = await create({ name: "berth-ct-kill-in-grace", command: ["sleep", "60"] });
    await containers.start(id);
    const began = Date.now();
    const stopping = containers.stop(id, { timeoutS: 30 }); // PID 1 sleep ignores SIGTERM
    stopping.catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await containers.inspect(id))?.status, "still in its grace period").toBe("running");
    const killedAt = Date.now();
    await containers.kill(id);
    expect(Date.now() - killedAt, "the kill did not wait for the stop").toBeLessThan(3_000);
    await stopping;
    expect(Date.now() - began, "the stop ended with the kill").toBeLessThan(6_000);
    const state = await containers.inspect(id);
    expect([state?.status, state?.exitCode]).toEqual(["exited", 137]);
  });

  it("kills with a chosen signal, and waits for the next exit registered before the start", async (context) => {
    requireOrSkip(context, nativeReady, NOT_READY);
    const id = await create({
      name: "berth-ct-kill",
      command: ["sh", "-c", "trap 'exit 42' USR1; echo ready; while true; do sleep 0.1; done"],
    });
    const nextExit = containers.wait(id, { condition: "next-exit", signal: AbortSignal.timeout(15_000) });
    await containers.start(id);
    await until(5_000, "trap installed", async () => (await logsOf(id)).some((l) => l.line === "ready"));
    await containers.kill(id, "usr1");
    expect(await nextExit).toEqual({ exitCode: 42 });
    expect((await containers.inspect(id))?.status).toBe("exited");
    expect(await rejection(containers.kill(id, "NOSUCHSIGNAL"))).toBeInstanceOf(InvalidRequestError);

    // A second run appends to the same log, and follow ends when the container exits.
    const rerun = await create({
      name: "berth-ct-follow",
      command: ["sh", "-c", "for i in 1 2 3; do echo $i; sleep 0.2; done; exit 3"],
    });
    await containers.start(rerun);
    const followed = await logsOf(rerun, { follow: true });
    expect(followed.map((l) => l.line)).toEqual(["1", "2", "3"]);
    expect(await containers.wait(rerun)).toEqual({ exitCode: 3 });
  });

  it("refuses a taken name, a bad name, a missing image; renames; removes a running one only with force", async (context) => {
    requireOrSkip(context, nativeReady, NOT_READY);
    const id = await create({ name: "berth-ct-names", command: ["sleep", "60"] });
    const dup = await rejection(create({ name: "berth-ct-names", command: ["true"] }));
    expect(dup).toBeInstanceOf(ConflictError);
    expect((dup as Error).message).toContain("already in use");
    expect(await rejection(create({ name: "bad name!" }))).toBeInstanceOf(InvalidRequestError);
    expect(
      await rejection(containers.create({ name: "berth-ct-noimage", image: "no/such:image", labels: {} })),
    ).toBeInstanceOf(NotFoundError);
    expect(await containers.inspect("berth-ct-noimage")).toBeUndefined();

    await containers.rename(id, "berth-ct-renamed");
    expect((await containers.inspect("berth-ct-renamed"))?.id).toBe(id);
    expect(await containers.inspect("berth-ct-names")).toBeUndefined();
    const reused = await create({ name: "berth-ct-names", command: ["true"] }); // the old name is free
    await containers.remove(reused);

    await containers.start(id);
    const pid = (await containers.inspect(id))?.pid;
    expect(await rejection(containers.remove(id))).toBeInstanceOf(ConflictError);
    await containers.remove(id, { force: true });
    expect(processesOf(id)).toEqual([]);
    expect(pid !== undefined && processesOf(String(pid)).length).toBe(0);
    expect(traces(env!, id)).toEqual([]);
    for (const call of [() => containers.start(id), () => containers.stop(id), () => containers.remove(id)]) {
      expect(await rejection(call())).toBeInstanceOf(NotFoundError);
    }
  });

  it("rotates a log at max-size, keeping max-file files, and conmon writes on into a new file", async (context) => {
    requireOrSkip(context, nativeReady, NOT_READY);
    const id = await create({
      name: "berth-ct-rotate",
      command: [
        "sh",
        "-c",
        "for i in $(seq 1 100); do echo line-$i; done; sleep 1; for i in $(seq 101 200); do echo line-$i; done",
      ],
      logging: { driver: "json-file", options: { "max-size": "1k", "max-file": "3" } },
    });
    await containers.start(id);
    await until(5_000, "the first hundred lines", async () => (await logsOf(id)).length >= 100);
    const log = containerLayout(env!.paths, id).log;
    // Until conmon listens on its ctl FIFO a rotation waits (the supervisor may rotate first, too).
    await until(5_000, "a rotated log file", () => {
      containers.rotateLogs();
      return existsSync(`${log}.1`);
    });
    expect(await containers.wait(id, { signal: AbortSignal.timeout(10_000) })).toEqual({ exitCode: 0 });
    // The monitor reopened the log after each rotation (the supervisor rotates too, as it runs):
    // without that, the last rename would have left no current file.
    expect(existsSync(log)).toBe(true);
    const lines = (await logsOf(id)).map((l) => l.line);
    expect(lines).toEqual(Array.from({ length: 200 }, (_, i) => `line-${i + 1}`));
  });
});
