/**
 * The dashboard end to end: the built CLI in a real pseudo-terminal (a tmux pane on a tmux server
 * of this test's own), on the real engine. Each test says what must hold, drives the dashboard with
 * keys as a person would, and checks the engine's state (replicas, start times, what is left) as
 * well as the screen. Every wait is bounded; everything made carries `berth.test=<run id>`.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { constants, tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Runtime } from "../../src/runtime/runtime.js";
import { describeEngine, eventually, requireOrSkip, RUN_ID, TEST_LABEL } from "../integration/engine.js";
import { openTestEngine } from "../integration/images.js";
import { leaks } from "../integration/leaks.js";
import { berth, CLI_RUNTIME, repoRoot } from "./cli.js";
import { fixtures } from "./fixtures.js";

const BIN = path.join(repoRoot, "bin", "berth.js");
const SOCKET = `berth-e2e-${RUN_ID}`;
const tmuxFound = (await execa("tmux", ["-V"], { reject: false })).exitCode === 0;

/**
 * tmux's `#{pane_dead_status}` is often empty for a process that just handled a Ctrl-C, so berth
 * runs under this wrapper, which records how it ended. The wrapper only outlives a Ctrl-C (it has
 * a handler, not SIG_IGN, so berth still gets SIGINT as it would alone in the terminal).
 */
const WRAPPER = `import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
process.on("SIGINT", () => undefined);
const [file, ...argv] = process.argv.slice(2);
const child = spawn(process.execPath, argv, { stdio: "inherit" });
child.on("exit", (code, signal) => {
  writeFileSync(file, JSON.stringify({ code, signal }));
  process.exit(0);
});
`;
const scratch = mkdtempSync(path.join(tmpdir(), "berth-e2e-tmux-"));
const wrapper = path.join(scratch, "wrap.mjs");
writeFileSync(wrapper, WRAPPER);
const statusFile = (session: string): string => path.join(scratch, `${session}.status.json`);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A tmux server of this test's own, clean environment, one session per dashboard. */
const tmux = {
  async run(args: readonly string[]): Promise<string> {
    const result = await execa("tmux", ["-L", SOCKET, "-f", "/dev/null", ...args], {
      env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: process.env["HOME"] ?? "/root" },
      extendEnv: false,
      timeout: 10_000,
    });
    return result.stdout;
  },

  /** Starts `berth args` in a new session (a `columns`×`rows` terminal) in `cwd`. */
  async start(
    session: string,
    cwd: string,
    args: readonly string[],
    env: Record<string, string> = {},
  ): Promise<void> {
    const vars = Object.entries({
      PATH: process.env["PATH"] ?? "/usr/bin:/bin",
      HOME: process.env["HOME"] ?? "/root",
      TERM: "xterm-256color",
      BERTH_RUNTIME: CLI_RUNTIME,
      ...env,
    }).map(([key, value]) => `${key}=${value}`);
    // Several arguments after the options: tmux runs them as they are, without a shell.
    rmSync(statusFile(session), { force: true });
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
      wrapper,
      statusFile(session),
      BIN,
      ...args,
    ]);
    await tmux.run(["set-option", "-t", session, "remain-on-exit", "on"]);
  },

  /** The screen; `history` adds what scrolled off (tmux scrolls a dead pane's last lines up). */
  screen: (session: string, options: { escapes?: boolean; history?: boolean } = {}): Promise<string> =>
    tmux.run([
      "capture-pane",
      "-p",
      ...(options.escapes ? ["-e"] : []),
      ...(options.history ? ["-S", "-200"] : []),
      "-t",
      session,
    ]),

  keys: async (session: string, ...keys: string[]): Promise<void> =>
    void (await tmux.run(["send-keys", "-t", session, ...keys])),

  text: async (session: string, text: string): Promise<void> =>
    void (await tmux.run(["send-keys", "-t", session, "-l", text])),

  /** berth's exit status once it has ended (a signal reads as 128 + its number), else undefined. */
  async exited(session: string): Promise<number | undefined> {
    if (!existsSync(statusFile(session))) return undefined;
    const { code, signal } = JSON.parse(readFileSync(statusFile(session), "utf8")) as {
      code: number | null;
      signal: NodeJS.Signals | null;
    };
    return code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0);
  },
};

