#!/usr/bin/env node
// Benchmark: the memory berth's own processes hold per idle container on the native runtime, with
// N (50) containers running, against what Docker's per-container process (containerd-shim-runc-v2)
// holds for N containers of the same image, measured the same way in the same run (issue 14:
// target ≤ 5 MB per container). Memory is PSS from /proc/PID/smaps_rollup (a page shared by k
// processes counts 1/k to each, so the sum is what they hold together), RSS beside it.
// Two shapes of container, each `sleep 3600` with no network, from the busybox image made offline:
//  - plain: no restart policy, no healthcheck, no init: on native only a conmon monitor runs per
//    container (nothing else is needed between commands);
//  - supervised: `restart: always` and `init: true`: natively a conmon monitor per container, one
//    supervisor (a Node process per BERTH_ROOT, src/runtime/native/supervise/) for them all, and
//    the init (catatonit) as each container's PID 1; on Docker the shim, and docker-init as PID 1.
// berth's processes are found by the sandbox's BERTH_RUN_ROOT in their environment (monitors and
// the supervisor inherit it), the inits as the containers' PIDs, Docker's shims by the container
// ids on their command lines. dockerd's and containerd's growth while the N ran is shown apart
// (daemons hold state per container too; native has none). Everything is removed afterwards
// (native remove, `docker rm -f`) and checked gone: processes, mounts, cgroups, shims.
// Needs root, runc, conmon, `npm run build`, a Docker engine and its CLI. Run by hand, not in CI.
// Usage: node bench/native-memory.mjs [--count N] [--no-docker] [--no-write]
/* global AbortSignal, performance */
import { readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { benchImage, builtDockerRuntime, numberOption, table, writeReadmeSection } from "./lib.mjs";
import {
  berthProcesses,
  leftovers,
  loadAverage,
  nativeSandbox,
  processMemory,
  processTable,
  requireNativeBench,
  toolVersion,
  untilGone,
} from "./native-lib.mjs";

const TARGET_MB = 5;
const LABEL = "berth.bench";
/** How long the containers sit idle before they are measured (start-up transients settle). */
const SETTLE_MS = 3_000;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const count = numberOption(args, "--count", 50);
const write = !args.includes("--no-write");
const withDocker = !args.includes("--no-docker");
const RUN = `native-memory-${Date.now().toString(36)}`;

const SHAPES = {
  plain: {},
  supervised: { restart: { name: "always" }, init: true },
};

requireNativeBench(root);
const docker = await builtDockerRuntime(root, "docker");
const sandbox = await nativeSandbox(root, "memory");
const native = sandbox.runtime;
const labels = { [LABEL]: RUN };

/** Sums the memory of `pids` (KiB); `count` is how many were still there to read. */
function sum(pids) {
  let pss = 0;
  let rss = 0;
  let found = 0;
  for (const pid of pids) {
    const memory = processMemory(pid);
    if (!memory) continue;
    pss += memory.pss;
    rss += memory.rss;
    found++;
  }
  return { pss, rss, count: found };
}

function daemonPids() {
  return processTable()
    .filter((p) => p.comm === "dockerd" || p.comm === "containerd")
    .map((p) => p.pid);
}

/** Starts `count` containers of `shape` one after another; their ids and the time it took. */
async function startMany(runtime, image, shape, prefix) {
  const ids = [];
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const { id } = await runtime.containers.create({
      name: `${prefix}-${i}`,
      image,
      command: ["sleep", "3600"],
      networkMode: "none",
      labels,
      ...shape,
    });
    ids.push(id);
    await runtime.containers.start(id);
  }
  return { ids, seconds: (performance.now() - t0) / 1000 };
}

/** Host binaries an init may be (bind-mounted as the container's /sbin/docker-init). */
const INIT_BINARIES = ["/usr/bin/catatonit", "/usr/bin/tini-static", "/usr/bin/tini"];

