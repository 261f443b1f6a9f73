#!/usr/bin/env node
// Benchmark: `run --rm -T app true`, a one-off that exits at once, through berth and through
// docker-compose 1.29 (the reference) on the same engine, in the same run: each command a fresh
// process (start-up included), the tools taking turns to go first, one warm-up each (it makes the
// project's network), then the median of N runs. The one-off's own work on the engine (create,
// attach, start, wait, remove) is most of either figure; `docker run --rm` of the same image is
// timed too, as the floor any tool stays above.
// Needs `npm run build`, a Docker engine and `docker-compose`.
// The bench image has no `true` applet: the one-off runs `sh -c true` (the shell's builtin).
// Usage: node bench/run.mjs [--runs N] [--no-write]
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
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

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const runs = numberOption(args, "--runs", 10);
const write = !args.includes("--no-write");
const berthBin = path.join(root, "bin", "berth.js");
const TARGET = 0.5;
const LABEL = "berth.bench";
const RUN = `run${Date.now().toString(36)}`;
const childEnv = cliEnv();

const runtime = await builtDockerRuntime(root, "docker-compose");
const image = await benchImage(runtime);
const dir = mkdtempSync(path.join(os.tmpdir(), "berth-bench-run-"));
// No `name:` (docker-compose 1.29 predates it): each tool gets its project with -p.
writeFileSync(
  path.join(dir, "compose.yaml"),
  `services:\n  app:\n    image: ${image}\n    command: ["sleep", "3600"]\n    labels: { ${LABEL}: "${RUN}" }\n`,
);
const projects = { berth: `${RUN}b`, compose: `${RUN}c` };
const tools = {
  berth: () =>
    timed(
      process.execPath,
      [berthBin, "-p", projects.berth, "run", "--rm", "-T", "app", "sh", "-c", "true"],
      dir,
      childEnv,
    ),
  compose: () =>
    timed(
      "docker-compose",
      ["-p", projects.compose, "run", "--rm", "-T", "app", "sh", "-c", "true"],
      dir,
      childEnv,
    ),
  docker: () =>
    timed("docker", ["run", "--rm", "--label", `${LABEL}=${RUN}`, image, "sh", "-c", "true"], dir, childEnv),
};
const times = { berth: [], compose: [], docker: [] };

try {
  for (const tool of Object.keys(tools)) await tools[tool]();
  for (let r = 0; r < runs; r++) {
    const order = Object.keys(tools);
    if (r % 2 === 1) order.reverse();
    for (const tool of order) times[tool].push(await tools[tool]());
    process.stderr.write(`run ${r + 1}/${runs} done\n`);
  }
} finally {
  spawnSync(process.execPath, [berthBin, "-p", projects.berth, "down", "--remove-orphans", "-t", "0"], {
    cwd: dir,
    env: childEnv,
  });
  spawnSync("docker-compose", ["-p", projects.compose, "down", "--remove-orphans", "-t", "0"], {
    cwd: dir,
    env: childEnv,
  });
  rmSync(dir, { recursive: true, force: true });
  await runtime.close();
}

const ms = (value) => `${Math.round(value)} ms`;
const version = spawnSync("docker-compose", ["version", "--short"], { encoding: "utf8" }).stdout.trim();
const rows = [
  ["`berth run --rm -T app sh -c true`", ms(median(times.berth)), ms(Math.min(...times.berth))],
  [
    `\`docker-compose run --rm -T app sh -c true\` (${version})`,
    ms(median(times.compose)),
    ms(Math.min(...times.compose)),
  ],
  ["`docker run --rm IMAGE sh -c true` (the floor)", ms(median(times.docker)), ms(Math.min(...times.docker))],
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

if (write) writeReadmeSection(root, "run", report);
