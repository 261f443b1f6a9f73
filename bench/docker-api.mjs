#!/usr/bin/env node
// Benchmark: berth's Docker Engine API client against the docker CLI, on the local engine.
//  1. Round-trip latency of `GET /containers/json` (running containers): berth's
//     `createDockerRuntime().containers.list()` in one process (keep-alive connection) vs
//     `docker ps -q`, one CLI process per call (so its figure includes process start-up).
//  2. Log read throughput: a container writes ~50 MB to stdout (`yes | head -c`), exits, and its
//     whole log is read with berth's `logs()` (demultiplexed and split into lines) vs `docker logs`
//     (its stdout and stderr sent to /dev/null).
// Needs `npm run build` (imports dist/), a Docker engine, and the docker CLI for the comparison.
// Usage: node bench/docker-api.mjs [--runs N] [--cli-runs N] [--mb N] [--log-runs N] [--no-write]
/* global AbortSignal, Buffer */
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { benchImage, numberOption, percentile, table } from "./lib.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const option = (name, fallback) => numberOption(args, name, fallback);
const runs = option("--runs", 200);
const cliRuns = option("--cli-runs", 30);
const megabytes = option("--mb", 50);
const logRuns = option("--log-runs", 3);
const write = !args.includes("--no-write");

const RUN = `bench-${Date.now().toString(36)}`;
const LABELS = { "berth.test": RUN };

const entry = path.join(root, "dist/runtime/docker/docker-runtime.js");
if (!existsSync(entry)) {
  console.error(`${path.relative(root, entry)} is missing: run \`npm run build\` first`);
  process.exit(1);
}
const { createDockerRuntime } = await import(pathToFileURL(entry).href);

const ms = (n) => `${n.toFixed(n < 10 ? 2 : 1)} ms`;
const since = (start) => Number(process.hrtime.bigint() - start) / 1e6;

function cli(argv, options = {}) {
  return spawnSync("docker", argv, { encoding: "utf8", timeout: 120_000, ...options });
}
const haveCli = cli(["version", "--format", "{{.Client.Version}}"]).status === 0;

async function latency(runtime) {
  for (let i = 0; i < 5; i++) await runtime.containers.list(); // warm the connection
  const berth = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await runtime.containers.list();
    berth.push(since(start));
  }
  const rows = [{ client: "berth `containers.list()` (one process, keep-alive)", samples: berth }];
  if (haveCli) {
    const docker = [];
    for (let i = 0; i < cliRuns + 1; i++) {
      const start = process.hrtime.bigint();
      const result = cli(["ps", "-q"]);
      const took = since(start);
      if (result.status !== 0) throw new Error(`docker ps -q failed: ${result.stderr}`);
      if (i > 0) docker.push(took); // the first run warms the file cache
    }
    rows.push({ client: "`docker ps -q` (one CLI process per call, start-up included)", samples: docker });
  }
  return rows;
}

/** The engine's unix socket path when DOCKER_HOST names one (or is unset). */
function unixSocket() {
  const host = process.env.DOCKER_HOST ?? "unix:///var/run/docker.sock";
  return host.startsWith("unix://") ? host.slice("unix://".length) : undefined;
}

function rawRead(socketPath, requestPath) {
  return new Promise((resolve, reject) => {
    const request = http.get({ socketPath, path: requestPath, timeout: 180_000 }, (response) => {
      let read = 0;
      response.on("data", (chunk) => (read += chunk.length));
      response.on("end", () => resolve(read));
      response.on("error", reject);
    });
    request.on("timeout", () => request.destroy(new Error("raw log read timed out")));
    request.on("error", reject);
  });
}