/** berth's exit status in `session`, once it has ended (bounded wait). */
async function exitStatus(session: string, timeoutMs: number): Promise<number | undefined> {
  return eventually(async () => {
    const status = await tmux.exited(session);
    expect(status).toBeDefined();
    return status;
  }, timeoutMs);
}

/** `down -v` of `project` succeeds and leaves nothing of it on the engine. */
async function downLeavesNothing(project: string): Promise<void> {
  const down = await berth(["-p", project, "down", "-v", "-t", "1"], { cwd: tmpdir() });
  expect(down.exitCode).toBe(0);
  expect(await leaks(runtime, project)).toEqual([]);
}

let runtime: Runtime;
let image: string;
const dirs: string[] = [];
const projects: string[] = [];

const fixture = fixtures("e2e-dash", dirs, projects);

/** db (healthy) ← web (healthy): web prints a needle, then enough lines to push it out of view. */
const STACK = (project: string): string => `
name: ${project}
services:
  db:
    image: ${image}
    command: ["sh", "-c", "echo db ready; exec sleep 3600"]
    healthcheck: { test: ["CMD", "true"], interval: 1s, retries: 30 }
    stop_grace_period: 1s
    labels: { ${TEST_LABEL}: "${RUN_ID}" }
  web:
    image: ${image}
    command: ["sh", "-c", "echo needle-${RUN_ID}; i=0; while [ $$i -lt 150 ]; do echo filler $$i; i=$$((i+1)); done; exec sleep 3600"]
    healthcheck: { test: ["CMD", "true"], interval: 1s, retries: 30 }
    depends_on: { db: { condition: service_healthy } }
    stop_grace_period: 1s
    labels: { ${TEST_LABEL}: "${RUN_ID}" }
networks:
  default:
    labels: { ${TEST_LABEL}: "${RUN_ID}" }
`;

async function webContainers(project: string) {
  const ps = await berth(["-p", project, "ps", "--format", "json", "web"], { cwd: tmpdir() });
  expect(ps.exitCode).toBe(0);
  return ps.stdout
    .trim()
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as { Name: string; State: string });
}

