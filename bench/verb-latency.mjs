// The skeleton of a one-command latency bench (bench/exec.mjs, bench/run.mjs): one sleeping `app`
// service of the bench image, a project for berth and one for docker-compose 1.29 on the same
// engine, each command a fresh process (start-up included), the tools taking turns to go first, one
// warm-up each, then the median of N runs; a floor (the docker CLI alone) timed alongside. Where the
// native runtime can run (root, runc, conmon), berth on it (its default on such a host) is timed in
// the same rounds, in a sandboxed BERTH_ROOT with the same image imported.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { leftovers, nativeBenchMissing, nativeSandbox, untilGone } from "./native-lib.mjs";
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

const TARGET = 0.5;
const LABEL = "berth.bench";

/**
 * `verb`: the bench's name (its README section); `command`: what berth and docker-compose run
 * after `-p PROJECT` (e.g. `["exec", "-T", "app", "sh", "-c", "true"]`); `upFirst`: bring both
 * projects up before timing; `floor(ctx)`: the docker CLI's argv for the same work, `ctx` holding
 * `image`, `label` (`key=value`), `network` (berth's project network on the engine) and
 * `container` (berth's app container, when up first).
 */
export async function verbLatency({ verb, command, upFirst, floor, floorLabel }) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  const args = process.argv.slice(2);
  const runs = numberOption(args, "--runs", 10);
  const write = !args.includes("--no-write");
  const berthBin = path.join(root, "bin", "berth.js");
  const run = `${verb}${Date.now().toString(36)}`;
  // berth on the Docker Engine as docker-compose is; its default (`auto`) would pick native here.
  const childEnv = { ...cliEnv(), BERTH_RUNTIME: "docker" };
  const step = (cmd, argv, cwd, env = childEnv) => {
    const result = spawnSync(cmd, argv, { cwd, env, encoding: "utf8" });
    if (result.status !== 0)
      throw new Error(`${cmd} ${argv.join(" ")} exited ${result.status}: ${result.stderr}`);
    return result.stdout;
  };

  const runtime = await builtDockerRuntime(root, "docker-compose");
  const image = await benchImage(runtime);
  // The native sandbox after childEnv was copied: it sets BERTH_ROOT in this process's environment.
  const sandbox =
    nativeBenchMissing(root, ["runc", "conmon"]) === undefined ? await nativeSandbox(root, verb) : undefined;
  const nativeEnv = sandbox && { ...cliEnv(), ...sandbox.env, BERTH_RUNTIME: "native" };
  if (sandbox && (await benchImage(sandbox.runtime)) !== image)
    throw new Error("the bench image differs between the runtimes");
  const dir = mkdtempSync(path.join(os.tmpdir(), `berth-bench-${verb}-`));
  // No `name:` (docker-compose 1.29 predates it): each tool gets its project with -p.
  writeFileSync(
    path.join(dir, "compose.yaml"),
    `services:\n  app:\n    image: ${image}\n    command: ["sleep", "3600"]\n    stop_grace_period: 1s\n    labels: { ${LABEL}: "${run}" }\n`,
  );
  const projects = { berth: `${run}b`, compose: `${run}c`, native: `${run}n` };
  const times = { berth: [], native: [], compose: [], docker: [] };
  try {
    let container = "";
    if (upFirst) {
      step(process.execPath, [berthBin, "-p", projects.berth, "up", "-d"], dir);
      step("docker-compose", ["-p", projects.compose, "up", "-d"], dir);
      if (nativeEnv) step(process.execPath, [berthBin, "-p", projects.native, "up", "-d"], dir, nativeEnv);
      const filter = `label=com.docker.compose.project=${projects.berth}`;
      container = step("docker", ["ps", "-q", "--filter", filter]).trim();
    }
    const tools = {
      berth: () => timed(process.execPath, [berthBin, "-p", projects.berth, ...command], dir, childEnv),
      ...(nativeEnv
        ? {
            native: () =>
              timed(process.execPath, [berthBin, "-p", projects.native, ...command], dir, nativeEnv),
          }
        : {}),
      compose: () => timed("docker-compose", ["-p", projects.compose, ...command], dir, childEnv),
    };
    for (const tool of Object.keys(tools)) await tools[tool]();
    // After the warm-ups, which made berth's project network on the engine: the floor runs there.
    const floorArgv = floor({
      image,
      label: `${LABEL}=${run}`,
      network: `${projects.berth}_default`,
      container,
    });
    tools.docker = () => timed("docker", floorArgv, dir, childEnv);
    await tools.docker();
    for (let r = 0; r < runs; r++) {
      const order = Object.keys(tools);
      if (r % 2 === 1) order.reverse();
      for (const tool of order) times[tool].push(await tools[tool]());
      process.stderr.write(`run ${r + 1}/${runs} done\n`);
    }
  } finally {
    for (const [bin, prefix, env] of [
      [process.execPath, [berthBin, "-p", projects.berth], childEnv],
      ["docker-compose", ["-p", projects.compose], childEnv],
      ...(nativeEnv ? [[process.execPath, [berthBin, "-p", projects.native], nativeEnv]] : []),
    ]) {
      spawnSync(bin, [...prefix, "down", "--remove-orphans", "-t", "0"], { cwd: dir, env });
    }
    rmSync(dir, { recursive: true, force: true });
    await runtime.close();
    if (sandbox) {
      const left = await untilGone(() => leftovers(sandbox));
      if (left.length > 0) console.error(`the native sandbox left:\n${left.join("\n")}`);
      else rmSync(sandbox.dir, { recursive: true, force: true });
    }
  }

  const ms = (value) => `${Math.round(value)} ms`;
  const row = (label, values) => [label, ms(median(values)), ms(Math.min(...values))];
  const version = spawnSync("docker-compose", ["version", "--short"], { encoding: "utf8" }).stdout.trim();
  const shown = command.join(" ");
  const rows = [
    row(`\`berth ${shown}\` (on the Docker Engine)`, times.berth),
    ...(nativeEnv ? [row(`\`berth ${shown}\` (native runtime, its default here)`, times.native)] : []),
    row(`\`docker-compose ${shown}\` (${version})`, times.compose),
    row(`\`${floorLabel}\` (the floor)`, times.docker),
  ];
  const ratio = (tool) => (median(times[tool]) / median(times.compose)).toFixed(2);
  const report = [
    ...table(["command", "median", "best"], rows),
    "",
    `Runs: ${runs} per command (after one warm-up), ${os.cpus().length} cores, Node ${process.version}, load ${os.loadavg()[0].toFixed(1)} at the end.`,
    `berth / docker-compose (median), on the Docker Engine: ${ratio("berth")}${nativeEnv ? `; native: ${ratio("native")}` : ""} (target ≤ ${TARGET})`,
    `The floor / docker-compose: ${ratio("docker")}.`,
    `Measured ${new Date().toISOString().slice(0, 10)}.`,
  ].join("\n");
  console.log(report);
  if (write) writeReadmeSection(root, verb, report);
}