/** Which host binary a process runs, by device and inode (its path inside the container differs). */
function hostBinary(pid) {
  try {
    const exe = statSync(`/proc/${pid}/exe`);
    return INIT_BINARIES.find((file) => {
      const host = statSync(file);
      return host.ino === exe.ino && host.dev === exe.dev;
    });
  } catch {
    return undefined;
  }
}

/** The containers' PIDs (their init with `init: true`: comm docker-init), and the init's binary. */
async function initPids(runtime, ids) {
  const pids = [];
  const table = new Map(processTable().map((p) => [p.pid, p]));
  for (const id of ids) {
    const state = await runtime.containers.inspect(id);
    if (state?.status !== "running") throw new Error(`container ${id} is ${state?.status}, not running`);
    const found = table.get(state.pid);
    if (found?.comm !== "docker-init")
      throw new Error(`container ${id}'s PID 1 is ${found?.comm}, not an init`);
    pids.push(state.pid);
  }
  const binary = hostBinary(pids[0]);
  return { pids, binary: binary ? path.basename(binary) : "docker-init" };
}

async function removeAll(runtime, ids) {
  for (const id of ids) await runtime.containers.remove(id, { force: true }).catch(() => undefined);
}

const measured = []; // { runtime, shape, rows: [{ process, count, pss, rss }], seconds, load }
const problems = [];

async function measureNative(image, shapeName) {
  const shape = SHAPES[shapeName];
  const load = loadAverage();
  const { ids, seconds } = await startMany(native, image, shape, `${RUN}-${shapeName}`);
  try {
    await sleep(SETTLE_MS);
    const own = berthProcesses(sandbox);
    const monitors = own.filter((p) => p.comm === "conmon");
    const others = own.filter((p) => p.comm !== "conmon");
    if (monitors.length !== count)
      throw new Error(`${monitors.length} conmon monitors for ${count} containers`);
    const rows = [{ process: "conmon monitors", ...sum(monitors.map((p) => p.pid)) }];
    // The supervisor (only when a container needs one), and anything else of berth's that runs.
    const supervisorPid = readSupervisorPid();
    const supervisor = others.filter((p) => p.pid === supervisorPid);
    if (shape.restart && supervisor.length !== 1) throw new Error(`${supervisor.length} supervisors running`);
    rows.push({ process: "supervisor (one for all)", ...sum(supervisor.map((p) => p.pid)) });
    const rest = others.filter((p) => !supervisor.includes(p));
    if (rest.length > 0)
      rows.push({ process: `other: ${rest.map((p) => p.comm).join(", ")}`, ...sum(rest.map((p) => p.pid)) });
    if (shape.init) {
      const init = await initPids(native, ids);
      rows.push({ process: `init (${init.binary}, PID 1)`, ...sum(init.pids) });
    }
    measured.push({ runtime: "native", shape: shapeName, rows, seconds, load });
  } finally {
    await removeAll(native, ids);
  }
  const left = await untilGone(() => leftovers(sandbox, ids));
  if (left.length > 0) problems.push(`native ${shapeName}: left behind: ${left.join("; ")}`);
}

/** The supervisor's PID from its pid file (`{"pid","start"}` in BERTH_RUN_ROOT), if there is one. */
function readSupervisorPid() {
  try {
    return JSON.parse(readFileSync(path.join(sandbox.paths.run, "supervisor.pid"), "utf8")).pid;
  } catch {
    return undefined;
  }
}

function shimPids(ids) {
  const wanted = new Set(ids);
  return processTable()
    .filter((p) => p.comm.startsWith("containerd-shim") && wanted.has(p.argv[p.argv.indexOf("-id") + 1]))
    .map((p) => p.pid);
}

