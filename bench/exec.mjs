#!/usr/bin/env node
// Benchmark: `exec -T app sh -c true` in a running service container, through berth and through
// docker-compose 1.29 (the reference) on the same engine, in the same run: each command a fresh
// process (start-up included), the tools taking turns to go first, one warm-up each, then the
// median of N runs. `docker exec` of the same container is timed too, as the floor.
// Needs `npm run build`, a Docker engine and `docker-compose`.
// The bench image has no `true` applet: the exec runs `sh -c true` (the shell's builtin).
// Usage: node bench/exec.mjs [--runs N] [--no-write]
/* global performance */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { benchImage, median, numberOption, table } from "./lib.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const runs = numberOption(args, "--runs", 10);
const write = !args.includes("--no-write");
const berthBin = path.join(root, "bin", "berth.js");
const TARGET = 0.5;
const LABEL = "berth.bench";
const RUN = `exec${Date.now().toString(36)}`;

const entry = path.join(root, "dist/runtime/docker/docker-runtime.js");
if (!existsSync(entry)) {
  console.error(`${path.relative(root, entry)} is missing: run \`npm run build\` first`);
  process.exit(1);
}
if (spawnSync("sh", ["-c", 'command -v "$0"', "docker-compose"]).status !== 0) {
  console.error("docker-compose is not installed: nothing to compare with");
  process.exit(1);
}
const { createDockerRuntime } = await import(pathToFileURL(entry).href);

// As in up.mjs: a CA bundle read at every Node start has nothing to do with berth.
const childEnv = { ...process.env };
delete childEnv.NODE_EXTRA_CA_CERTS;
delete childEnv.COMPOSE_PROJECT_NAME;
delete childEnv.COMPOSE_FILE;

/** Wall time of one command in ms; throws if it fails. stdin is a closed pipe, as in a script. */
function timed(cmd, argv, cwd) {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(cmd, argv, { cwd, env: childEnv, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("exit", (code) => {
      const ms = performance.now() - start;
      if (code === 0) resolve(ms);
      else reject(new Error(`${cmd} ${argv.join(" ")} exited ${code}: ${stderr}`));
    });
  });
}

/** Runs a set-up step; throws with its stderr if it fails. */
function step(cmd, argv, cwd) {
  const result = spawnSync(cmd, argv, { cwd, env: childEnv, encoding: "utf8" });
  if (result.status !== 0)
    throw new Error(`${cmd} ${argv.join(" ")} exited ${result.status}: ${result.stderr}`);
  return result.stdout;
}

const runtime = createDockerRuntime();
const image = await benchImage(runtime);
const dir = mkdtempSync(path.join(os.tmpdir(), "berth-bench-exec-"));
// No `name:` (docker-compose 1.29 predates it): each tool gets its project with -p.
writeFileSync(
  path.join(dir, "compose.yaml"),
  `services:\n  app:\n    image: ${image}\n    command: ["sleep", "3600"]\n    stop_grace_period: 1s\n    labels: { ${LABEL}: "${RUN}" }\n`,
);
const projects = { berth: `${RUN}b`, compose: `${RUN}c` };
const times = { berth: [], compose: [], docker: [] };

try {
  step(process.execPath, [berthBin, "-p", projects.berth, "up", "-d"], dir);
  step("docker-compose", ["-p", projects.compose, "up", "-d"], dir);
  const container = step("docker", [
    "ps",
    "-q",
    "--filter",
    `label=com.docker.compose.project=${projects.berth}`,
  ]).trim();
  const tools = {
    berth: () =>
      timed(process.execPath, [berthBin, "-p", projects.berth, "exec", "-T", "app", "sh", "-c", "true"], dir),
    compose: () =>
      timed("docker-compose", ["-p", projects.compose, "exec", "-T", "app", "sh", "-c", "true"], dir),
    docker: () => timed("docker", ["exec", container, "sh", "-c", "true"], dir),
  };
  for (const tool of Object.keys(tools)) await tools[tool]();
  for (let r = 0; r < runs; r++) {
    const order = Object.keys(tools);
    if (r % 2 === 1) order.reverse();
    for (const tool of order) times[tool].push(await tools[tool]());
    process.stderr.write(`run ${r + 1}/${runs} done\n`);
  }
} finally {
  spawnSync(process.execPath, [berthBin, "-p", projects.berth, "down", "-t", "0"], {
    cwd: dir,
    env: childEnv,
  });
  spawnSync("docker-compose", ["-p", projects.compose, "down", "-t", "0"], { cwd: dir, env: childEnv });
  rmSync(dir, { recursive: true, force: true });
  await runtime.close();
}

const ms = (value) => `${Math.round(value)} ms`;
const version = spawnSync("docker-compose", ["version", "--short"], { encoding: "utf8" }).stdout.trim();
const rows = [
  ["`berth exec -T app sh -c true`", ms(median(times.berth)), ms(Math.min(...times.berth))],
  [
    `\`docker-compose exec -T app sh -c true\` (${version})`,
    ms(median(times.compose)),
    ms(Math.min(...times.compose)),
  ],
  ["`docker exec CONTAINER sh -c true` (the floor)", ms(median(times.docker)), ms(Math.min(...times.docker))],
];
const ratio = median(times.berth) / median(times.compose);
const report = [
  ...table(["command", "median", "best"], rows),
  "",
  `Runs: ${runs} per command (after one warm-up), ${os.cpus().length} cores, Node ${process.version}.`,
  `berth / docker-compose (median): ${ratio.toFixed(2)} (target ≤ ${TARGET})`,
  `Measured ${new Date().toISOString().slice(0, 10)}.`,
].join("\n");
console.log(report);

if (write) {
  const readmePath = path.join(root, "bench", "README.md");
  const readme = readFileSync(readmePath, "utf8");
  const begin = "<!-- exec:begin -->";
  const end = "<!-- exec:end -->";
  const at = readme.indexOf(begin);
  const stop = readme.indexOf(end);
  if (at < 0 || stop < at) throw new Error("bench/README.md lacks the exec markers");
  writeFileSync(readmePath, `${readme.slice(0, at + begin.length)}\n\n${report}\n\n${readme.slice(stop)}`);
  console.log("\nbench/README.md updated");
}
