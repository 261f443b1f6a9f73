#!/usr/bin/env node
// Benchmark (issue 15): `up -d` of a whole stack natively against berth on dockerd and against
// docker-compose (v1, 1.29.2) on dockerd, with the same generated compose file in the same run:
// 10 and 50 busybox services on the project's default network, a few with a published port (a
// random host port), one named volume, a few depends_on edges. Timed per tool and size: `up -d`
// from nothing, the no-op `up -d` right after it (everything running), and `down -v`. Each command
// is a fresh process (start-up included); medians of N runs, the tools taking turns to go first.
// Targets: native `up -d` of 50 and `down` of 50 each ≤ 0.5× docker-compose's wall time.
//  - native: `berth` with BERTH_RUNTIME=native on a temporary BERTH_ROOT/BERTH_RUN_ROOT under
//    /var/tmp (removed afterwards, once no process, mount, link, namespace or rule of it is left);
//  - docker: `berth` with BERTH_RUNTIME=docker on the local dockerd;
//  - compose: `docker-compose` 1.29.2 on the same dockerd.
// The busybox image is made offline from the host's busybox (bench/lib.mjs) and imported natively
// and into dockerd. Needs root, runc, conmon, `npm run build`, a Docker engine and docker-compose.
// The machine is shared: read the load line, compare rows of one run.
// Usage: node bench/up-native.mjs [--runs N] [--no-write] [--sizes 10,50] [--tools native,docker,compose]
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
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

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const runs = numberOption(args, "--runs", 5);
const write = !args.includes("--no-write");
const listOption = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 && args[at + 1] ? args[at + 1].split(",") : fallback;
};
const SIZES = listOption("--sizes", ["10", "50"]).map(Number);
const TOOLS = listOption("--tools", ["native", "docker", "compose"]);
const TARGETS = { up: 0.5, down: 0.5 };
const LABEL = "berth.bench";
const RUN = `upn-${Date.now().toString(36)}`;
const berthBin = path.join(root, "bin", "berth.js");

requireNativeBench(root);
if (TOOLS.includes("compose") && spawnSync("sh", ["-c", 'command -v "$0"', "docker-compose"]).status !== 0) {
  console.error("docker-compose is not installed: nothing to compare with (or pass --tools native,docker)");
  process.exit(1);
}
// The tree measured: HEAD, and whether the native runtime's sources differ from it (the tree is
// shared and changes under the bench; the build in dist/ is what runs).
const head = spawnSync("git", ["rev-parse", "--short", "HEAD"], {
  cwd: root,
  encoding: "utf8",
}).stdout.trim();
const dirty = spawnSync("git", ["status", "--porcelain", "--", "src/runtime/native"], {
  cwd: root,
  encoding: "utf8",
})
  .stdout.split("\n")
  .filter(Boolean).length;

const docker = await builtDockerRuntime(root);
const sandbox = await nativeSandbox(root, "up");
const native = sandbox.runtime;
const baseEnv = cliEnv();
for (const name of ["BERTH_ROOT", "BERTH_RUN_ROOT", "BERTH_RUNTIME", "DOCKER_HOST"]) delete baseEnv[name];

/**
 * `count` services on the project's default network: a busybox shell that exits at once on SIGTERM;
 * every tenth (from the second) publishes port 80 on a random host port; the first mounts the named
 * volume; every fifth depends on the one before it. No top-level `name:` (1.29 rejects it): every
 * tool gets `-p`.
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
    );
    if (i % 10 === 1) lines.push('    ports: ["80"]');
    if (i === 0) lines.push("    volumes: [data:/data]");
    if (i % 5 === 4) lines.push("    depends_on:", `      - svc${i - 1}`);
  }
  lines.push("volumes:", "  data:", "    labels:", `      ${LABEL}: ${RUN}`);
  return `${lines.join("\n")}\n`;
}

/** Runs one command; resolves with its wall time in ms, or rejects with its output. */
function run(cmd, argv, env) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(cmd, argv, { env, stdio: ["ignore", "pipe", "pipe"] });
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

const tools = {
  native: {
    label: "berth, native",
    cmd: (argv) => [
      process.execPath,
      [berthBin, ...argv],
      { ...baseEnv, BERTH_RUNTIME: "native", ...sandbox.env },
    ],
  },
  docker: {
    label: "berth on dockerd",
    cmd: (argv) => [process.execPath, [berthBin, ...argv], { ...baseEnv, BERTH_RUNTIME: "docker" }],
  },
  compose: {
    label: "docker-compose 1.29.2 on dockerd",
    cmd: (argv) => ["docker-compose", argv, baseEnv],
  },
};

