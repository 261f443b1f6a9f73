// What the benchmark scripts share: flag parsing, statistics, Prettier-shaped Markdown tables, timing
// a CLI, writing bench/README.md, and the tiny busybox image they run (imported through berth's
// Engine API client, kept as a cache).
/* global AbortSignal, Buffer, performance */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { pathToFileURL } from "node:url";
import tar from "tar-stream";

const BUSYBOX = "/bin/busybox";

/** `--name N` from `args` as a number, else `fallback`. */
export function numberOption(args, name, fallback) {
  const at = args.indexOf(name);
  return at >= 0 && args[at + 1] ? Number(args[at + 1]) : fallback;
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

/** A Markdown table laid out as Prettier would (padded cells), so `prettier --check` passes. */
export function table(header, rows) {
  const widths = header.map((h, i) => Math.max(3, h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [line(header), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...rows.map(line)];
}

/**
 * The benches' busybox image (the host's busybox-static with a few applets), tagged by a hash of
 * its content: imported through berth when missing, and kept as a cache the benches share.
 */
export async function benchImage(runtime) {
  const busybox = readFileSync(BUSYBOX);
  const applets = ["sh", "yes", "head", "sleep"];
  const digest = createHash("sha256").update(busybox).update(applets.join()).digest("hex");
  const reference = `berth-bench/busybox:${digest.slice(0, 12)}`;
  if (await runtime.images.inspect(reference)) return reference;
  const pack = tar.pack();
  pack.entry({ name: "bin", type: "directory", mode: 0o755 });
  pack.entry({ name: "tmp", type: "directory", mode: 0o1777 });
  pack.entry({ name: "bin/busybox", mode: 0o755, size: busybox.length }, busybox);
  for (const applet of applets) pack.entry({ name: `bin/${applet}`, type: "symlink", linkname: "busybox" });
  pack.finalize();
  const chunks = [];
  for await (const chunk of pack) chunks.push(chunk);
  await runtime.images.importRootfs(Readable.from([Buffer.concat(chunks)]), {
    reference,
    changes: ["ENV PATH=/bin"],
    signal: AbortSignal.timeout(60_000),
  });
  return reference;
}

/**
 * The environment the timed CLIs run in: a CA bundle read at every Node start has nothing to do with
 * berth, and a project or file named in the bench's own shell must not reach the tools.
 */
export function cliEnv() {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  delete env.COMPOSE_PROJECT_NAME;
  delete env.COMPOSE_FILE;
  return env;
}

/** Wall time of one command in ms (stdin closed, output dropped); rejects with its stderr if it fails. */
export function timed(cmd, argv, cwd, env) {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(cmd, argv, { cwd, env, stdio: ["ignore", "ignore", "pipe"] });
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

/**
 * berth's built Engine API client, for set-up and clean-up; exits with a sentence when the build
 * (or, if named, a command to compare with) is missing.
 */
export async function builtDockerRuntime(root, compareWith) {
  const entry = path.join(root, "dist/runtime/docker/docker-runtime.js");
  if (!existsSync(entry)) {
    console.error(`${path.relative(root, entry)} is missing: run \`npm run build\` first`);
    process.exit(1);
  }
  if (compareWith && spawnSync("sh", ["-c", 'command -v "$0"', compareWith]).status !== 0) {
    console.error(`${compareWith} is not installed: nothing to compare with`);
    process.exit(1);
  }
  const { createDockerRuntime } = await import(pathToFileURL(entry).href);
  return createDockerRuntime();
}

/** Replaces what lies between `<!-- NAME:begin -->` and `<!-- NAME:end -->` in bench/README.md. */
export function writeReadmeSection(root, name, report) {
  const readmePath = path.join(root, "bench", "README.md");
  const readme = readFileSync(readmePath, "utf8");
  const begin = `<!-- ${name}:begin -->`;
  const at = readme.indexOf(begin);
  const stop = readme.indexOf(`<!-- ${name}:end -->`);
  if (at < 0 || stop < at) throw new Error(`bench/README.md lacks the ${name} markers`);
  writeFileSync(readmePath, `${readme.slice(0, at + begin.length)}\n\n${report}\n\n${readme.slice(stop)}`);
  console.log("\nbench/README.md updated");
}
