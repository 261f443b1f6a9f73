#!/usr/bin/env node
// Benchmark: the dashboard under load, in a real pseudo-terminal (a 120×40 tmux pane).
// 20 services each print 500 numbered lines a second for 30 s (50 lines every 0.1 s from a busybox
// shell) into `berth up`'s dashboard. Measured over the load, from outside the dashboard process:
// its CPU (utime+stime from /proc, share of one core), its memory (VmRSS, peak and end), and the
// latency from a PgUp sent to the terminal to the screen showing the logs paused (tmux send-keys,
// then capture-pane polled back to back: the figure includes tmux's own round trips). From the
// dashboard's own metrics (BERTH_DASHBOARD_METRICS): frames per second during the load, render
// time, key-to-frame time inside the process, and every line held in its store, checked here for
// loss, splits and merges (each service's lines must read 1..15000 in order, whole). Then the time
// from process start to the first frame of `berth dashboard` on the 20-service stack (internal, and
// as seen through tmux), median of 7.
// Needs `npm run build`, a Docker engine and tmux. Objects carry `berth.bench=<run>`; removed after.
// Usage: node bench/dashboard.mjs [--services 20] [--rate 500] [--seconds 30] [--no-write]
/* global clearInterval, performance, setInterval, setTimeout */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { execa } from "execa";
import { benchImage, median, numberOption, percentile } from "./lib.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const option = (name, fallback) => numberOption(args, name, fallback);
const SERVICES = option("--services", 20);
const RATE = option("--rate", 500);
const SECONDS = option("--seconds", 30);
const write = !args.includes("--no-write");
const BATCH = Math.max(1, Math.round(RATE / 10));
const BATCHES = SECONDS * 10;
const TOTAL = BATCH * BATCHES;
const STARTS = 7;
const TARGETS = { cpu: 50, lost: 0, firstFrameMs: 500, keyMs: 50 };

const RUN = `dash-${Date.now().toString(36)}`;
const LABEL = "berth.bench";
const PROJECT = `bench-${RUN}`;
const SOCKET = `berth-bench-${RUN}`;
const BIN = path.join(root, "bin", "berth.js");
const CLOCK_TICKS = 100; // USER_HZ on Linux

const entry = path.join(root, "dist/runtime/docker/docker-runtime.js");
if (!existsSync(entry)) {
  console.error(`${path.relative(root, entry)} is missing: run \`npm run build\` first`);
  process.exit(1);
}
if ((await execa("tmux", ["-V"], { reject: false })).exitCode !== 0) {
  console.error("tmux is missing: apt-get install -y tmux");
  process.exit(1);
}
const { createDockerRuntime } = await import(pathToFileURL(entry).href);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => performance.now();

const serviceName = (i) => `svc${String(i).padStart(2, "0")}`;

/** Each service prints BATCH numbered lines every 0.1 s, BATCHES times, then `done` and waits. */
function composeFile(image) {
  const lines = [`name: ${PROJECT}`, "services:"];
  for (let i = 0; i < SERVICES; i++) {
    const name = serviceName(i);
    lines.push(
      `  ${name}:`,
      `    image: ${image}`,
      "    command:",
      "      - sh",
      "      - -c",
      "      - |",
      "        trap 'exit 0' TERM",
      "        n=0; b=0",
      `        while [ $$b -lt ${BATCHES} ]; do`,
      "          j=0",
      `          while [ $$j -lt ${BATCH} ]; do n=$$((n+1)); echo "${name} $$n lorem ipsum dolor sit amet, consectetur adipiscing"; j=$$((j+1)); done`,
      "          b=$$((b+1)); sleep 0.1",
      "        done",
      `        echo "${name} done $$n"`,
      "        while true; do sleep 1; done",
      "    labels:",
      `      ${LABEL}: ${RUN}`,
    );
  }
  lines.push("networks:", "  default:", "    labels:", `      ${LABEL}: ${RUN}`);
  return `${lines.join("\n")}\n`;
}