const samples = new Map(); // `${tool} ${measure} ${size}` → ms[]
function record(key, ms) {
  samples.set(key, [...(samples.get(key) ?? []), ms]);
}
const projects = []; // [tool, file, project] of every cycle, for the clean-up
const engineTrouble = [];
const failures = [];
const loads = [];

/** One cycle of one tool on one size: up from nothing, the no-op up, down -v. */
async function cycle(name, size, file, round) {
  const project = `bench-${RUN}-${name}-${size}-${round < 0 ? "w" : round}`;
  projects.push([name, file, project]);
  const go = (verb) => run(...tools[name].cmd(["-f", file, "-p", project, ...verb]));
  const up = await go(["up", "-d"]);
  const noop = await go(["up", "-d"]);
  let down;
  try {
    down = await go(["down", "-v"]);
  } catch (error) {
    // Engine 20.10 under load: a removal it reports "already in progress", a network it keeps
    // "active endpoints" for. The down has done its work then: its time counts, the trouble is
    // reported, and an untimed down finishes (the network may stay until dockerd restarts).
    const known = /already in progress|active endpoints/.exec(error.message);
    if (name === "native" || !known) throw error;
    engineTrouble.push(`${project}: ${known[0]}`);
    down = error.ms;
    await go(["down", "-v"]).catch(() => undefined);
  }
  if (round < 0) return; // warm-up
  record(`${name} up ${size}`, up);
  record(`${name} noop ${size}`, noop);
  record(`${name} down ${size}`, down);
}

/**
 * What the native runs could leave on the host: the sandbox's processes and mounts, its containers,
 * and the network layer's bridges, nftables tables and namespaces, found by the names it derives
 * from the state root (src/runtime/native/network/names.ts).
 */
async function nativeLeftovers() {
  const { bridgeName, netnsName, tableName } = await import(
    path.join(root, "dist/runtime/native/network/names.js")
  );
  const links = spawnSync("ip", ["-o", "link"], { encoding: "utf8" }).stdout;
  const tables = spawnSync("nft", ["list", "tables"], { encoding: "utf8" }).stdout;
  const netns = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout;
  const found = leftovers(sandbox);
  for (const [name, , project] of projects) {
    if (name !== "native") continue;
    const bridge = bridgeName(sandbox.paths.root, `${project}_default`);
    if (links.includes(`${bridge}:`)) found.push(`bridge ${bridge} (${project})`);
    if (new RegExp(`^table ip ${tableName(bridge)}$`, "m").test(tables))
      found.push(`nft table ${tableName(bridge)} (${project})`);
  }
  const prefix = netnsName(sandbox.paths.root, "");
  for (const line of netns.split("\n")) if (line.startsWith(prefix)) found.push(`netns ${line}`);
  for (const c of await native.containers.list({ labels: [`${LABEL}=${RUN}`], all: true })) {
    found.push(`container ${c.name}`);
  }
  return found;
}

/** Every cycle's project brought down again (a cycle cut short), then this run's objects by label. */
async function cleanUp() {
  for (const [name, file, project] of projects) {
    const [cmd, argv, env] = tools[name].cmd(["-f", file, "-p", project, "down", "-v", "-t", "0"]);
    spawnSync(cmd, argv, { env, timeout: 120_000, stdio: "ignore" });
  }
  for (const runtime of [native, docker]) {
    for (const c of await runtime.containers.list({ labels: [`${LABEL}=${RUN}`], all: true })) {
      await runtime.containers.remove(c.id, { force: true, volumes: true }).catch(() => undefined);
    }
  }
}

