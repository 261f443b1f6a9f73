#!/usr/bin/env node
// Benchmark: berth against docker-compose (v1, the reference) on the same engine, the same
// generated compose files, in the same run: `up -d` of 10 and 50 services from nothing, the
// no-op `up -d` that follows (10 and 50), `ps` (50) and `down` (50). Each command is a fresh
// process (start-up included); medians of N runs. The tools take turns to go first in each run,
// so none always meets a cold or a busy engine.
// Services: a busybox shell that exits at once on SIGTERM, one network, a few depends_on edges,
// no healthchecks (docker-compose 1.29 treats conditions differently).
// Needs `npm run build` (runs bin/berth.js and imports dist/ for the image and the clean-up),
// a Docker engine, and `docker-compose` for the comparison.
// A third column, "engine alone", is the same 50 containers created and started straight through
// berth's Engine API client in one process, all at once with no depends_on order: the floor that
// any tool driving this engine stays above.
// --baseline runs a second berth build (a copy of the tree before a change) as a third tool in the
// same runs, so a before/after comparison meets the same engine load.
// Usage: node bench/up.mjs [--runs N] [--no-write] [--berth path/to/berth.js] [--baseline path/to/berth.js]
/* global AbortSignal */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { benchImage, median, numberOption, table, writeReadmeSection } from "./lib.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const option = (name, fallback) => numberOption(args, name, fallback);
const runs = option("--runs", 5);
const write = !args.includes("--no-write");
const pathOption = (name) => {
  const at = args.indexOf(name);
  return at >= 0 && args[at + 1] ? path.resolve(args[at + 1]) : undefined;
};
const baselineBin = pathOption("--baseline");

const RUN = `up-${Date.now().toString(36)}`;
const LABEL = "berth.bench";
const SIZES = [10, 50];
// --berth runs another build (a copy of the tree before a change) against the same engine and files.
const berthBin = pathOption("--berth") ?? path.join(root, "bin", "berth.js");
const TARGETS = { up50: 0.5, noop: 0.3, ps: 0.3 };

const entry = path.join(root, "dist/runtime/docker/docker-runtime.js");
if (!existsSync(entry)) {
  console.error(`${path.relative(root, entry)} is missing: run \`npm run build\` first`);
  process.exit(1);
}
const { createDockerRuntime } = await import(pathToFileURL(entry).href);

// NODE_EXTRA_CA_CERTS makes every Node process read a CA bundle at start (~50 ms on the development
// machine); it has nothing to do with berth, so the children run without it (as in config.mjs).
const childEnv = { ...process.env };
delete childEnv.NODE_EXTRA_CA_CERTS;
delete childEnv.COMPOSE_PROJECT_NAME;
delete childEnv.COMPOSE_FILE;
// Both tools on the Docker Engine: berth's default (`auto`) picks its native runtime on a root host.
childEnv.BERTH_RUNTIME = "docker";

const haveCompose = spawnSync("sh", ["-c", 'command -v "$0"', "docker-compose"]).status === 0;

/**
 * `count` services on one network; every fifth service depends on the one before it, so the
 * start order has a few short chains but stays mostly parallel. No top-level `name:` (1.29
 * rejects it): both tools get `-p` instead.
 */
function composeFile(count, image) {
  const lines = ["services:"];
  for (let i = 0; i < count; i++) {
    lines.push(
      `  svc${i}:`,
      `    image: ${image}`,
      `    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]`,
      "    labels:",
      `      ${LABEL}: ${RUN}`,
      "    networks: [net]",
    );
    if (i % 5 === 4) lines.push("    depends_on:", `      - svc${i - 1}`);
  }
  lines.push("networks:", "  net:", "    labels:", `      ${LABEL}: ${RUN}`);
  return `${lines.join("\n")}\n`;
}

/** Runs one command; resolves with its wall time, or rejects with its output. */
function run(cmd, argv) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(cmd, argv, { env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (code === 0) resolve(ms);
      else reject(Object.assign(new Error(`${cmd} ${argv.join(" ")} failed (${code}):\n${output}`), { ms }));
    });
  });
}

