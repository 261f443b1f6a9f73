// What the native runtime's benches share (bench/native-start.mjs, bench/native-memory.mjs): the
// checks that they can run here, a temporary BERTH_ROOT/BERTH_RUN_ROOT under /var/tmp with the
// built native runtime on it, memory read from /proc, and a search for anything left behind.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL } from "node:url";

const NEEDS = ["runc", "conmon", "docker"];

/** Why the native benches cannot run here (not root, runc, conmon or the docker CLI missing, no build), or undefined. */
export function nativeBenchMissing(root, needs = NEEDS) {
  if (process.getuid?.() !== 0)
    return "the native runtime's benches need root (runc, overlay mounts, cgroups)";
  for (const command of needs) {
    if (spawnSync("sh", ["-c", 'command -v "$0"', command]).status !== 0)
      return `${command} is not installed: the native bench needs it`;
  }
  const entry = path.join(root, "dist/runtime/native/native-runtime.js");
  if (!existsSync(entry)) return `${path.relative(root, entry)} is missing: run \`npm run build\` first`;
  return undefined;
}

/** Exits with a sentence unless the native benches can run here (nativeBenchMissing). */
export function requireNativeBench(root) {
  const missing = nativeBenchMissing(root);
  if (missing !== undefined) {
    console.error(missing);
    process.exit(1);
  }
}

/**
 * A temporary BERTH_ROOT and BERTH_RUN_ROOT under /var/tmp (ext4: overlay upper dirs work there),
 * set in this process's environment too, so every monitor and supervisor the runtime spawns
 * carries them (that is how `berthProcesses` finds them), and the native runtime made on them from
 * dist/. `paths`, `containerLayout` and `hierarchies` are the runtime's own, from dist/.
 */
export async function nativeSandbox(root, name) {
  const dir = mkdtempSync(path.join("/var/tmp", `berth-bench-${name}-`));
  const env = { BERTH_ROOT: path.join(dir, "root"), BERTH_RUN_ROOT: path.join(dir, "run") };
  Object.assign(process.env, env);
  const load = (file) => import(pathToFileURL(path.join(root, "dist/runtime/native", file)).href);
  const { createNativeRuntime } = await load("native-runtime.js");
  const { nativePaths } = await load("paths.js");
  const { containerLayout } = await load("containers/records.js");
  const { hierarchies } = await load("containers/cgroups.js");
  const runtime = createNativeRuntime({ env: { ...process.env, ...env } });
  return { dir, env, runtime, paths: nativePaths(env), containerLayout, hierarchies };
}

/** `{ pss, rss }` of a process in KiB (smaps_rollup), or undefined once it is gone. */
export function processMemory(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? NaN);
    return { pss: field("Pss"), rss: field("Rss") };
  } catch {
    return undefined;
  }
}

function readProc(pid, file) {
  try {
    return readFileSync(`/proc/${pid}/${file}`, "utf8");
  } catch {
    return "";
  }
}

/** Every process's `{ pid, ppid, comm, argv }` (one pass over /proc). */
export function processTable() {
  const rows = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProc(entry, "stat");
    const close = stat.lastIndexOf(")");
    if (close < 0) continue;
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    const ppid = Number(stat.slice(close + 2).split(" ")[1]);
    const argv = readProc(entry, "cmdline").split("\0").filter(Boolean);
    rows.push({ pid: Number(entry), ppid, comm, argv });
  }
  return rows;
}

/**
 * berth's own processes on a sandbox: those whose environment carries its BERTH_RUN_ROOT (monitors,
 * the supervisor) or whose command line names the sandbox. Container processes get their
 * environment from config.json, so they are not among them; this process is left out.
 */
export function berthProcesses(sandbox) {
  const marker = `BERTH_RUN_ROOT=${sandbox.env.BERTH_RUN_ROOT}`;
  return processTable().filter(
    (p) =>
      p.pid !== process.pid &&
      (readProc(p.pid, "environ").split("\0").includes(marker) ||
        p.argv.some((arg) => arg.includes(sandbox.dir))),
  );
}

/** What of a sandbox is left: processes, mounts, and cgroup directories of the given ids. */
export function leftovers(sandbox, ids = []) {
  const found = berthProcesses(sandbox).map((p) => `process ${p.pid} ${p.argv.join(" ").slice(0, 120)}`);
  for (const line of readFileSync("/proc/mounts", "utf8").split("\n")) {
    const target = line.split(" ")[1];
    if (target?.startsWith(sandbox.dir)) found.push(`mount ${target}`);
  }
  for (const hierarchy of sandbox.hierarchies()) {
    for (const id of ids) {
      const dir = path.join(hierarchy, "berth", id);
      if (existsSync(dir)) found.push(`cgroup ${dir}`);
    }
  }
  return found;
}

/** The 1-minute load average, to one decimal. */
export function loadAverage() {
  return os.loadavg()[0].toFixed(1);
}

/** The first line of `command --version` (or of `command version`). */
export function toolVersion(command, args = ["--version"]) {
  const result = spawnSync(command, args, { encoding: "utf8" });
  return (result.stdout || result.stderr || "").split("\n")[0].trim();
}

/** Polls (bounded) until `check()` returns an empty list; returns what was left. */
export async function untilGone(check, ms = 30_000) {
  const deadline = Date.now() + ms;
  let left = check();
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(250);
    left = check();
  }
  return left;
}