async function measureDocker(image, shapeName) {
  const shape = SHAPES[shapeName];
  const load = loadAverage();
  const before = sum(daemonPids());
  const { ids, seconds } = await startMany(docker, image, shape, `${RUN}-docker-${shapeName}`);
  try {
    await sleep(SETTLE_MS);
    const shims = shimPids(ids);
    if (shims.length !== count) throw new Error(`${shims.length} containerd shims for ${count} containers`);
    const rows = [{ process: "containerd-shim-runc-v2", ...sum(shims) }];
    if (shape.init) {
      const init = await initPids(docker, ids);
      rows.push({ process: `init (${init.binary}, PID 1)`, ...sum(init.pids) });
    }
    const after = sum(daemonPids());
    rows.push({
      process: "dockerd + containerd growth (apart)",
      pss: after.pss - before.pss,
      rss: after.rss - before.rss,
      count: after.count,
      apart: true,
    });
    measured.push({ runtime: "docker", shape: shapeName, rows, seconds, load });
  } finally {
    await removeAll(docker, ids);
  }
  const left = await untilGone(() => shimPids(ids).map((pid) => `shim ${pid}`));
  if (left.length > 0) problems.push(`docker ${shapeName}: left behind: ${left.join("; ")}`);
}

try {
  const image = await benchImage(native);
  if (withDocker && (await benchImage(docker)) !== image)
    throw new Error("the image differs between the runtimes");
  await docker.ping(AbortSignal.timeout(5_000));
  for (const shapeName of Object.keys(SHAPES)) {
    await measureNative(image, shapeName);
    if (withDocker) await measureDocker(image, shapeName);
  }
} finally {
  for (const summary of await native.containers.list({ labels, all: true })) {
    await native.containers.remove(summary.id, { force: true }).catch(() => undefined);
  }
  for (const summary of withDocker ? await docker.containers.list({ labels, all: true }) : []) {
    await docker.containers.remove(summary.id, { force: true }).catch(() => undefined);
  }
  await docker.close();
  const left = await untilGone(() => leftovers(sandbox));
  if (left.length > 0) {
    problems.push(`the sandbox ${sandbox.dir} is kept: ${left.join("; ")}`);
  } else {
    rmSync(sandbox.dir, { recursive: true, force: true });
  }
}

const mb = (kib) => `${(kib / 1024).toFixed(2)} MB`;
const rows = [];
const totals = [];
for (const { runtime, shape, rows: parts } of measured) {
  const own = parts.filter((p) => !p.apart);
  for (const part of parts) {
    rows.push([
      runtime,
      shape,
      part.process,
      part.apart ? "-" : String(part.count),
      mb(part.pss),
      mb(part.pss / count),
      mb(part.rss / count),
    ]);
  }
  const pss = own.reduce((total, p) => total + p.pss, 0);
  const rss = own.reduce((total, p) => total + p.rss, 0);
  rows.push([
    runtime,
    shape,
    "**per container, all of the above**",
    "",
    mb(pss),
    mb(pss / count),
    mb(rss / count),
  ]);
  totals.push(`${runtime} ${shape} ${mb(pss / count)}`);
}
const starts = measured.map((m) => `${m.runtime} ${m.shape} ${m.seconds.toFixed(1)} s (load ${m.load})`);
const engineVersion = toolVersion("docker", ["version", "--format", "{{.Server.Version}}"]);
const report = [
  ...table(
    ["runtime", "containers", "process", "count", "PSS total", "PSS / container", "RSS / container"],
    rows,
  ),
  "",
  `PSS per container (berth's own on native; the shim, and docker-init, on Docker): ${totals.join("; ")}; ` +
    `target ≤ ${TARGET_MB} MB on native. The daemons' growth is not in the Docker totals.`,
  `${count} idle containers of each shape, measured ${SETTLE_MS / 1000} s after the last start; ` +
    `starting them took: ${starts.join(", ")}.`,
  `${os.cpus().length} cores, Node ${process.version}; ${toolVersion("conmon")}, ${toolVersion("runc")}, ` +
    `Docker Engine ${engineVersion}. Measured ${new Date().toISOString().slice(0, 10)}.`,
].join("\n");
console.log(report);
if (problems.length > 0) {
  console.error(`\n${problems.join("\n")}`);
  process.exitCode = 1;
} else if (write) {
  writeReadmeSection(root, "native-memory", report);
}
