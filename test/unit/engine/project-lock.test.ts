/**
 * The project lock: its pure parts (who owns a lock, when a lock is stale, where locks live) with a
 * fake process probe, and acquire/release on a temporary directory. Nothing here sleeps: waits
 * are tested with a zero timeout.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  acquireProjectLock,
  formatOwner,
  isStale,
  lockDirectories,
  lockFileName,
  LockWaitAborted,
  type LockOwner,
  parseOwner,
  parseProcStat,
  type ProcessProbe,
  ProjectLockError,
  systemProbe,
  withProjectLock,
} from "../../../src/engine/project-lock.js";

/** A probe that knows of the given processes only: pid → start time. */
function probe(processes: Record<number, string>): ProcessProbe {
  return {
    alive: (pid) => Object.hasOwn(processes, pid),
    startTime: (pid) => processes[pid],
  };
}

describe("project lock: stale detection", () => {
  it("a lock whose owner is alive and started when the lock says is held", () => {
    expect(isStale({ pid: 42, start: "1000" }, probe({ 42: "1000" }))).toBe(false);
  });

  it("a lock whose owner is gone is stale", () => {
    expect(isStale({ pid: 42, start: "1000" }, probe({}))).toBe(true);
  });

  it("a lock whose PID now belongs to a process started at another time is stale (PID reuse)", () => {
    expect(isStale({ pid: 42, start: "1000" }, probe({ 42: "2000" }))).toBe(true);
  });

  it("without a recorded start time, or when it cannot be read now, a live PID holds the lock", () => {
    expect(isStale({ pid: 42 }, probe({ 42: "2000" }))).toBe(false);
    const unreadable: ProcessProbe = { alive: () => true, startTime: () => undefined };
    expect(isStale({ pid: 42, start: "1000" }, unreadable)).toBe(false);
  });

  it("a lock file that is not a lock is stale", () => {
    expect(isStale(undefined, probe({}))).toBe(true);
  });

  it("parses what it writes, and nothing else", () => {
    const owner: LockOwner = { pid: 123, start: "456" };
    expect(parseOwner(formatOwner(owner))).toEqual(owner);
    expect(parseOwner(formatOwner({ pid: 7 }))).toEqual({ pid: 7 });
    for (const junk of ["", "{", "null", "[]", '{"pid":"7"}', '{"pid":0}', '{"pid":-3}', '{"pid":1.5}']) {
      expect(parseOwner(junk), junk).toBeUndefined();
    }
  });

  it("reads state and start time from /proc/<pid>/stat, whatever the command name holds", () => {
    const tail = "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 98765 20 21";
    expect(parseProcStat(`4242 (node) S ${tail}`)).toEqual({ state: "S", start: "98765" });
    expect(parseProcStat(`4242 (a (b) c) Z ${tail}`)).toEqual({ state: "Z", start: "98765" });
    expect(parseProcStat("4242 (node) S 1 2")).toBeUndefined();
  });

  it("the system probe sees this process alive with a start time, and a reaped PID dead", () => {
    expect(systemProbe.alive(process.pid)).toBe(true);
    expect(systemProbe.startTime(process.pid)).toMatch(/^\d+$/);
    // PIDs never reach 2^22 on Linux (pid_max's ceiling), so this one cannot exist.
    expect(systemProbe.alive(4_194_304 + 1)).toBe(false);
  });
});

describe("project lock: where it lives", () => {
  it("root uses /run/berth whatever XDG_RUNTIME_DIR says; others their runtime dir; both fall back to tmp", () => {
    expect(lockDirectories({ XDG_RUNTIME_DIR: "/run/user/0" }, 0, "/tmp")).toEqual([
      "/run/berth",
      "/tmp/berth-0",
    ]);
    expect(lockDirectories({ XDG_RUNTIME_DIR: "/run/user/1000" }, 1000, "/tmp")).toEqual([
      "/run/user/1000/berth",
      "/tmp/berth-1000",
    ]);
    expect(lockDirectories({}, 1000, "/tmp")).toEqual(["/tmp/berth-1000"]);
  });

  it("no project name can name a file outside the lock directory", () => {
    expect(lockFileName("web")).toBe("web.lock");
    expect(lockFileName("../../etc/x")).not.toContain("/");
  });
});

