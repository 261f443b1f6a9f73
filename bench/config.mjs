#!/usr/bin/env node
// Benchmark: wall time of `berth config -q` on a generated 500-service project and of
// `berth --version`, median of N runs, each a fresh process (Node start-up included).
// Where Debian's docker-compose is installed, the same project is timed with it in the same run.
// Usage: node bench/config.mjs [--runs N] [--services N] [--no-write]
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 && args[at + 1] ? Number(args[at + 1]) : fallback;
};
const runs = option("--runs", 15);
const serviceCount = option("--services", 500);
const write = !args.includes("--no-write");

function generateProject(count) {
  // No top-level `name:` (docker-compose 1.29 rejects it): both tools get `-p bench` instead.
  const lines = [
    "x-common: &common",
    "  restart: unless-stopped",
    "  labels:",
    "    tier: bench",
    "services:",
  ];
  for (let i = 0; i < count; i++) {
    lines.push(
      `  svc${i}:`,
      "    <<: *common",
      `    image: registry.local/app${i % 7}:\${TAG:-1.0}`,
      `    command: ["serve", "--port", "${8000 + i}"]`,
      "    environment:",
      `      SERVICE_INDEX: "${i}"`,
      "      LOG_LEVEL: ${LOG_LEVEL:-info}",
      "    ports:",
      `      - "127.0.0.1:${10000 + i}:${8000 + i}"`,
      "    volumes:",
      `      - data${i % 10}:/var/lib/app`,
      `      - ./config/svc${i}:/etc/app:ro`,
      "    networks: [front, back]",
      "    healthcheck:",
      `      test: ["CMD", "wget", "-q", "-O-", "http://localhost:${8000 + i}/health"]`,
      "      interval: 10s",
      "      timeout: 2s",
      "      retries: 3",
      "    mem_limit: 256m",
    );
    if (i > 0) {
      lines.push("    depends_on:", `      svc${i - 1}:`, "        condition: service_started");
    }
  }
  lines.push("networks:", "  front: {}", "  back: {}", "volumes:");
  for (let v = 0; v < 10; v++) lines.push(`  data${v}: {}`);
  return `${lines.join("\n")}\n`;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

// NODE_EXTRA_CA_CERTS makes every Node process read a CA bundle at start (~50 ms on the development
// machine); it has nothing to do with berth, so the children run without it. Node's own start-up
// is measured alongside (`node -e 0`) so berth's share is visible.
const childEnv = { ...process.env };
delete childEnv.NODE_EXTRA_CA_CERTS;

function time(cmd, argv, cwd) {
  const samples = [];
  for (let i = 0; i < runs + 1; i++) {
    const start = process.hrtime.bigint();
    const result = spawnSync(cmd, argv, { cwd, encoding: "utf8", env: childEnv });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (result.status !== 0) {
      throw new Error(`${cmd} ${argv.join(" ")} failed (${result.status}): ${result.stderr}`);
    }
    if (i > 0) samples.push(ms); // the first run warms the file cache
  }
  return { median: median(samples), min: Math.min(...samples), max: Math.max(...samples) };
}

function hasCommand(name) {
  return spawnSync("sh", ["-c", 'command -v "$0"', name]).status === 0;
}

const dir = mkdtempSync(path.join(os.tmpdir(), "berth-bench-"));
try {
  writeFileSync(path.join(dir, "compose.yaml"), generateProject(serviceCount));
  const berth = path.join(root, "bin", "berth.js");
  const results = [];
  results.push([
    "`berth config -q`",
    `${serviceCount} services`,
    time("node", [berth, "-p", "bench", "config", "-q"], dir),
  ]);
  results.push(["`berth --version`", "-", time("node", [berth, "--version"], dir)]);
  results.push(["`node -e 0` (Node start-up alone)", "-", time("node", ["-e", "0"], dir)]);
  let reference;
  if (hasCommand("docker-compose")) {
    reference = time("docker-compose", ["-p", "bench", "config", "-q"], dir);
    results.push(["`docker-compose config -q` (1.29.2)", `${serviceCount} services`, reference]);
  }

  const fmt = (n) => `${n.toFixed(0)} ms`;
  const rows = results.map(
    ([what, size, t]) => `| ${what} | ${size} | ${fmt(t.median)} | ${fmt(t.min)} | ${fmt(t.max)} |`,
  );
  const ratio = reference ? (results[0][2].median / reference.median).toFixed(2) : undefined;
  const table = [
    `| command | input | median | min | max |`,
    `|---|---|---|---|---|`,
    ...rows,
    "",
    `Runs: ${runs} per command (after one warm-up), ${os.cpus().length} cores, Node ${process.version}.`,
    ratio ? `berth / docker-compose (median): ${ratio}` : "docker-compose not installed: no ratio this run.",
  ].join("\n");
  console.log(table);

  const budgets = [
    ["config -q", results[0][2].median, 300],
    ["--version", results[1][2].median, 80],
  ];
  for (const [what, ms, budget] of budgets) {
    console.log(`${what}: ${ms.toFixed(0)} ms (budget ${budget} ms) ${ms <= budget ? "within" : "OVER"}`);
  }

  if (write) {
    const readmePath = path.join(root, "bench", "README.md");
    const readme = readFileSync(readmePath, "utf8");
    const begin = "<!-- config:begin -->";
    const end = "<!-- config:end -->";
    const at = readme.indexOf(begin);
    const stop = readme.indexOf(end);
    if (at < 0 || stop < 0) throw new Error("bench/README.md lacks the config markers");
    const stamp = `Measured ${new Date().toISOString().slice(0, 10)}.`;
    writeFileSync(
      readmePath,
      `${readme.slice(0, at + begin.length)}\n${table}\n${stamp}\n${readme.slice(stop)}`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
