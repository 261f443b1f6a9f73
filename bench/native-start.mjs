#!/usr/bin/env node
// Benchmark: create+start of one container on the native runtime against bare `runc run -d` of the
// same bundle and against Docker, in the same run (issue 14: target ≤ 2× bare runc). One image,
// made offline from the host's busybox (bench/lib.mjs), is imported natively and into dockerd; each
// container runs `sleep 3600` with no network (`network_mode: none`; native networks arrive with
// part 2, so Docker gets `--network none` too). Timed, each until the container runs:
//  - native, library: `containers.create` + `containers.start` of the native Runtime from dist/, in
//    this process (what `berth up` does per container once the project is loaded);
//  - bare runc: `runc run -d` (a fresh runc process) of a copy of the bundle the native runtime
//    generated for a container it created (its config.json and its mounted overlay rootfs), with a
//    runc --root and a cgroup of its own: the floor under any runtime built on runc; and the same
//    as `runc create` + `runc start` (two processes), which is what the native runtime runs;
//  - Docker, Engine API: create + start through berth's Engine API client, in this process;
//  - `docker run -d` (the CLI, a fresh process);
//  - the CLI: `berth --runtime native up -d` and `berth --runtime docker up -d` of a one-service
//    project (fresh Node processes: start-up and project load included).
// Where the native start's time goes is read from what it does: node:child_process is wrapped
// before dist/ is loaded, to note when conmon (and any other process) began and exited, and
// node:fs's renameSync, to note when the drain spec is written (right after conmon's answer).
// Every round removes what it made (outside the timed part); tools take turns to go first; one
// warm-up each; medians of N. State lives in a temporary BERTH_ROOT/BERTH_RUN_ROOT under /var/tmp,
// removed afterwards, after checking that no process, mount or cgroup of it is left.
// Needs root, runc, conmon, `npm run build`, a Docker engine and its CLI. Run by hand, not in CI.
// Usage: node bench/native-start.mjs [--runs N] [--no-cli] [--no-write]
/* global performance */
import childProcess, { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import { existsSync, mkdirSync, readFileSync, rmSync, rmdirSync, writeFileSync } from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  benchImage,
  builtDockerRuntime,
  cliEnv,
  median,
  numberOption,
  table,
  timed,
  writeReadmeSection,
} from "./lib.mjs";
import {
  leftovers,
  loadAverage,
  nativeSandbox,
  requireNativeBench,
  toolVersion,
  untilGone,
} from "./native-lib.mjs";

const TARGET = 2;
const LABEL = "berth.bench";
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const runs = numberOption(args, "--runs", 10);
const write = !args.includes("--no-write");
const withCli = !args.includes("--no-cli");
const berthBin = path.join(root, "bin", "berth.js");
const RUN = `native-start-${Date.now().toString(36)}`;

requireNativeBench(root);
const spawned = tracePhases();
const docker = await builtDockerRuntime(root, "docker");
const sandbox = await nativeSandbox(root, "start");
const native = sandbox.runtime;
const childEnv = cliEnv();
const labels = { [LABEL]: RUN };

/**
 * Where a native start's time goes: the processes it spawns (conmon, which runs `runc create` and
 * answers on its sync pipe), seen by wrapping node:child_process's spawn and execFile (before dist/
 * is loaded) to note when each began and exited; and the drain spec's rename into the bundle, the
 * first thing done with conmon's answer (fs.renameSync wrapped likewise).
 */
function tracePhases() {
  const seen = [];
  const rename = fs.renameSync;
  fs.renameSync = function traced(from, to) {
    const result = rename.call(this, from, to);
    if (String(to).endsWith("log-drain.json"))
      seen.push({ file: "drain-spec", args: [], at: performance.now() });
    return result;
  };
  for (const name of ["spawn", "execFile"]) {
    const original = childProcess[name];
    childProcess[name] = function traced(file, ...rest) {
      const child = original.call(this, file, ...rest);
      const entry = {
        file: path.basename(file),
        args: Array.isArray(rest[0]) ? rest[0] : [],
        at: performance.now(),
      };
      child.once("exit", () => (entry.exited = performance.now()));
      seen.push(entry);
      return child;
    };
  }
  syncBuiltinESMExports();
  return seen;
}

