/**
 * A removal's costs on the main thread: the container's directories are removed off it (a `down` of
 * 50 removes them all at once), and the search for `runc exec`s aimed at the container reads only
 * runc's command lines. Each test removes what it made (the harness checks the traces).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createNativeContainers,
  type NativeContainers,
} from "../../../src/runtime/native/containers/containers.js";
import { containerLayout } from "../../../src/runtime/native/containers/records.js";
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
import { execMayRun, markExecUse } from "../../../src/runtime/native/exec-marker.js";

let env: NativeEnv | undefined;
let containers: NativeContainers;
const made: string[] = [];
const children: ChildProcess[] = [];

async function running(name: string): Promise<string> {
  const { id } = await containers.create({
    name,
    image: TEST_IMAGE,
    command: ["sleep", "3600"],
    labels: { "berth.test": "native-teardown" },
  });
  made.push(id);
  await containers.start(id);
  return id;
}

/** A Node process that waits a minute, run through a link named `as`, with `args` on its command line. */
function lookalike(as: string, args: string[]): ChildProcess {
  const link = path.join(env!.dir, "bin", as);
  mkdirSync(path.dirname(link), { recursive: true });
  if (!existsSync(link)) symlinkSync(process.execPath, link);
  const child = spawn(link, ["-e", "setTimeout(() => {}, 60000)", "--", ...args], { stdio: "ignore" });
  children.push(child);
  return child;
}

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

describe("native containers: teardown", () => {
  beforeAll(async () => {
    if (!nativeReady) return;
    env = await openNativeEnv();
    containers = env.containers();
  });

  afterAll(async () => {
    for (const child of children) child.kill("SIGKILL");
    if (!env) return;
    expect(await closeNativeEnv(env, containers, made)).toEqual([]);
  });

  it("kills a runc exec aimed at the container, and no other process naming it", async (context) => {
    requireOrSkip(context, nativeReady, NOT_READY);
    const id = await running("teardown-exec");
    const args = ["--root", env!.paths.runc, "exec", id, "sh"];
    const exec = lookalike("runc", args);
    const other = lookalike("not-runc", args);
    await until(5_000, "both processes running", () => exec.pid !== undefined && other.pid !== undefined);
    // What every exec and healthcheck probe leaves before its runc starts.
    markExecUse(containerLayout(env!.paths, id).bundle);
    await containers.remove(id, { force: true });
    await until(5_000, "the runc exec killed", () => !alive(exec));
    expect(exec.signalCode).toBe("SIGKILL");
    expect(alive(other)).toBe(true);
  });

  it("reads no process table to remove a container nobody exec'd into", async (context) => {
    requireOrSkip(context, nativeReady, NOT_READY);
    const id = await running("teardown-noexec");
    const bundle = containerLayout(env!.paths, id).bundle;
    // A lookalike no exec of berth's made: only a scan of /proc would find (and kill) it.
    const stray = lookalike("runc", ["--root", env!.paths.runc, "exec", id, "sh"]);
    await until(5_000, "the lookalike running", () => stray.pid !== undefined);
    expect(execMayRun(bundle)).toBe(false);
    await containers.remove(id, { force: true });
    expect(alive(stray)).toBe(true);
    stray.kill("SIGKILL");
  });

  it("removes the container's directories without holding the event loop", async (context) => {
    requireOrSkip(context, nativeReady, NOT_READY);
    const id = await running("teardown-files");
    // Many files in the upper dir: removing them takes long enough to see on the loop.
    const upper = containerLayout(env!.paths, id).upper;
    for (let d = 0; d < 40; d++) {
      const dir = path.join(upper, "tmp", `d${d}`);
      mkdirSync(dir, { recursive: true });
      for (let f = 0; f < 500; f++) writeFileSync(path.join(dir, `f${f}`), "");
    }
    let last = performance.now();
    let longest = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
    }, 5);
    const started = performance.now();
    try {
      await containers.remove(id, { force: true });
    } finally {
      clearInterval(timer);
    }
    const took = performance.now() - started;
    // Removed synchronously, the 20,000 files held the loop for nearly the whole removal.
    expect(longest).toBeLessThan(took / 2);
  });

  it("deletes a stopped container's runc state and cgroups without running runc", async (context) => {
    requireOrSkip(context, nativeReady, NOT_READY);
    // runc through a wrapper that logs each call: conmon's `runc create` and the rest still work.
    const log = path.join(env!.dir, "runc-calls.log");
    const wrapper = path.join(env!.dir, "bin-wrapped", "runc");
    mkdirSync(path.dirname(wrapper), { recursive: true });
    writeFileSync(wrapper, `#!/bin/sh\necho "$*" >> '${log}'\nexec /usr/sbin/runc "$@"\n`, { mode: 0o755 });
    const logged = createNativeContainers({ paths: env!.paths, deps: env!.deps, runcPath: wrapper });
    const { id } = await logged.create({
      name: "teardown-stopped",
      image: TEST_IMAGE,
      command: ["sleep", "3600"],
      labels: { "berth.test": "native-teardown" },
    });
    made.push(id);
    await logged.start(id);
    writeFileSync(log, "");
    await logged.stop(id, { timeoutS: 0 });
    // Its exit collected by the stop: runc's state goes then, the rest with the removal.
    expect(existsSync(path.join(env!.paths.runc, id))).toBe(false);
    await logged.remove(id);
    // Before: a `runc delete` at the collection (and a `runc state` + `runc delete` at a removal
    // that found the state). `runc kill --all` of the SIGKILL stays.
    const calls = readFileSync(log, "utf8")
      .split("\n")
      .filter((line) => line.includes(id));
    expect(calls.filter((line) => !/ kill --all /.test(line))).toEqual([]);
    expect(traces(env!, id)).toEqual([]);
  });
});