// A fresh project per cycle: a network the engine failed to remove (below) never turns the next
// "from nothing" into "from a network that exists".
const tools = {
  berth: {
    project: (n, r) => `bench-${RUN}-berth-${n}-${r}`,
    cmd: (file, project, verb) => ["node", [berthBin, "-f", file, "-p", project, ...verb]],
  },
  baseline: {
    project: (n, r) => `bench-${RUN}-baseline-${n}-${r}`,
    cmd: (file, project, verb) => ["node", [baselineBin, "-f", file, "-p", project, ...verb]],
  },
  compose: {
    project: (n, r) => `bench-${RUN}-compose-${n}-${r}`,
    cmd: (file, project, verb) => ["docker-compose", ["-f", file, "-p", project, ...verb]],
  },
};

const samples = new Map(); // `${tool} ${measure}` → ms[]
function record(tool, measure, ms) {
  const key = `${tool} ${measure}`;
  samples.set(key, [...(samples.get(key) ?? []), ms]);
}

/**
 * Under load, Engine 20.10 sometimes keeps a network's endpoint count after its last container is
 * gone ("has active endpoints"), for good: `down` has done its work then, so its time counts, and
 * the network is reported (it carries this run's label).
 */
const engineLeaks = [];
/** The 1-minute load average at the start of each run: other work on the machine shows here. */
const loads = [];

/** One cycle of one tool on one size: up from nothing, no-op up, ps (50 only), down. */
async function cycle(name, size, file, round) {
  const tool = tools[name];
  const project = tool.project(size, round);
  const go = (verb) => run(...tool.cmd(file, project, verb));
  const up = await go(["up", "-d"]);
  const noop = await go(["up", "-d"]);
  const ps = size === 50 ? await go(["ps"]) : undefined;
  let down;
  try {
    down = await go(["down"]);
  } catch (error) {
    if (!/active endpoints/.test(error.message)) throw error;
    engineLeaks.push(`${project}: ${name} down`);
    down = error.ms;
  }
  if (round < 0) return; // warm-up
  record(name, `up ${size}`, up);
  record(name, `noop ${size}`, noop);
  if (ps !== undefined) record(name, `ps ${size}`, ps);
  if (size === 50) record(name, `down ${size}`, down);
}

/**
 * The engine's own time for `up -d` of `size` services: one network, then every container created
 * and started at once through berth's runtime (no CLI, no plan, no depends_on order).
 */
async function engineAlone(runtime, size, image, round) {
  const labels = { [LABEL]: RUN };
  const prefix = `bench-${RUN}-engine-${size}-${round}`;
  const start = process.hrtime.bigint();
  const network = await runtime.networks.create({ name: `${prefix}_net`, labels });
  const ids = await Promise.all(
    Array.from({ length: size }, async (_, i) => {
      const { id } = await runtime.containers.create({
        name: `${prefix}-svc${i}-1`,
        image,
        labels,
        command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"],
        networks: { [`${prefix}_net`]: { aliases: [`svc${i}`] } },
      });
      await runtime.containers.start(id);
      return id;
    }),
  );
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  await Promise.all(ids.map((id) => runtime.containers.remove(id, { force: true })));
  await runtime.networks.remove(network.id).catch(() => engineLeaks.push(`${prefix}: engine alone`));
  if (round >= 0) record("engine", `up ${size}`, ms);
}

/**
 * Removes what this bench left behind, by label: this run's containers (an interrupted cycle) and
 * networks, and those of earlier runs that the engine would not remove then (see engineLeaks).
 */
async function cleanUp(runtime) {
  const ours = (labels) => (labels[LABEL] ?? "").startsWith("up-");
  const containers = (await runtime.containers.list({ labels: [LABEL], all: true })).filter((c) =>
    ours(c.labels),
  );
  await Promise.all(containers.map((c) => runtime.containers.remove(c.id, { force: true }).catch(() => {})));
  let stuck = 0;
  for (const network of await runtime.networks.list({ labels: [LABEL] })) {
    if (!ours(network.labels)) continue;
    await runtime.networks.remove(network.id).catch(() => stuck++);
  }
  return { containers: containers.length, stuck };
}

const MEASURES = [
  { key: "up 10", label: "`up -d` from nothing", size: 10 },
  { key: "up 50", label: "`up -d` from nothing", size: 50, target: TARGETS.up50 },
  { key: "noop 10", label: "`up -d` again (no-op)", size: 10, target: TARGETS.noop },
  { key: "noop 50", label: "`up -d` again (no-op)", size: 50, target: TARGETS.noop },
  { key: "ps 50", label: "`ps`", size: 50, target: TARGETS.ps },
  { key: "down 50", label: "`down`", size: 50 },
];