describeEngine("the dashboard in a real terminal", () => {
  beforeAll(async () => ({ runtime, image } = await openTestEngine()), 90_000);

  afterAll(async () => {
    if (tmuxFound) await tmux.run(["kill-server"]).catch(() => undefined);
    // tmux leaves its socket file behind.
    rmSync(path.join(process.env["TMUX_TMPDIR"] ?? "/tmp", `tmux-${process.getuid?.() ?? 0}`, SOCKET), {
      force: true,
    });
    // Whatever a failed test left behind goes, through the CLI first and then directly.
    for (const project of projects) await berth(["-p", project, "down", "-v", "-t", "0"], { cwd: tmpdir() });
    for (const project of projects) {
      const labels = [`com.docker.compose.project=${project}`];
      for (const c of await runtime.containers.list({ labels, all: true })) {
        await runtime.containers.remove(c.id, { force: true, volumes: true });
      }
      for (const n of await runtime.networks.list({ labels })) await runtime.networks.remove(n.id);
    }
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    await runtime.close();
  }, 60_000);

  it("berth up must open the dashboard: healthy rows, + adds a replica, r restarts, / finds a line, d detaches leaving the stack up", async (context) => {
    requireOrSkip(context, tmuxFound, "tmux is not installed (apt-get install -y tmux)");
    const { dir, project } = fixture("up", STACK);
    await tmux.start("up", dir, ["up"]);

    // Step: the rows appear in dependency order, each running and healthy.
    await eventually(async () => {
      const screen = await tmux.screen("up");
      expect(screen).toMatch(/^› +db +running +healthy +1\/1 /m);
      expect(screen).toMatch(/^ +web +running +healthy +1\/1 /m);
      expect(screen).toContain("up done in");
      // The needle has scrolled out of the logs pane under the filler.
      expect(screen).toContain("filler 149");
      expect(screen).not.toContain(`needle-${RUN_ID}`);
    }, 60_000);

    // Step: + on web (selected with j) makes `berth ps` show one more replica.
    expect(await webContainers(project)).toHaveLength(1);
    await tmux.keys("up", "j");
    await tmux.keys("up", "+");
    await eventually(async () => {
      const web = await webContainers(project);
      expect(web.map((c) => [c.Name, c.State])).toEqual([
        [`${project}-web-1`, "running"],
        [`${project}-web-2`, "running"],
      ]);
    }, 30_000);
    await eventually(
      async () => expect(await tmux.screen("up")).toMatch(/^› ▸ web +running +\w+ +2\/2 /m),
      15_000,
    );

    // Step: r restarts web: its first replica's start time changes.
    const before = (await runtime.containers.inspect(`${project}-web-1`))?.startedAt?.getTime();
    expect(before).toBeDefined();
    await tmux.keys("up", "r");
    await eventually(async () => {
      const after = (await runtime.containers.inspect(`${project}-web-1`))?.startedAt?.getTime();
      expect(after).toBeGreaterThan(before ?? Number.POSITIVE_INFINITY);
    }, 30_000);
    await eventually(
      async () => expect(await tmux.screen("up")).toMatch(/^› ▸ web +running +healthy +2\/2 /m),
      30_000,
    );

    // Step: / finds the known line, out of view until then.
    expect(await tmux.screen("up")).not.toContain(`needle-${RUN_ID}`);
    await tmux.keys("up", "/");
    await tmux.text("up", `needle-${RUN_ID}`);
    await tmux.keys("up", "Enter");
    await eventually(async () => {
      const screen = await tmux.screen("up");
      expect(screen).toContain(`/needle-${RUN_ID} found`);
      expect(screen).toMatch(new RegExp(`^▶web-\\d +\\| needle-${RUN_ID}$`, "m"));
    }, 10_000);

    // Step: d detaches: berth exits 0 and says so, and the stack keeps running.
    await tmux.keys("up", "d");
    expect(await exitStatus("up", 15_000)).toBe(0);
    expect(await tmux.screen("up", { history: true })).toContain(`Detached: ${project} keeps running`);
    const running = await runtime.containers.list({ labels: [`com.docker.compose.project=${project}`] });
    expect(running.map((c) => [c.name, c.status]).sort()).toEqual([
      [`${project}-db-1`, "running"],
      [`${project}-web-1`, "running"],
      [`${project}-web-2`, "running"],
    ]);

    // Step: down leaves nothing of the project.
    await downLeavesNothing(project);
  }, 180_000);

  it("berth dashboard must show a running stack without colour under NO_COLOR, e must open a shell and come back, and D then y must remove it", async (context) => {
    requireOrSkip(context, tmuxFound, "tmux is not installed (apt-get install -y tmux)");
    const { dir, project } = fixture("attach", STACK);
    const up = await berth(["up", "-d", "--wait"], { cwd: dir });
    expect(up.exitCode).toBe(0);

    await tmux.start("attach", dir, ["dashboard"], { NO_COLOR: "1" });
    await eventually(async () => {
      const screen = await tmux.screen("attach");
      expect(screen).toMatch(/^› +db +running +healthy /m);
      // Opened on a running stack, it shows each container's recent history.
      expect(screen).toContain("filler 149");
    }, 30_000);
    // No colour anywhere on the screen (tmux reports any SGR it holds with -e).
    // eslint-disable-next-line no-control-regex
    expect(await tmux.screen("attach", { escapes: true })).not.toMatch(/\x1b\[[0-9;]*m/);

    // Step: e opens sh in db's container with the dashboard suspended; exiting it restores the dashboard.
    await tmux.keys("attach", "e");
    await eventually(async () => expect(await tmux.screen("attach")).toMatch(/^\/ #\s*$/m), 15_000);
    await tmux.text("attach", `echo shell-$((6*7))-${RUN_ID}; exit 7`);
    await tmux.keys("attach", "Enter");
    await eventually(async () => {
      const screen = await tmux.screen("attach");
      expect(screen).toMatch(/^› +db +running +healthy /m);
      expect(screen).toContain(`shell in ${project}-db-1 exited with code 7`);
    }, 15_000);

    // Step: D asks first; n leaves everything as it was.
    await tmux.keys("attach", "D");
    await eventually(
      async () =>
        expect(await tmux.screen("attach")).toContain(
          "Down: stop and remove the stack's containers and networks? y/n",
        ),
      10_000,
    );
    await tmux.keys("attach", "n");
    await eventually(async () => expect(await tmux.screen("attach")).toContain("r restart"), 10_000);
    expect(await webContainers(project)).toHaveLength(1);

    // Step: D then y downs the stack and berth exits 0.
    await tmux.keys("attach", "D");
    await eventually(async () => expect(await tmux.screen("attach")).toContain("y/n"), 10_000);
    await tmux.keys("attach", "y");
    expect(await exitStatus("attach", 30_000)).toBe(0);
    expect(await tmux.screen("attach", { history: true })).toContain(`Removed ${project}`);
    expect(await leaks(runtime, project)).toEqual([]);
  }, 120_000);

  it("q in berth up's dashboard must stop the stack as up does on Ctrl-C (containers stopped, kept) and exit 0", async (context) => {
    requireOrSkip(context, tmuxFound, "tmux is not installed (apt-get install -y tmux)");
    const { dir, project } = fixture("quit", STACK);
    await tmux.start("quit", dir, ["up"]);
    await eventually(async () => {
      const screen = await tmux.screen("quit");
      expect(screen).toMatch(/^ +web +running +healthy +1\/1 /m);
      expect(screen).toContain("up done in");
    }, 60_000);

    await tmux.keys("quit", "q");
    expect(await exitStatus("quit", 30_000)).toBe(0);
    expect(await tmux.screen("quit", { history: true })).toContain(`Stopped ${project}`);
    // Stopped, not removed: the containers are there, none of them running.
    const all = await runtime.containers.list({
      labels: [`com.docker.compose.project=${project}`],
      all: true,
    });
    expect(all.map((c) => c.name).sort()).toEqual([`${project}-db-1`, `${project}-web-1`]);
    expect(all.filter((c) => c.status === "running")).toEqual([]);

    await downLeavesNothing(project);
  }, 120_000);

  it("berth up's dashboard must end by itself, status 0, once every container has exited, as the plain up does", async (context) => {
    requireOrSkip(context, tmuxFound, "tmux is not installed (apt-get install -y tmux)");
    const { dir, project } = fixture(
      "ended",
      (name) => `
name: ${name}
services:
  job:
    image: ${image}
    command: ["sh", "-c", "echo job done; sleep 2"]
    labels: { ${TEST_LABEL}: "${RUN_ID}" }
networks:
  default:
    labels: { ${TEST_LABEL}: "${RUN_ID}" }
`,
    );
    await tmux.start("ended", dir, ["up"]);
    expect(await exitStatus("ended", 45_000)).toBe(0);
    expect(await tmux.screen("ended", { history: true })).toContain(
      `Every container of ${project} has exited`,
    );
    await downLeavesNothing(project);
  }, 90_000);

  it("R on a service with build: must rebuild its image from the changed context and recreate its container", async (context) => {
    requireOrSkip(context, tmuxFound, "tmux is not installed (apt-get install -y tmux)");
    const tag = `berth-e2e-rebuild-${RUN_ID}:1`;
    const { dir, project } = fixture(
      "rebuild",
      (name) => `
name: ${name}
services:
  app:
    build: { context: ., labels: { ${TEST_LABEL}: "${RUN_ID}" } }
    image: ${tag}
    command: ["sh", "-c", "echo version-$$(cat /version.txt); exec sleep 3600"]
    stop_grace_period: 1s
    labels: { ${TEST_LABEL}: "${RUN_ID}" }
networks:
  default:
    labels: { ${TEST_LABEL}: "${RUN_ID}" }
`,
    );
    writeFileSync(path.join(dir, "Dockerfile"), `FROM ${image}\nCOPY version.txt /version.txt\n`);
    writeFileSync(path.join(dir, "version.txt"), "one\n");
    try {
      await tmux.start("rebuild", dir, ["up"]);
      await eventually(async () => {
        const screen = await tmux.screen("rebuild");
        expect(screen).toMatch(/^› +app +running /m);
        expect(screen).toMatch(/app-1 +\| version-one$/m);
      }, 90_000);
      const before = (await runtime.containers.inspect(`${project}-app-1`))?.id;
      expect(before).toBeDefined();

      // Step: the context changes; R rebuilds from it and recreates the container.
      writeFileSync(path.join(dir, "version.txt"), "two\n");
      await tmux.keys("rebuild", "R");
      await eventually(async () => {
        const after = await runtime.containers.inspect(`${project}-app-1`);
        expect(after?.id).toBeDefined();
        expect(after?.id).not.toBe(before);
        expect(after?.status).toBe("running");
      }, 90_000);
      await eventually(
        async () => expect(await tmux.screen("rebuild")).toMatch(/app-1 +\| version-two$/m),
        30_000,
      );

      await tmux.keys("rebuild", "d");
      expect(await exitStatus("rebuild", 15_000)).toBe(0);
      await downLeavesNothing(project);
    } finally {
      // Both builds (the first one is untagged by the second), found by the label the build set.
      await runtime.images.remove(tag, { force: true }).catch(() => undefined);
      for (const built of await runtime.images.list({ labels: [`${TEST_LABEL}=${RUN_ID}`] })) {
        if (built.repoTags.every((t) => t === "<none>:<none>")) {
          await runtime.images.remove(built.id, { force: true }).catch(() => undefined);
        }
      }
    }
  }, 240_000);

  it("up -d and up --no-dashboard in a terminal must keep the plain output", async (context) => {
    requireOrSkip(context, tmuxFound, "tmux is not installed (apt-get install -y tmux)");
    const { dir, project } = fixture("plain", STACK);
    await tmux.start("plain", dir, ["up", "-d"]);
    await eventually(async () => expect(await tmux.exited("plain")).toBe(0), 60_000);
    expect(await tmux.screen("plain", { history: true })).toMatch(
      new RegExp(`Container ${project}-web-1 +Started`),
    );

    await tmux.start("attached", dir, ["up", "--no-dashboard"]);
    await eventually(async () => {
      const screen = await tmux.screen("attached");
      expect(screen).toMatch(new RegExp(`^${project}-web-1 +\\| filler 149$`, "m"));
      expect(screen).not.toContain("NAME");
    }, 30_000);
    await tmux.keys("attached", "C-c");
    expect(await exitStatus("attached", 30_000)).toBe(130);
    expect(await tmux.screen("attached", { history: true })).toContain("Gracefully stopping...");

    await downLeavesNothing(project);
  }, 120_000);
});

describe("the dashboard's cost to other commands", () => {
  it("--version and config must never load Ink or React", async () => {
    const dir = mkdtempSync(path.join(scratch, "noink-"));
    // A resolve hook that names every Ink or React module any import asks for.
    writeFileSync(
      path.join(dir, "hook.mjs"),
      `export async function resolve(specifier, context, next) {
  if (/^(ink|react)(\\/|$)/.test(specifier)) process.stderr.write("LOADED " + specifier + "\\n");
  return next(specifier, context);
}\n`,
    );
    writeFileSync(
      path.join(dir, "register.mjs"),
      `import { register } from "node:module";\nregister(${JSON.stringify(`file://${dir}/hook.mjs`)});\n`,
    );
    writeFileSync(path.join(dir, "compose.yaml"), "services:\n  web:\n    image: busybox\n");
    const env = { NODE_OPTIONS: `--import ${path.join(dir, "register.mjs")}` };
    // The hook itself works: the dashboard's module does load them.
    const probe = await execa(
      process.execPath,
      [
        "--import",
        path.join(dir, "register.mjs"),
        "-e",
        `await import(${JSON.stringify(path.join(repoRoot, "node_modules", "ink", "build", "index.js"))})`,
      ],
      { reject: false },
    );
    expect(probe.stderr).toContain("LOADED react");
    for (const args of [["--version"], ["config", "-q"], ["config"]]) {
      const result = await berth(args, { cwd: dir, env });
      expect(result.exitCode).toBe(0);
      expect(result.stderr).not.toContain("LOADED");
    }
  }, 30_000);
});