/** The phases of one native start begun at `begin` and done at `end`, from what it did. */
function startPhases(begin, end) {
  const during = spawned.filter((entry) => entry.at >= begin && entry.at <= end);
  const monitor = during.find((entry) => entry.file === "conmon");
  const answered = during.find((entry) => entry.file === "drain-spec");
  if (!monitor || !answered) return undefined;
  return {
    before: monitor.at - begin,
    monitor: answered.at - monitor.at,
    after: end - answered.at,
    // Processes other than conmon (none when runc's exec FIFO starts the container in-process).
    others: during.filter((entry) => entry.file !== "conmon" && entry.file !== "drain-spec").length,
  };
}

/** Runs a command to its end (bounded); its stdout, or an error with its stderr. */
function step(cmd, argv, options = {}) {
  const result = spawnSync(cmd, argv, { encoding: "utf8", timeout: 60_000, env: childEnv, ...options });
  if (result.status !== 0) {
    throw new Error(`${cmd} ${argv.join(" ")} exited ${result.status}: ${result.stderr ?? result.error}`);
  }
  return result.stdout;
}

/** Wall time of a command in ms and its stdout (stdin closed). */
function timedOutput(cmd, argv) {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(cmd, argv, { env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      const ms = performance.now() - start;
      if (code === 0) resolve({ ms, stdout });
      else reject(new Error(`${cmd} ${argv.join(" ")} exited ${code}: ${stderr}`));
    });
  });
}

const ms = (value) => `${Math.round(value)} ms`;
const loads = [];
const samples = {};
const split = { create: [], start: [] };
const phases = { before: [], monitor: [], after: [], others: [] };
const runcSplit = { create: [], start: [] };
const removeDocker = (id) => docker.containers.remove(id, { force: true });
const runcRoot = path.join(sandbox.dir, "runc-root");
const runcBundle = path.join(sandbox.dir, "runc-bundle");
const runcCgroup = `/berth-bench/${RUN}`;
const projectDir = path.join(sandbox.dir, "project");
const projects = { native: `${RUN}-n`, docker: `${RUN}-d` };
let template;
/** Every native container made, for the check that none of their cgroups is left. */
const made = [];