async function throughput(runtime, image, info) {
  const bytes = megabytes * 1024 * 1024;
  const { id } = await runtime.containers.create({
    name: `berth-${RUN}-logs`,
    image,
    labels: LABELS,
    // 63 characters + newline per line.
    command: [
      "sh",
      "-c",
      `yes 0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0 | head -c ${bytes}`,
    ],
  });
  try {
    await runtime.containers.start(id);
    const { exitCode } = await runtime.containers.wait(id, { signal: AbortSignal.timeout(180_000) });
    if (exitCode !== 0) throw new Error(`the log writer exited ${exitCode}`);
    const rows = [];
    const berth = [];
    for (let i = 0; i < logRuns; i++) {
      let read = 0;
      const start = process.hrtime.bigint();
      for await (const line of runtime.containers.logs(id, { signal: AbortSignal.timeout(180_000) })) {
        read += Buffer.byteLength(line.line) + 1;
      }
      const took = since(start);
      if (read !== bytes) throw new Error(`berth logs read ${read} bytes, expected ${bytes}`);
      berth.push(took);
    }
    rows.push({ client: "berth `logs()` (LogLine per line)", samples: berth });
    const socketPath = unixSocket();
    if (socketPath) {
      // The ceiling: the same endpoint read with node:http, bytes counted, nothing parsed.
      const raw = [];
      for (let i = 0; i < logRuns; i++) {
        const start = process.hrtime.bigint();
        await rawRead(socketPath, `/v${info.apiVersion}/containers/${id}/logs?stdout=1&stderr=1`);
        raw.push(since(start));
      }
      rows.push({ client: "node:http on the socket, unparsed (ceiling)", samples: raw });
    }
    if (haveCli) {
      const docker = [];
      const devNull = openSync("/dev/null", "w");
      try {
        for (let i = 0; i < logRuns; i++) {
          const start = process.hrtime.bigint();
          const result = spawnSync("docker", ["logs", id], {
            stdio: ["ignore", devNull, devNull],
            timeout: 180_000,
          });
          const took = since(start);
          if (result.status !== 0) throw new Error(`docker logs exited ${result.status}`);
          docker.push(took);
        }
      } finally {
        closeSync(devNull);
      }
      rows.push({ client: "`docker logs` (to /dev/null, start-up included)", samples: docker });
    }
    return { bytes, rows };
  } finally {
    await runtime.containers.remove(id, { force: true }).catch(() => undefined);
  }
}

const runtime = createDockerRuntime();
let report;
try {
  const info = await runtime.ping(AbortSignal.timeout(5_000));
  const image = await benchImage(runtime);
  const running = (await runtime.containers.list()).length;
  const lat = await latency(runtime);
  const logs = await throughput(runtime, image, info);

  const mbps = (bytes, t) => `${(bytes / 1e6 / (t / 1000)).toFixed(0)} MB/s`;
  const rows = [
    ...lat.map((r) => [
      "`GET /containers/json` round trip",
      r.client,
      ms(percentile(r.samples, 50)),
      ms(percentile(r.samples, 95)),
      ms(Math.min(...r.samples)),
      String(r.samples.length),
    ]),
    ...logs.rows.map((r) => [
      `log read, ${megabytes} MiB of stdout`,
      r.client,
      mbps(logs.bytes, percentile(r.samples, 50)),
      "-",
      mbps(logs.bytes, Math.min(...r.samples)),
      String(r.samples.length),
    ]),
  ];
  const lines = [
    ...table(["measure", "client", "median", "p95", "best", "runs"], rows),
    "",
    `Engine: ${info.name} ${info.version} (API ${info.apiVersion}); ${running} running container(s) listed; ` +
      `${os.cpus().length} cores, Node ${process.version}.`,
    ...(haveCli ? [] : ["docker CLI not found: no comparison rows this run."]),
    `Measured ${new Date().toISOString().slice(0, 10)}.`,
  ];
  report = lines.join("\n").trimEnd();
} finally {
  await runtime.close();
}

console.log(report);
if (write) {
  const readme = path.join(root, "bench/README.md");
  const text = readFileSync(readme, "utf8");
  const begin = "<!-- docker-api:begin -->";
  const end = "<!-- docker-api:end -->";
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  if (from < 0 || to < from) {
    console.error(`bench/README.md has no ${begin} ... ${end} section: not updated`);
    process.exit(1);
  }
  const section = [
    "## Docker Engine API client (bench/docker-api.mjs)",
    "",
    "berth's own Engine API client against the docker CLI on the local engine: the round trip of",
    "`GET /containers/json` (berth: `containers.list()` in one process over a kept-alive socket; CLI:",
    "`docker ps -q`, one process per call, so its figure is mostly process start-up), and reading the",
    `whole log of a container that wrote ${megabytes} MiB to stdout (\`yes | head -c\`): berth's \`logs()\``,
    "demultiplexes and yields one LogLine per line; `docker logs` copies bytes to /dev/null.",
    "Printed only, nothing asserted. Objects are labelled `berth.test=bench-…` and removed afterwards.",
    "",
    "```",
    "npm run build && node bench/docker-api.mjs     # updates the table below",
    "node bench/docker-api.mjs --no-write           # prints only",
    "```",
    "",
    report,
  ].join("\n");
  writeFileSync(readme, `${text.slice(0, from + begin.length)}\n\n${section}\n${text.slice(to)}`);
  console.log("\nbench/README.md updated");
}