describe("project lock: acquire and release", () => {
  let dir: string;
  const file = () => path.join(dir, "demo.lock");

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "berth-lock-"));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("holds the lock with this process's PID and removes it on release", async () => {
    const release = await acquireProjectLock("demo", { dir });
    expect(parseOwner(readFileSync(file(), "utf8"))?.pid).toBe(process.pid);
    release();
    expect(existsSync(file())).toBe(false);
    expect(() => release()).not.toThrow();
  });

  it("is not re-entrant: a second taker in the same process waits for the first", async () => {
    const first = await acquireProjectLock("demo", { dir });
    const waited: LockOwner[] = [];
    const second = acquireProjectLock("demo", { dir, timeoutMs: 0, onWait: (o) => waited.push(o) });
    await expect(second).rejects.toThrow(ProjectLockError);
    expect(waited.map((o) => o.pid)).toEqual([process.pid]);
    expect(existsSync(file())).toBe(true);
    first();
    expect(existsSync(file())).toBe(false);
  });

  it("takes over a lock whose owner is dead, without waiting", async () => {
    writeFileSync(file(), formatOwner({ pid: 999_999, start: "1" }));
    const waited: LockOwner[] = [];
    const release = await acquireProjectLock("demo", {
      dir,
      timeoutMs: 0,
      probe: probe({}),
      onWait: (owner) => waited.push(owner),
    });
    expect(waited).toEqual([]);
    expect(parseOwner(readFileSync(file(), "utf8"))?.pid).toBe(process.pid);
    release();
  });

  it("takes over a file that is not a lock", async () => {
    writeFileSync(file(), "garbage");
    const release = await acquireProjectLock("demo", { dir, timeoutMs: 0, probe: probe({}) });
    release();
    expect(existsSync(file())).toBe(false);
  });

  it("waits on a live owner, says so once, and gives up after the bound naming it; the lock is untouched", async () => {
    const other = formatOwner({ pid: 4242, start: "7" });
    writeFileSync(file(), other);
    const waited: LockOwner[] = [];
    const attempt = acquireProjectLock("demo", {
      dir,
      timeoutMs: 0,
      probe: probe({ 4242: "7" }),
      onWait: (owner) => waited.push(owner),
    });
    await expect(attempt).rejects.toThrow(ProjectLockError);
    await expect(attempt).rejects.toThrow(/another berth \(pid 4242\) kept project demo busy/);
    expect(waited).toEqual([{ pid: 4242, start: "7" }]);
    expect(readFileSync(file(), "utf8")).toBe(other);
  });

  it("ends at once when aborted, saying nothing was changed", async () => {
    const controller = new AbortController();
    controller.abort(new Error("stop"));
    const attempt = acquireProjectLock("demo", { dir, signal: controller.signal });
    await expect(attempt).rejects.toThrow(LockWaitAborted);
    await expect(attempt).rejects.toThrow(
      "stopped waiting for another berth on project demo; nothing was changed",
    );
    expect(existsSync(file())).toBe(false);
  });

  it("ends a wait on a live owner when aborted, leaving the owner's lock alone", async () => {
    const other = JSON.stringify({ pid: 4242, start: "7" });
    writeFileSync(file(), other);
    const controller = new AbortController();
    const attempt = acquireProjectLock("demo", {
      dir,
      signal: controller.signal,
      probe: probe({ 4242: "7" }),
      onWait: () => setTimeout(() => controller.abort(), 30),
    });
    await expect(attempt).rejects.toThrow(LockWaitAborted);
    expect(readFileSync(file(), "utf8")).toBe(other);
  });

  it("withProjectLock releases when the work fails", async () => {
    await expect(
      withProjectLock("demo", { dir }, () => {
        expect(existsSync(file())).toBe(true);
        return Promise.reject(new Error("boom"));
      }),
    ).rejects.toThrow("boom");
    expect(existsSync(file())).toBe(false);
  });

  it("never removes a lock that another process took after ours was broken", async () => {
    const release = await acquireProjectLock("demo", { dir });
    // As if ours had been judged stale and someone else now holds the project.
    const theirs = formatOwner({ pid: 4242, start: "7" });
    writeFileSync(file(), theirs);
    release();
    expect(readFileSync(file(), "utf8")).toBe(theirs);
  });
});