try {
  const image = await benchImage(native);
  if ((await benchImage(docker)) !== image) throw new Error("the image differs between the runtimes");
  const spec = (name) => ({ name, image, command: ["sleep", "3600"], networkMode: "none", labels });

  // The bundle bare runc runs: the one the native runtime generated for a container it created (not
  // started), with a cgroup and a state directory of runc's own; the rootfs is that container's.
  template = (await native.containers.create(spec(`${RUN}-bundle`))).id;
  made.push(template);
  const config = JSON.parse(readFileSync(sandbox.containerLayout(sandbox.paths, template).config, "utf8"));
  config.linux.cgroupsPath = runcCgroup;
  mkdirSync(runcBundle, { recursive: true });
  writeFileSync(path.join(runcBundle, "config.json"), JSON.stringify(config));
  const runcArgs = (...rest) => ["--root", runcRoot, ...rest];

  mkdirSync(projectDir, { recursive: true });
  writeFileSync(
    path.join(projectDir, "compose.yaml"),
    `services:\n  app:\n    image: ${image}\n    command: ["sleep", "3600"]\n    network_mode: none\n    labels: { ${LABEL}: "${RUN}" }\n`,
  );
  const berthCli = (runtime, verb) => [
    berthBin,
    "--runtime",
    runtime,
    "-p",
    projects[runtime],
    "--progress",
    "quiet",
    ...verb,
  ];

  // Each tool: one timed create+start (ms), then a clean-up that checks the container ran.
  let round = 0;
  const tools = {
    native: async () => {
      const t0 = performance.now();
      const { id } = await native.containers.create(spec(`${RUN}-${round}`));
      made.push(id);
      const t1 = performance.now();
      await native.containers.start(id);
      const t2 = performance.now();
      return {
        ms: t2 - t0,
        split: { create: t1 - t0, start: t2 - t1 },
        phases: startPhases(t1, t2),
        cleanup: async () => {
          const state = await native.containers.inspect(id);
          if (state?.status !== "running") throw new Error(`native: ${state?.status} after start`);
          await native.containers.remove(id, { force: true });
        },
      };
    },
    runc: async () => {
      const id = `${RUN}-runc`;
      const time = await timed("runc", runcArgs("run", "-d", "-b", runcBundle, id), sandbox.dir, childEnv);
      return {
        ms: time,
        cleanup: async () => {
          const state = JSON.parse(step("runc", runcArgs("state", id)));
          if (state.status !== "running") throw new Error(`runc: ${state.status} after run -d`);
          step("runc", runcArgs("delete", "-f", id));
        },
      };
    },
    // What the native runtime runs under its monitor: runc create, then runc start.
    runcCreateStart: async () => {
      const id = `${RUN}-runc`;
      const create = await timed("runc", runcArgs("create", "-b", runcBundle, id), sandbox.dir, childEnv);
      const start = await timed("runc", runcArgs("start", id), sandbox.dir, childEnv);
      return {
        ms: create + start,
        runcSplit: { create, start },
        cleanup: async () => {
          const state = JSON.parse(step("runc", runcArgs("state", id)));
          if (state.status !== "running") throw new Error(`runc: ${state.status} after create + start`);
          step("runc", runcArgs("delete", "-f", id));
        },
      };
    },
    engine: async () => {
      const t0 = performance.now();
      const { id } = await docker.containers.create(spec(`${RUN}-engine-${round}`));
      await docker.containers.start(id);
      const time = performance.now() - t0;
      return {
        ms: time,
        cleanup: async () => {
          const state = await docker.containers.inspect(id);
          if (state?.status !== "running") throw new Error(`engine: ${state?.status} after start`);
          await removeDocker(id);
        },
      };
    },
    dockerCli: async () => {
      const argv = ["run", "-d", "--network", "none", "--label", `${LABEL}=${RUN}`, image, "sleep", "3600"];
      const { ms: time, stdout } = await timedOutput("docker", argv);
      const id = stdout.trim();
      return {
        ms: time,
        cleanup: async () => {
          const state = await docker.containers.inspect(id);
          if (state?.status !== "running") throw new Error(`docker run: ${state?.status} after run -d`);
          await removeDocker(id);
        },
      };
    },
  };
  if (withCli) {
    for (const runtime of ["native", "docker"]) {
      tools[`berth-${runtime}`] = async () => {
        const time = await timed(process.execPath, berthCli(runtime, ["up", "-d"]), projectDir, childEnv);
        return {
          ms: time,
          cleanup: async () => {
            const ps = step(process.execPath, berthCli(runtime, ["ps", "--status", "running", "-q"]), {
              cwd: projectDir,
            });
            if (ps.trim() === "") throw new Error(`berth --runtime ${runtime}: nothing running after up -d`);
            step(process.execPath, berthCli(runtime, ["down", "-t", "0"]), { cwd: projectDir });
          },
        };
      };
    }
  }

  const names = Object.keys(tools);
  for (const name of names) samples[name] = [];
  for (round = -1; round < runs; round++) {
    if (round >= 0) loads.push(loadAverage());
    // Turns: each round starts one tool later, and odd rounds go backwards.
    const order = names.map((_, i) => names[(i + Math.max(round, 0)) % names.length]);
    if (round % 2 === 1) order.reverse();
    for (const name of order) {
      const result = await tools[name]();
      await result.cleanup();
      if (round < 0) continue; // the warm-up
      samples[name].push(result.ms);
      if (result.split) for (const key of Object.keys(split)) split[key].push(result.split[key]);
      if (result.phases) for (const key of Object.keys(phases)) phases[key].push(result.phases[key]);
      if (result.runcSplit)
        for (const key of Object.keys(runcSplit)) runcSplit[key].push(result.runcSplit[key]);
    }
    if (round >= 0) process.stderr.write(`run ${round + 1}/${runs} done\n`);
  }
} finally {
  await cleanUp();
}