const tmux = {
  run: async (argv) =>
    (
      await execa("tmux", ["-L", SOCKET, "-f", "/dev/null", ...argv], {
        env: { PATH: process.env.PATH, HOME: process.env.HOME ?? "/root" },
        extendEnv: false,
        timeout: 10_000,
      })
    ).stdout,
  start: async (session, cwd, argv, env) => {
    const vars = Object.entries({
      PATH: process.env.PATH,
      HOME: process.env.HOME ?? "/root",
      TERM: "xterm-256color",
      // Its stacks are on the Docker Engine: berth's default (`auto`) picks native on a root host.
      BERTH_RUNTIME: "docker",
      ...env,
    }).map(([key, value]) => `${key}=${value}`);
    await tmux.run([
      "new-session",
      "-d",
      "-s",
      session,
      "-x",
      "120",
      "-y",
      "40",
      "-c",
      cwd,
      "env",
      "-i",
      ...vars,
      process.execPath,
      BIN,
      ...argv,
    ]);
    await tmux.run(["set-option", "-t", session, "remain-on-exit", "on"]);
  },
  screen: (session) => tmux.run(["capture-pane", "-p", "-t", session]),
  keys: (session, ...keys) => tmux.run(["send-keys", "-t", session, ...keys]),
  pid: async (session) => Number(await tmux.run(["display-message", "-p", "-t", session, "#{pane_pid}"])),
  dead: async (session) => (await tmux.run(["display-message", "-p", "-t", session, "#{pane_dead}"])) === "1",
};

/**
 * Ink and its dependencies (not React) bundled into one file with rolldown, as scripts/bundle.mjs
 * bundles berth's own code: how long Ink would take to load if the CLI bundled it.
 */
async function bundleInk() {
  const { build } = await import("rolldown");
  const dir = path.join(root, ".bench-tmp", "ink-bundle");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "entry.mjs"), 'export * from "ink";\n');
  await build({
    input: path.join(dir, "entry.mjs"),
    platform: "node",
    external: [/^node:/, /^react(\/|$)/, /^react-devtools-core$/],
    logLevel: "silent",
    output: { dir: path.join(dir, "out"), format: "esm", entryFileNames: "[name].js" },
  });
  return path.join(dir, "out", "entry.js");
}

/** Wall time of one process, in ms (the dashboard's own start-up is compared with these). */
async function timed(file, argv) {
  const start = now();
  await execa(file, argv, {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME ?? "/root" },
    extendEnv: false,
  });
  return now() - start;
}