const dir = path.join(sandbox.dir, "project");
mkdirSync(dir, { recursive: true });
let interrupted = false;
process.on("SIGINT", () => {
  interrupted = true;
  console.error("interrupted: finishing the current command, then cleaning up");
});
let report;
try {
  const image = await benchImage(native);
  if ((await benchImage(docker)) !== image) throw new Error("the image differs between the runtimes");
  const files = {};
  for (const size of SIZES) {
    files[size] = path.join(dir, `compose-${size}.yaml`);
    writeFileSync(files[size], composeFile(size, image));
  }
  // Warm-up: one untimed 10-service cycle each (file cache, the first network of each engine).
  for (const name of TOOLS) await cycle(name, 10, files[SIZES.includes(10) ? 10 : SIZES[0]], -1);
  const rotate = (list, by) => list.map((_, i) => list[(i + by) % list.length]);
  for (let r = 0; r < runs && !interrupted; r++) {
    loads.push(loadAverage());
    for (const size of SIZES) {
      for (const name of rotate(TOOLS, r)) {
        if (interrupted) break;
        // A failed cycle is reported, not timed; its project is brought down untimed.
        await cycle(name, size, files[size], r).catch((error) => {
          const reason = error.message.split("\n").findLast((line) => line.trim() !== "") ?? "";
          failures.push(`${tools[name].label}, ${size} services, run ${r + 1}: ${reason.trim()}`);
          const [, file, project] = projects.at(-1);
          const [cmd, argv, env] = tools[name].cmd(["-f", file, "-p", project, "down", "-v", "-t", "0"]);
          spawnSync(cmd, argv, { env, timeout: 120_000, stdio: "ignore" });
        });
      }
    }
    process.stderr.write(`run ${r + 1}/${runs} done (load ${loadAverage()})\n`);
  }
  if (interrupted) throw new Error("interrupted");
  loads.push(loadAverage());

  const fmt = (ms) => `${(ms / 1000).toFixed(2)} s`;
  const stat = (key) => {
    const values = samples.get(key);
    return values && { median: median(values), min: Math.min(...values), max: Math.max(...values) };
  };
  const cell = (s) => (s ? `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})` : "-");
  const ratio = (a, b) => (a && b ? (a.median / b.median).toFixed(2) : "-");
  const verdicts = [];
  const rows = [];
  for (const [measure, label] of [
    ["up", "`up -d` from nothing"],
    ["noop", "`up -d` again (no-op)"],
    ["down", "`down -v`"],
  ]) {
    for (const size of SIZES) {
      const [n, d, c] = ["native", "docker", "compose"].map((tool) => stat(`${tool} ${measure} ${size}`));
      const target = size === 50 ? TARGETS[measure] : undefined;
      if (target !== undefined && n && c) {
        const value = n.median / c.median;
        verdicts.push(
          `native ${measure} ${size} / docker-compose: ${value.toFixed(2)} (target ≤ ${target}) ${value <= target ? "met" : "MISSED"}`,
        );
      }
      rows.push([
        label,
        String(size),
        cell(n),
        cell(d),
        cell(c),
        ratio(n, c),
        ratio(d, c),
        ratio(n, d),
        target === undefined ? "-" : `≤ ${target}`,
      ]);
    }
  }
  report = [
    ...table(
      [
        "command",
        "services",
        "native median (min–max)",
        "berth on dockerd",
        "docker-compose 1.29.2 on dockerd",
        "native / compose",
        "berth dockerd / compose",
        "native / berth dockerd",
        "target (native / compose)",
      ],
      rows,
    ),
    "",
    ...verdicts.map((line) => `${line}.`),
    `Runs: ${runs} per command (after one warm-up cycle of 10 services each), ${os.cpus().length} cores, ` +
      `Node ${process.version}; ${toolVersion("runc")}, ${toolVersion("conmon")}, Docker Engine ` +
      `${toolVersion("docker", ["version", "--format", "{{.Server.Version}}"])}.`,
    `Load average (1 min) at the start of each run and at the end: ${loads.join(", ")}.`,
    ...(failures.length > 0 ? [`Failed (not timed): ${failures.join("; ")}.`] : []),
    ...(engineTrouble.length > 0
      ? [`dockerd failed a down, timed as it was (${engineTrouble.join("; ")}).`]
      : []),
    `Measured ${new Date().toISOString().slice(0, 10)} at commit ${head}` +
      (dirty > 0 ? ` (${dirty} file(s) of src/runtime/native changed in the working tree).` : "."),
  ].join("\n");
  console.log(report);
} finally {
  await cleanUp().catch((error) => console.error(`clean-up: ${error.message}`));
  await docker.close();
  await untilGone(() => leftovers(sandbox));
  const left = await nativeLeftovers();
  if (left.length > 0) {
    console.error(`left behind (the sandbox ${sandbox.dir} is kept):\n  ${left.join("\n  ")}`);
    process.exitCode = 1;
  } else {
    rmSync(sandbox.dir, { recursive: true, force: true });
  }
}

if (write && report) writeReadmeSection(root, "up-native", report);