async function cleanUp() {
  if (template) await native.containers.remove(template, { force: true }).catch(() => undefined);
  for (const summary of await native.containers.list({ labels: { [LABEL]: RUN }, all: true })) {
    await native.containers.remove(summary.id, { force: true }).catch(() => undefined);
  }
  spawnSync("runc", ["--root", runcRoot, "delete", "-f", `${RUN}-runc`], { timeout: 30_000 });
  for (const runtime of withCli ? ["native", "docker"] : []) {
    spawnSync(
      process.execPath,
      [berthBin, "--runtime", runtime, "-p", projects[runtime], "down", "-t", "0"],
      {
        cwd: projectDir,
        env: childEnv,
        timeout: 60_000,
      },
    );
  }
  for (const summary of await docker.containers.list({ labels: { [LABEL]: RUN }, all: true })) {
    await removeDocker(summary.id).catch(() => undefined);
  }
  await docker.close();
  // runc leaves the parents of a deleted container's cgroup.
  for (const hierarchy of sandbox.hierarchies()) {
    for (const dir of [path.join(hierarchy, runcCgroup), path.join(hierarchy, "berth-bench")]) {
      try {
        rmdirSync(dir);
      } catch {
        // Not there, or shared with a bench still running.
      }
    }
  }
  const left = await untilGone(() => [
    ...leftovers(sandbox, made),
    ...sandbox
      .hierarchies()
      .map((hierarchy) => path.join(hierarchy, runcCgroup))
      .filter((dir) => existsSync(dir))
      .map((dir) => `cgroup ${dir}`),
  ]);
  if (left.length > 0) {
    console.error(`left behind (the sandbox ${sandbox.dir} is kept):\n  ${left.join("\n  ")}`);
    process.exitCode = 1;
  } else {
    rmSync(sandbox.dir, { recursive: true, force: true });
  }
}

const medians = Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)]));
const row = (name, label, timedPart) => [
  label,
  timedPart,
  ms(medians[name]),
  ms(Math.min(...samples[name])),
  (medians[name] / medians.runc).toFixed(2),
];
const rows = [
  row(
    "native",
    "native runtime, library (dist/)",
    `\`containers.create\` ${ms(median(split.create))} + \`start\` ${ms(median(split.start))}`,
  ),
  row("runc", "bare `runc run -d` of the same bundle", "one runc process"),
  row(
    "runcCreateStart",
    "bare `runc create` + `runc start`, same bundle",
    `\`create\` ${ms(median(runcSplit.create))} + \`start\` ${ms(median(runcSplit.start))}`,
  ),
  row("engine", "Docker, berth's Engine API client", "create + start"),
  row("dockerCli", "`docker run -d --network none`", "one CLI process"),
];
if (withCli) {
  rows.push(
    row("berth-native", "`berth --runtime native up -d` (1 service)", "one berth process"),
    row("berth-docker", "`berth --runtime docker up -d` (1 service)", "one berth process"),
  );
}
const engineVersion = toolVersion("docker", ["version", "--format", "{{.Server.Version}}"]);
const report = [
  ...table(["what", "timed", "median", "best", "× runc"], rows),
  "",
  `native / bare runc (median): ${(medians.native / medians.runc).toFixed(2)} (target ≤ ${TARGET}); ` +
    `native / Docker Engine API: ${(medians.native / medians.engine).toFixed(2)}` +
    (withCli
      ? `; berth up -d native / docker: ${(medians["berth-native"] / medians["berth-docker"]).toFixed(2)}`
      : "") +
    ".",
  `Where the native \`start\` goes (medians of ${phases.before.length}): ${ms(median(phases.before))} before ` +
    `the monitor's spawn (rootfs check, bundle files, FIFOs), ${ms(median(phases.monitor))} from conmon's spawn to ` +
    `its answer (conmon's start, its \`runc create\`), ${ms(median(phases.after))} after it (the record, the ` +
    `start through runc's exec FIFO in-process, the start event, the log drainer told); processes spawned ` +
    `besides conmon: ${phases.others.reduce((sum, n) => sum + n, 0)} in ${phases.others.length} starts.`,
  `Runs: ${runs} per tool (after one warm-up), ${os.cpus().length} cores, Node ${process.version}; ` +
    `${toolVersion("runc")}, ${toolVersion("conmon")}, Docker Engine ${engineVersion}.`,
  `Load average (1 min) at the start of each run: ${loads.join(", ")}.`,
  `Measured ${new Date().toISOString().slice(0, 10)}.`,
].join("\n");
console.log(report);
if (write) writeReadmeSection(root, "native-start", report);