const runtime = createDockerRuntime();
const dir = mkdtempSync(path.join(os.tmpdir(), "berth-bench-up-"));
let interrupted = false;
process.on("SIGINT", () => {
  interrupted = true;
  console.error("interrupted: finishing the current command, then cleaning up");
});
let report;
try {
  const info = await runtime.ping(AbortSignal.timeout(5_000));
  const image = await benchImage(runtime);
  const files = {};
  for (const size of SIZES) {
    files[size] = path.join(dir, `compose-${size}.yaml`);
    writeFileSync(files[size], composeFile(size, image));
  }
  const names = ["berth", ...(baselineBin ? ["baseline"] : []), ...(haveCompose ? ["compose"] : [])];
  await cleanUp(runtime);
  // Warm-up: one untimed 10-service cycle each (file cache, the engine's first network).
  for (const name of names) await cycle(name, 10, files[10], -1);
  // Each run rotates who goes first: a command right after another's `down` meets an engine still
  // tidying up, and no tool should always be the one that does.
  const rotate = (list, by) => list.map((_, i) => list[(i + by) % list.length]);
  for (let r = 0; r < runs && !interrupted; r++) {
    loads.push(os.loadavg()[0]);
    for (const size of SIZES) {
      for (const name of rotate(size === 50 ? [...names, "engine"] : names, r)) {
        if (interrupted) break;
        if (name === "engine") await engineAlone(runtime, size, image, r);
        else await cycle(name, size, files[size], r);
      }
    }
    process.stderr.write(`run ${r + 1}/${runs} done\n`);
  }
  if (interrupted) throw new Error("interrupted");

  const fmt = (t) => (t === undefined ? "-" : `${(t / 1000).toFixed(2)} s`);
  const stats = (key) => {
    const values = samples.get(key);
    return values && { median: median(values), min: Math.min(...values), max: Math.max(...values) };
  };
  const range = (s) => (s ? `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})` : "-");
  const verdicts = [];
  const rows = MEASURES.map((m) => {
    const b = stats(`berth ${m.key}`);
    const c = stats(`compose ${m.key}`);
    const e = stats(`engine ${m.key}`);
    const base = stats(`baseline ${m.key}`);
    const ratio = b && c ? b.median / c.median : undefined;
    if (m.target !== undefined && ratio !== undefined) {
      verdicts.push(
        `${m.label.replace(/`/g, "")} ${m.size}: ${ratio.toFixed(2)} (target ≤ ${m.target}) ${ratio <= m.target ? "within" : "OVER"}`,
      );
    }
    return [
      m.label,
      String(m.size),
      range(b),
      ...(baselineBin ? [range(base)] : []),
      range(c),
      range(e),
      ratio === undefined ? "-" : ratio.toFixed(2),
      ...(baselineBin ? [base && c ? (base.median / c.median).toFixed(2) : "-"] : []),
      m.target === undefined ? "-" : `≤ ${m.target}`,
    ];
  });
  report = [
    ...table(
      [
        "command",
        "services",
        "berth median (min–max)",
        ...(baselineBin ? ["baseline berth (before)"] : []),
        "docker-compose 1.29.2 median (min–max)",
        "engine alone",
        "ratio",
        ...(baselineBin ? ["ratio before"] : []),
        "target",
      ],
      rows,
    ),
    "",
    `Runs: ${runs} per command (after one warm-up cycle of 10 services), ${os.cpus().length} cores, ` +
      `Node ${process.version}; engine ${info.name} ${info.version} (API ${info.apiVersion}).`,
    `Load average (1 min) at the start of each run: ${loads.map((l) => l.toFixed(1)).join(", ")}.`,
    ...(haveCompose ? [] : ["docker-compose not installed: no comparison this run."]),
    ...(engineLeaks.length > 0
      ? [`The engine kept a network after its last container (${engineLeaks.join("; ")}).`]
      : []),
    `Measured ${new Date().toISOString().slice(0, 10)}.`,
  ].join("\n");
  console.log(report);
  for (const line of verdicts) console.log(line);
} finally {
  const left = await cleanUp(runtime).catch(() => ({ containers: 0, stuck: 0 }));
  if (left.containers > 0)
    console.error(`removed ${left.containers} container(s) left by an interrupted cycle`);
  if (left.stuck > 0)
    console.error(`${left.stuck} network(s) labelled ${LABEL} the engine will not remove yet`);
  await runtime.close();
  rmSync(dir, { recursive: true, force: true });
}

if (write) writeReadmeSection(root, "up", report);
