import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { self } from "../../../../../src/runtime/native/containers/lock.js";
import {
  containerLayout,
  type ContainerRecord,
} from "../../../../../src/runtime/native/containers/records.js";
import { nativePaths, type NativePaths } from "../../../../../src/runtime/native/paths.js";
import {
  claimSupervisor,
  releaseSupervisor,
  runningSupervisor,
  supervisorFiles,
} from "../../../../../src/runtime/native/supervise/ensure.js";
import {
  needsSupervision,
  restartOwed,
  supervisedView,
  writeHealth,
  writeRestartMarker,
} from "../../../../../src/runtime/native/supervise/state-files.js";
import { containerRecord } from "../record-fixture.js";

let dir = "";
let paths: NativePaths;
const ID = "a".repeat(64);

const record = (changes: Partial<ContainerRecord> = {}): ContainerRecord =>
  containerRecord(ID, {
    spec: { name: "web", image: "busybox", labels: {}, healthcheck: { test: ["CMD", "true"] } },
    startedAt: "2026-01-01T00:00:01.000Z",
    ...changes,
  });

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "berth-sv-unit-"));
  paths = nativePaths({ BERTH_ROOT: path.join(dir, "root"), BERTH_RUN_ROOT: path.join(dir, "run") });
  mkdirSync(containerLayout(paths, ID).dir, { recursive: true });
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("what the supervisor tells inspect", () => {
  it("a container needs the supervisor for a restart policy or an enabled healthcheck", () => {
    expect(needsSupervision(record())).toBe(true);
    const plain = { name: "web", image: "busybox", labels: {} };
    expect(needsSupervision(record({ spec: plain }))).toBe(false);
    expect(needsSupervision(record({ spec: { ...plain, restart: { name: "no" } } }))).toBe(false);
    expect(needsSupervision(record({ spec: { ...plain, restart: { name: "unless-stopped" } } }))).toBe(true);
    expect(needsSupervision(record({ spec: { ...plain, healthcheck: { test: ["NONE"] } } }))).toBe(false);
    // The image's healthcheck counts too.
    expect(
      needsSupervision(record({ spec: plain, imageConfig: { Healthcheck: { Test: ["CMD", "x"] } } })),
    ).toBe(true);
  });

  it("health belongs to its run: none yet, or another run's, reads as starting", () => {
    expect(supervisedView(paths, record()).health).toBe("starting");
    expect(supervisedView(paths, record({ startedAt: undefined })).health).toBeUndefined();
    const probe = {
      exitCode: 0,
      output: "ok",
      start: "2026-01-01T00:00:02.000Z",
      end: "2026-01-01T00:00:02.100Z",
    };
    writeHealth(paths, ID, {
      status: "healthy",
      failingStreak: 0,
      log: [probe],
      runStartedAt: record().startedAt!,
    });
    expect(supervisedView(paths, record())).toMatchObject({
      health: "healthy",
      healthProbe: { exitCode: 0, output: "ok", start: new Date(probe.start) },
    });
    const next = supervisedView(paths, record({ startedAt: "2026-01-01T00:05:00.000Z" }));
    expect(next).toMatchObject({ health: "starting", failingStreak: 0 });
    expect(next.healthLog).toHaveLength(1);
    expect(
      supervisedView(paths, record({ spec: { name: "web", image: "busybox", labels: {} } })).health,
    ).toBeUndefined();
  });

  it("restarting only for the exit the marker answers, while its supervisor lives, unless stopped by hand", async () => {
    const exited = record({ finishedAt: "2026-01-01T00:00:03.000Z", exitCode: 1 });
    expect(supervisedView(paths, exited).restarting).toBe(false);
    writeRestartMarker(paths, ID, {
      finishedAt: exited.finishedAt!,
      due: exited.finishedAt!,
      supervisor: self,
    });
    expect(supervisedView(paths, exited).restarting).toBe(true);
    expect(supervisedView(paths, { ...exited, stoppedByUser: true }).restarting).toBe(false);
    expect(supervisedView(paths, { ...exited, finishedAt: "2026-01-01T00:09:00.000Z" }).restarting).toBe(
      false,
    );
    const gone = await deadProcess();
    writeRestartMarker(paths, ID, {
      finishedAt: exited.finishedAt!,
      due: exited.finishedAt!,
      supervisor: gone,
    });
    expect(supervisedView(paths, exited).restarting).toBe(false);
  });
});

describe("an exit owed a restart", () => {
  it("is one the policy answers, not running, not failed before", () => {
    const always = { name: "web", image: "busybox", labels: {}, restart: { name: "always" as const } };
    const exited = record({ spec: always, finishedAt: "2026-01-01T00:00:03.000Z", exitCode: 0 });
    expect(restartOwed(paths, exited)).toBe(true);
    expect(restartOwed(paths, { ...exited, stoppedByUser: true })).toBe(false);
    expect(restartOwed(paths, { ...exited, startedAt: undefined, finishedAt: undefined })).toBe(false);
    const run = { pid: 1, pidStart: undefined, monitorPid: undefined, monitorStart: undefined };
    expect(restartOwed(paths, { ...exited, run })).toBe(false);
    const onFailure = { ...always, restart: { name: "on-failure" as const, maximumRetryCount: 2 } };
    expect(restartOwed(paths, { ...exited, spec: onFailure })).toBe(false);
    expect(restartOwed(paths, { ...exited, spec: onFailure, exitCode: 1, restartCount: 1 })).toBe(true);
    expect(restartOwed(paths, { ...exited, spec: onFailure, exitCode: 1, restartCount: 2 })).toBe(false);
    const marker = { finishedAt: exited.finishedAt!, due: exited.finishedAt!, supervisor: self };
    writeRestartMarker(paths, ID, { ...marker, failed: "no such image" });
    expect(restartOwed(paths, exited)).toBe(false);
    expect(supervisedView(paths, exited).restarting).toBe(false);
  });
});

/** The identity of a process that has exited. */
async function deadProcess(): Promise<{ pid: number; start: string | undefined }> {
  const child = spawn(process.execPath, ["-e", "0"]);
  const pid = child.pid!;
  await new Promise((resolve) => child.on("exit", resolve));
  return { pid, start: "0" };
}

describe("the supervisor's pid file", () => {
  it("is not claimed where the run root is gone (nothing to serve; the root is not made again)", () => {
    rmSync(paths.run, { recursive: true, force: true });
    expect(claimSupervisor(paths)).toBe(false);
    expect(existsSync(paths.run)).toBe(false);
  });

  it("is claimed once, taken over from a dead owner, released only by its holder", async () => {
    // As the command that spawns the supervisor does.
    mkdirSync(paths.run, { recursive: true });
    expect(runningSupervisor(paths)).toBeUndefined();
    expect(claimSupervisor(paths)).toBe(true);
    expect(runningSupervisor(paths)?.pid).toBe(process.pid);
    expect(claimSupervisor(paths)).toBe(false);
    releaseSupervisor(paths);
    expect(runningSupervisor(paths)).toBeUndefined();

    writeFileSync(supervisorFiles(paths).pidFile, JSON.stringify(await deadProcess()));
    expect(runningSupervisor(paths)).toBeUndefined();
    expect(claimSupervisor(paths)).toBe(true);
    expect(runningSupervisor(paths)?.pid).toBe(process.pid);

    const other = { pid: 1, start: undefined };
    writeFileSync(supervisorFiles(paths).pidFile, JSON.stringify(other));
    releaseSupervisor(paths);
    expect(runningSupervisor(paths)?.pid).toBe(1);
    expect(claimSupervisor(paths)).toBe(false);
  });
});