/** Polls `test` back to back until it holds; resolves with the elapsed ms, rejects after `ms`. */
async function until(test, ms, what) {
  const start = now();
  for (;;) {
    if (await test()) return now() - start;
    if (now() - start > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
  }
}

async function pollUntil(test, ms, what, every = 100) {
  const start = now();
  for (;;) {
    if (await test()) return now() - start;
    if (now() - start > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(every);
  }
}

function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

function rssBytes(pid) {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Number(match[1]) * 1024 : 0;
}

const ms = (value) => (Number.isFinite(value) ? `${value.toFixed(value < 10 ? 1 : 0)} ms` : "-");
const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

/** Each service's lines must be `svcNN 1` … `svcNN TOTAL`, whole and in order, then `done`. */
function checkLines(sources) {
  let held = 0;
  let lost = 0;
  let malformed = 0;
  let outOfOrder = 0;
  for (let i = 0; i < SERVICES; i++) {
    const name = serviceName(i);
    const source = sources.find((s) => s.name === `${PROJECT}-${name}-1`);
    const lines = source?.lines ?? [];
    const pattern = new RegExp(`^${name} (\\d+) lorem ipsum dolor sit amet, consectetur adipiscing$`);
    let expected = 1;
    for (const line of lines) {
      const match = pattern.exec(line);
      if (!match) {
        if (line !== `${name} done ${TOTAL}`) malformed++;
        continue;
      }
      held++;
      if (Number(match[1]) !== expected) outOfOrder++;
      expected = Number(match[1]) + 1;
    }
    lost += TOTAL - lines.filter((l) => pattern.test(l)).length;
  }
  return { held, lost, malformed, outOfOrder };
}

async function cleanUp(runtime, dir) {
  await tmux.run(["kill-server"]).catch(() => undefined);
  // tmux leaves its socket file behind.
  rmSync(path.join(process.env.TMUX_TMPDIR ?? "/tmp", `tmux-${process.getuid()}`, SOCKET), { force: true });
  await execa(process.execPath, [BIN, "-p", PROJECT, "down", "-v", "-t", "0"], {
    reject: false,
    cwd: os.tmpdir(),
  });
  const labels = [`${LABEL}=${RUN}`];
  for (const c of await runtime.containers.list({ labels, all: true }))
    await runtime.containers.remove(c.id, { force: true });
  for (const n of await runtime.networks.list({ labels }))
    await runtime.networks.remove(n.id).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}

async function main() {
  const runtime = createDockerRuntime();
  const dir = mkdtempSync(path.join(os.tmpdir(), "berth-bench-dashboard-"));
  const loadBefore = os.loadavg()[0];
  try {
    const image = await benchImage(runtime);
    writeFileSync(path.join(dir, "compose.yaml"), composeFile(image));
    const metricsFile = path.join(dir, "load.json");
    console.error(`${SERVICES} services × ${RATE} lines/s × ${SECONDS} s into the dashboard (${PROJECT})…`);

    // --- the load -------------------------------------------------------------------------------
    await tmux.start("load", dir, ["up"], {
      BERTH_DASHBOARD_METRICS: metricsFile,
      BERTH_DASHBOARD_METRICS_LINES: "1",
      BERTH_DASHBOARD_SCROLLBACK: String(TOTAL + 1000),
    });
    const pid = await tmux.pid("load");
    await pollUntil(
      async () => (await tmux.screen("load")).includes("up done in"),
      120_000,
      "the up to finish",
    );
    await sleep(1_000);
    const windowMs = (SECONDS - 5) * 1000;
    const windowStart = Date.now();
    const ticks0 = cpuTicks(pid);
    const t0 = now();
    const rss = [];
    const sampler = setInterval(() => rss.push(rssBytes(pid)), 500);
    // Key-to-screen: PgUp must show the logs paused; End follows again.
    const keyMs = [];
    let keysSent = 0; // each draws a frame at once, on top of the clock's
    await sleep(3_000);
    while (now() - t0 < windowMs - 2_000) {
      await tmux.keys("load", "PPage");
      keysSent++;
      const sent = now();
      await until(
        async () => /Logs · all services · paused/.test(await tmux.screen("load")),
        3_000,
        "the paused logs",
      );
      keyMs.push(now() - sent);
      await tmux.keys("load", "End");
      keysSent++;
      await until(
        async () => /Logs · all services · following/.test(await tmux.screen("load")),
        3_000,
        "the logs following",
      );
      await sleep(400);
    }
    const elapsed = (now() - t0) / 1000;
    const ticks1 = cpuTicks(pid);
    const windowEnd = Date.now();
    clearInterval(sampler);
    const cpu = ((ticks1 - ticks0) / CLOCK_TICKS / elapsed) * 100;

    // Every service has printed its last line: leave the dashboard (d keeps the stack up).
    await pollUntil(
      async () => {
        const done = await Promise.all(
          Array.from({ length: SERVICES }, async (_, i) => {
            for await (const line of runtime.containers.logs(`${PROJECT}-${serviceName(i)}-1`, { tail: 1 })) {
              if (line.line.includes(" done ")) return true;
            }
            return false;
          }),
        );
        return done.every(Boolean);
      },
      SECONDS * 1000 + 60_000,
      "every service to finish printing",
      1_000,
    );
    await sleep(1_000);
    await tmux.keys("load", "d");
    await pollUntil(() => tmux.dead("load"), 30_000, "the dashboard to exit");
    const metrics = JSON.parse(readFileSync(metricsFile, "utf8"));
    const lines = checkLines(metrics.sources);
    const inWindow = metrics.frameAt.filter((t) => {
      const at = metrics.timeOrigin + t;
      return at >= windowStart && at <= windowEnd;
    }).length;
    const fps = inWindow / ((windowEnd - windowStart) / 1000);
    const clockFps = (inWindow - keysSent) / ((windowEnd - windowStart) / 1000);
    const upFirstFrame = metrics.firstFrameMs;

    // --- start to first frame of `berth dashboard` on the 20-service stack -------------------------
    const internal = [];
    const internalCpu = [];
    const external = [];
    for (let i = 0; i < STARTS; i++) {
      const file = path.join(dir, `start-${i}.json`);
      const spawned = now();
      await tmux.start(`start${i}`, dir, ["dashboard"], { BERTH_DASHBOARD_METRICS: file });
      await until(
        async () => (await tmux.screen(`start${i}`)).includes("berth · "),
        10_000,
        "the first frame",
      );
      external.push(now() - spawned);
      await sleep(500);
      await tmux.keys(`start${i}`, "d");
      await pollUntil(() => tmux.dead(`start${i}`), 10_000, "the dashboard to exit", 50);
      // Let the engine finish serving the last one (its log tails and stats) before the next start.
      await sleep(2_000);
      const started = JSON.parse(readFileSync(file, "utf8"));
      internal.push(started.firstFrameMs);
      internalCpu.push(started.firstFrameCpuMs);
    }

    // --- baselines, in the same run: what the figures above contain that is not the dashboard's -----
    const nodeAlone = [];
    const inkAlone = [];
    const inkBundled = [];
    const bundled = await bundleInk();
    for (let i = 0; i < 5; i++) {
      nodeAlone.push(await timed(process.execPath, ["-e", "0"]));
      inkAlone.push(await timed(process.execPath, ["--input-type=module", "-e", 'await import("ink")']));
      inkBundled.push(
        await timed(process.execPath, [
          "--input-type=module",
          "-e",
          `await import(${JSON.stringify(bundled)})`,
        ]),
      );
    }
    const tmuxTrip = [];
    await tmux.run(["new-session", "-d", "-s", "echo", "-x", "120", "-y", "40", "cat"]);
    for (let i = 0; i < 20; i++) {
      const mark = `k${i}x`;
      await tmux.keys("echo", "-l", mark);
      const sent = now();
      await until(async () => (await tmux.screen("echo")).includes(mark), 3_000, "cat's echo");
      tmuxTrip.push(now() - sent);
    }

    const result = {
      cpu,
      rssPeak: Math.max(...rss),
      rssEnd: rss.at(-1) ?? 0,
      fps,
      clockFps,
      keysSent,
      render: { median: median(metrics.renderMs), p95: percentile(metrics.renderMs, 95) },
      keyExternal: { median: median(keyMs), p95: percentile(keyMs, 95), n: keyMs.length },
      keyInternal: { median: median(metrics.keyToFrameMs), p95: percentile(metrics.keyToFrameMs, 95) },
      lines,
      store: metrics.store,
      upFirstFrame,
      nodeAlone: median(nodeAlone),
      inkAlone: median(inkAlone),
      inkBundled: median(inkBundled),
      tmuxTrip: median(tmuxTrip),
      firstInternal: median(internal),
      firstCpu: median(internalCpu),
      firstExternal: median(external),
      elapsed,
      loadBefore,
      loadAfter: os.loadavg()[0],
    };
    report(result);
  } finally {
    await cleanUp(runtime, dir).catch((error) => console.error(`clean-up: ${error.message}`));
    await runtime.close();
  }
}

function report(r) {
  const ok = (pass) => (pass ? "✓" : "✗");
  const rows = [
    [
      "dashboard CPU during the load",
      `${r.cpu.toFixed(1)}% of one core`,
      `< ${TARGETS.cpu}%`,
      ok(r.cpu < TARGETS.cpu),
    ],
    ["dashboard memory (VmRSS)", `peak ${mib(r.rssPeak)}, end ${mib(r.rssEnd)}`, "-", ""],
    [
      "frames per second during the load (the clock's; with the keys' frames)",
      `${r.clockFps.toFixed(1)}; ${r.fps.toFixed(1)} with ${r.keysSent} keys`,
      "≤ 30",
      ok(r.clockFps <= 30.5),
    ],
    ["render time per frame (median / p95)", `${ms(r.render.median)} / ${ms(r.render.p95)}`, "-", ""],
    [
      "lines lost from the store",
      `${r.lines.lost} of ${(TOTAL * SERVICES).toLocaleString("en")} (held ${r.lines.held.toLocaleString("en")}; split or merged ${r.lines.malformed}, out of order ${r.lines.outOfOrder})`,
      `${TARGETS.lost}`,
      ok(r.lines.lost === 0 && r.lines.malformed === 0 && r.lines.outOfOrder === 0),
    ],
    [
      "`berth dashboard` start to first frame, in process (median of 7)",
      ms(r.firstInternal),
      `< ${TARGETS.firstFrameMs} ms`,
      ok(r.firstInternal < TARGETS.firstFrameMs),
    ],
    ["`berth dashboard` start to first frame, seen through tmux (median of 7)", ms(r.firstExternal), "-", ""],
    [
      "`berth dashboard` CPU time to the first frame (all threads; steadier than wall time, median of 7)",
      ms(r.firstCpu),
      "-",
      "",
    ],
    [
      "`berth up` start to first frame, in process",
      ms(r.upFirstFrame),
      `< ${TARGETS.firstFrameMs} ms`,
      ok(r.upFirstFrame < TARGETS.firstFrameMs),
    ],
    [
      `PgUp to the screen showing it, through tmux (median / p95 of ${r.keyExternal.n})`,
      `${ms(r.keyExternal.median)} / ${ms(r.keyExternal.p95)}`,
      `< ${TARGETS.keyMs} ms`,
      ok(r.keyExternal.median < TARGETS.keyMs),
    ],
    [
      "key to frame, in process (median / p95)",
      `${ms(r.keyInternal.median)} / ${ms(r.keyInternal.p95)}`,
      `< ${TARGETS.keyMs} ms`,
      ok(r.keyInternal.median < TARGETS.keyMs),
    ],
    ["baseline: `node -e 0` (Node's start-up alone, median of 5)", ms(r.nodeAlone), "-", ""],
    ['baseline: `import("ink")` (loading Ink and React alone, median of 5)', ms(r.inkAlone), "-", ""],
    [
      "baseline: the same with Ink bundled by rolldown (React external, median of 5)",
      ms(r.inkBundled),
      "-",
      "",
    ],
    ["baseline: a key through tmux to a pane running `cat` (median of 20)", ms(r.tmuxTrip), "-", ""],
  ];
  const header = ["measure", "result", "target", "met"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => String(row[i]).length)));
  const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(" | ")} |`;
  const table = [line(header), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...rows.map(line)].join(
    "\n",
  );
  const notes = [
    `Load: ${SERVICES} services × ${RATE} lines/s (${BATCH} every 0.1 s) for ${SECONDS} s = ${(TOTAL * SERVICES).toLocaleString("en")} lines; measured over ${r.elapsed.toFixed(1)} s of it, in a 120×40 tmux pane.`,
    `Store: ${r.store.received.toLocaleString("en")} lines received, ${r.store.evicted} evicted (scrollback raised to ${TOTAL + 1000} per container for the check).`,
    `Machine: ${os.cpus().length} cores, Node ${process.version}; load average ${r.loadBefore.toFixed(1)} before, ${r.loadAfter.toFixed(1)} after (the engine and the 20 shells share the cores).`,
    `Measured ${new Date().toISOString().slice(0, 10)}.`,
  ];
  const text = `${table}\n\n${notes.join("\n")}\n`;
  console.log(text);
  if (!write) return;
  const readme = path.join(root, "bench", "README.md");
  const body = [
    "<!-- dashboard:begin -->",
    "",
    "## The dashboard under load (bench/dashboard.mjs)",
    "",
    "`berth up`'s dashboard in a 120×40 tmux pane while 20 services each print 500 numbered lines a",
    "second for 30 s. CPU and memory are read from /proc for the dashboard process; frames, render",
    "times and the store's lines from its own metrics (`BERTH_DASHBOARD_METRICS`); each service's",
    "lines are checked to read 1…15000 in order, whole. Key-to-screen is timed from outside: PgUp is",
    "sent with `tmux send-keys` and the pane captured back to back until the logs show as paused (so",
    "it includes tmux's own round trips). Start to first frame is `berth dashboard` on the same stack.",
    "",
    "Where the time goes. The first frame is Node's start-up plus loading Ink and React (the baselines",
    "below, timed in the same run): Ink's tree is ~530 modules, ~415 of them es-toolkit's `compat`",
    "barrel, which Ink imports for `throttle` alone. Bundled as berth's own code is (React left",
    "external), Ink loads in about a third of the time, and scripts/bundle.mjs does bundle it into the",
    "dashboard's chunk. Two more things were cut from the first frame: Yoga (Ink's layout engine)",
    "instantiates its WebAssembly with `fetch` when `fetch` is a function, and Node's lazy `fetch`",
    "loads its whole HTTP client (~40 ms), so `fetch` is hidden while the screen loads; and V8's",
    "optimizing compiler waits until the first frame is drawn (src/cli/optimizer.ts), since loading",
    "and the first render are one cold pass (CPU to the first frame 575 → 459 ms, median of 9).",
    "",
    "A frame used to cost ~20 ms, ~40% of the dashboard's CPU under this load, nearly all in Ink's",
    "output stage: every line tokenized into one object per character on a grid of cells, then",
    "serialized back to text. The bundle gives Ink its own version of that module",
    "(src/ui/dashboard/ink-output.ts): a row whose pieces do not overlap (panes side by side, borders)",
    "is joined as text, any other row goes through Ink's grid as before; tests check that both put the",
    "same cells on the screen. A frame now costs ~1 ms. Frames still keep to a CPU budget (spaced",
    "three times their cost, 33–250 ms) and a key's frame is drawn at once, on top of the clock's.",
    "",
    "```",
    "npm run build && node bench/dashboard.mjs      # updates the table below",
    "node bench/dashboard.mjs --no-write            # prints only",
    "```",
    "",
    text.trimEnd(),
    "<!-- dashboard:end -->",
  ].join("\n");
  let current = readFileSync(readme, "utf8");
  const begin = current.indexOf("<!-- dashboard:begin -->");
  const end = current.indexOf("<!-- dashboard:end -->");
  if (begin >= 0 && end > begin)
    current = current.slice(0, begin) + body + current.slice(end + "<!-- dashboard:end -->".length);
  else current = `${current.trimEnd()}\n\n${body}\n`;
  writeFileSync(readme, current);
  console.error(`wrote ${path.relative(root, readme)}`);
}

await main();
