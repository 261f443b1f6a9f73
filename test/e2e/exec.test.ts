/**
 * `exec` and `attach` through the built CLI on each runtime backend (Docker and native, from
 * ../integration/orchestration/backends.ts): what a user at a shell observes (exit codes, bytes
 * through stdin and back, the environment, user and directory inside, the replica picked, a TTY's
 * window size) on a stack berth started, and (on Docker) on one docker-compose 1.29 started. Every
 * object carries `berth.test=<run id>`; each project is taken down and checked by the backend's
 * leak check.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect } from "vitest";
import type { Runtime } from "../../src/runtime/runtime.js";
import { eventually, requireOrSkip, RUN_ID, TEST_LABEL } from "../integration/engine.js";
import { BACKENDS, useBackend, withFeatures } from "../integration/orchestration/backends.js";
import { backendCli } from "./backend-cli.js";
import { repoRoot } from "./cli.js";

const BIN = path.join(repoRoot, "bin", "berth.js");

/** A file's text, or "" when it cannot be read (gone meanwhile). */
function readFileSafe(file: string): string {
  try {
    return readFileSync(file, "utf8").trim();
  } catch {
    return "";
  }
}
const tmuxFound = (await execa("tmux", ["-V"], { reject: false })).exitCode === 0;
const composeV1Found = (await execa("docker-compose", ["version"], { reject: false })).exitCode === 0;

describe.each(BACKENDS)("berth exec / attach ($name)", (backend) => {
  const suite = useBackend(backend);
  const it = suite.it;
  const cli = backendCli(suite);
  const PROJECT = `berth-e2e-exec-${backend.name}-${RUN_ID}`;
  const V1_PROJECT = `berthe2eexecv1${RUN_ID}`;
  const TMUX_SOCKET = `berth-e2e-exec-${backend.name}-${RUN_ID}`;
  let runtime: Runtime;
  let image: string;
  let env: Record<string, string>;
  const dir = mkdtempSync(path.join(tmpdir(), `berth-e2e-exec-${backend.name}-`));
  const berth = (
    args: readonly string[],
    options: { cwd?: string; env?: Record<string, string>; input?: string } = {},
  ) => cli.berth(args, options);
  const leaks = (project: string) => suite.opened.leaks(project);

  /** `berth exec ...` in the project's directory. */
  const exec = (args: readonly string[], input?: string) =>
    berth(["exec", ...args], { cwd: dir, ...(input === undefined ? {} : { input }) });

  beforeAll(async () => {
    if (!backend.available) return;
    ({ runtime, image } = suite.opened);
    env = cli.env();
    writeFileSync(
      path.join(dir, "compose.yaml"),
      `
name: ${PROJECT}
services:
  web:
    image: ${image}
    command: ["sleep", "3600"]
    scale: 2
    stop_grace_period: 1s
    labels: { ${TEST_LABEL}: "${RUN_ID}" }
  trapper:
    image: ${image}
    command: ["sh", "-c", "trap 'echo got TERM; exit 9' TERM; while true; do echo tick; sleep 0.2; done"]
    scale: 2
    labels: { ${TEST_LABEL}: "${RUN_ID}" }
  echo:
    image: ${image}
    command: ["sh", "-c", "read line; echo got $$line; exit 3"]
    stdin_open: true
    labels: { ${TEST_LABEL}: "${RUN_ID}" }
`,
    );
    const up = await berth(["up", "-d"], { cwd: dir });
    expect(up.exitCode, up.stderr).toBe(0);
  }, 90_000);

  afterAll(async () => {
    if (!backend.available) {
      rmSync(dir, { recursive: true, force: true });
      return;
    }
    await berth(["down", "-v", "-t", "0"], { cwd: dir });
    const v1 = withFeatures(backend, "engine-api") && composeV1Found;
    if (v1) {
      await execa("docker-compose", ["-p", V1_PROJECT, "down", "-t", "0"], {
        cwd: path.join(dir, "v1"),
        reject: false,
      });
    }
    if (tmuxFound) await execa("tmux", ["-L", TMUX_SOCKET, "kill-server"], { reject: false });
    expect(await leaks(PROJECT)).toEqual([]);
    if (v1) expect(await leaks(V1_PROJECT)).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("exec must exit with the command's exit code (0, 1, 7, 137), its stdout and stderr kept apart", async () => {
    for (const code of [0, 1, 7]) {
      const result = await exec(["-T", "web", "sh", "-c", `echo out; echo err >&2; exit ${code}`]);
      expect(result).toMatchObject({ exitCode: code, stdout: "out\n", stderr: "err\n" });
    }
    expect((await exec(["-T", "web", "sh", "-c", "kill -9 $$"])).exitCode).toBe(137);
  });

  it("exec must pass -e, -u and -w to the process, and options after SERVICE to the command", async () => {
    const result = await berth(
      [
        "exec",
        "-T",
        "-e",
        "GREETING=hi there",
        "-e",
        "FROM_HOST",
        "-u",
        "1000:1000",
        "-w",
        "/tmp",
        "web",
      ].concat(["sh", "-c", 'echo "$GREETING|$FROM_HOST|$(id -u):$(id -g)|$(pwd)"']),
      { cwd: dir, env: { FROM_HOST: "host value" } },
    );
    expect(result.stdout).toBe("hi there|host value|1000:1000|/tmp\n");
    // `-la` is ls's, not berth's.
    const ls = await exec(["-T", "web", "ls", "-la", "/"]);
    expect(ls.exitCode).toBe(0);
    expect(ls.stdout).toMatch(/^total /);
  });

  it("exec --index must run in that replica, and name a missing replica or service as Compose does", async () => {
    const containers = await runtime.containers.list({
      labels: [`com.docker.compose.project=${PROJECT}`, "com.docker.compose.service=web"],
    });
    for (const n of [1, 2]) {
      const replica = containers.find((c) => c.labels["com.docker.compose.container-number"] === String(n));
      const result = await exec(["-T", "--index", String(n), "web", "hostname"]);
      expect(result.stdout.trim()).toBe(replica?.id.slice(0, 12));
    }
    const missing = await exec(["-T", "--index", "3", "web", "true"]);
    expect(missing).toMatchObject({ exitCode: 1, stderr: 'service "web" is not running container #3\n' });
  });

  it("exec -d must start the command and return at once", async () => {
    const marker = `/tmp/detached-${RUN_ID}`;
    const started = Date.now();
    const result = await exec(["-d", "web", "sh", "-c", `sleep 1; touch ${marker}`]);
    expect(result).toMatchObject({ exitCode: 0, stdout: "" });
    expect(Date.now() - started).toBeLessThan(1000 + 800);
    await eventually(
      async () => expect((await exec(["-T", "web", "sh", "-c", `[ -e ${marker} ]`])).exitCode).toBe(0),
      5000,
    );
  });

  it("exec -T must pass stdin through and half-close it: 10 MB through cat come back byte for byte", async () => {
    expect((await exec(["-T", "web", "cat"], "hi\n")).stdout).toBe("hi\n");
    const data = randomBytes(10 * 1024 * 1024);
    const result = await execa(process.execPath, [BIN, "exec", "-T", "web", "cat"], {
      cwd: dir,
      env,
      extendEnv: false,
      input: data,
      encoding: "buffer",
      reject: false,
      timeout: 30_000,
    });
    const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
    expect(result.exitCode).toBe(0);
    expect(result.stdout.length).toBe(data.length);
    expect(sha(result.stdout)).toBe(sha(data));
  }, 40_000);

  it("attach must pass stdin to the main process, print its output and exit with its exit code", async () => {
    // stdin stays open: the process ending is what ends the attach.
    const attached = execa(process.execPath, [BIN, "attach", "echo"], {
      cwd: dir,
      env,
      extendEnv: false,
      reject: false,
      timeout: 20_000,
    });
    attached.stdin.write("one\n");
    const result = await attached;
    expect(result).toMatchObject({ exitCode: 3, stdout: "got one" });
    const stopped = await berth(["attach", "echo"], { cwd: dir });
    expect(stopped).toMatchObject({
      exitCode: 1,
      stderr: 'service "echo" is not running\n',
    });
  });

  it("attach --index must pass the signals berth gets on to that replica's process (--sig-proxy)", async () => {
    const attached = execa(process.execPath, [BIN, "attach", "--index", "2", "trapper"], {
      cwd: dir,
      env,
      extendEnv: false,
      reject: false,
      timeout: 20_000,
    });
    let output = "";
    attached.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    await eventually(async () => expect(output).toContain("tick"), 5000);
    attached.kill("SIGTERM");
    const result = await attached;
    expect(result.exitCode).toBe(9);
    expect(output).toContain("got TERM");
    const states = await runtime.containers.list({
      labels: [`com.docker.compose.project=${PROJECT}`, "com.docker.compose.service=trapper"],
      all: true,
    });
    const running = (n: number) =>
      states.find((c) => c.labels["com.docker.compose.container-number"] === String(n))?.status;
    expect([running(1), running(2)]).toEqual(["running", "exited"]);
  });

  it("a TTY exec must see the terminal's size, and its change", async (context) => {
    requireOrSkip(context, tmuxFound, "tmux is not installed (apt-get install -y tmux)");
    const tmux = (args: readonly string[]) =>
      execa("tmux", ["-L", TMUX_SOCKET, "-f", "/dev/null", ...args], {
        env,
        extendEnv: false,
        timeout: 10_000,
      });
    await tmux(["new-session", "-d", "-s", "tty", "-x", "100", "-y", "30", "-c", dir]);
    const screen = async () => (await tmux(["capture-pane", "-p", "-t", "tty"])).stdout;
    if (backend.name === "native") {
      // Made at the terminal's size (consoleSize), so asked once: a resize sent after the start can
      // land after a quick command read its size. (Docker's engine takes the size at create from
      // API 1.42; this one speaks 1.41, where only the resize sizes it.)
      const berth = `${process.execPath} ${BIN}`;
      const line = `${berth} exec web stty size; ${berth} run --rm --no-deps web stty size; echo sized`;
      await tmux(["send-keys", "-t", "tty", "-l", line]);
      await tmux(["send-keys", "-t", "tty", "Enter"]);
      await eventually(async () => expect(await screen()).toMatch(/^sized\r?$/m), 15_000);
      expect((await screen()).match(/^30 100\r?$/gm), await screen()).toHaveLength(2);
      await tmux(["send-keys", "-t", "tty", "-l", "clear"]);
      await tmux(["send-keys", "-t", "tty", "Enter"]);
    }
    await tmux(["send-keys", "-t", "tty", "-l", `${process.execPath} ${BIN} exec web sh`]);
    await tmux(["send-keys", "-t", "tty", "Enter"]);
    // Asked again until it answers: the resize reaches the engine a moment after tmux's SIGWINCH.
    const sizeIs = (rows: number, cols: number) =>
      eventually(async () => {
        await tmux(["send-keys", "-t", "tty", "-l", "clear; stty size"]);
        await tmux(["send-keys", "-t", "tty", "Enter"]);
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(await screen()).toMatch(new RegExp(`^${rows} ${cols}$`, "m"));
      }, 8000);
    await sizeIs(30, 100);
    await tmux(["resize-window", "-t", "tty", "-x", "120", "-y", "40"]);
    await sizeIs(40, 120);
    // Leaving the shell gives the terminal back to the shell outside, as it was.
    await tmux(["send-keys", "-t", "tty", "-l", "exit 5"]);
    await tmux(["send-keys", "-t", "tty", "Enter"]);
    await tmux(["send-keys", "-t", "tty", "-l", "echo status=$?; stty -a | grep -o -- '-*icanon'"]);
    await tmux(["send-keys", "-t", "tty", "Enter"]);
    await eventually(async () => expect(await screen()).toMatch(/^status=5$/m), 5000);
    await eventually(async () => expect(await screen()).toMatch(/^icanon$/m), 5000);
    // ctrl-p ctrl-q (Docker's detach keys) leaves the exec's process running and berth exits 0.
    await tmux([
      "send-keys",
      "-t",
      "tty",
      "-l",
      `clear; ${process.execPath} ${BIN} exec -e MARK=${TMUX_SOCKET} web sh -c 'echo in; exec sleep 30'`,
    ]);
    await tmux(["send-keys", "-t", "tty", "Enter"]);
    await eventually(async () => expect(await screen()).toMatch(/^in\r?$/m), 5000);
    await tmux(["send-keys", "-t", "tty", "C-p", "C-q"]);
    await tmux(["send-keys", "-t", "tty", "-l", "echo detached=$?"]);
    await tmux(["send-keys", "-t", "tty", "Enter"]);
    await eventually(async () => expect(await screen()).toMatch(/^detached=0$/m), 5000);
    const ps = await exec(["-T", "web", "ps"]);
    expect(ps.stdout).toContain("sleep 30");
    if (backend.name === "native") {
      // The detached exec's conmon (its process's holder; Docker's daemon holds it there) keeps a
      // directory in /tmp until the process ends; the next TTY exec removes it then.
      const execDirs = readdirSync(tmpdir())
        .filter((name) => name.startsWith("berth-exec-"))
        .map((name) => path.join(tmpdir(), name));
      const detached = execDirs.find((d) => readFileSafe(path.join(d, "process.json")).includes(TMUX_SOCKET));
      expect(detached, "the detached exec's directory").toBeDefined();
      const conmon = Number(readFileSafe(path.join(detached ?? "", "conmon.pid")));
      process.kill(Number(readFileSafe(path.join(detached ?? "", "pid"))), "SIGKILL");
      await eventually(async () => expect(existsSync(`/proc/${conmon}/cmdline`)).toBe(false), 10_000);
      await tmux([
        "send-keys",
        "-t",
        "tty",
        "-l",
        `clear; ${process.execPath} ${BIN} exec web true; echo swept=$?`,
      ]);
      await tmux(["send-keys", "-t", "tty", "Enter"]);
      await eventually(async () => expect(await screen()).toMatch(/^swept=0$/m), 5000);
      expect(existsSync(detached ?? "")).toBe(false);
    }
  }, 30_000);

  // docker-compose 1.29 speaks the Engine API only: its projects exist on Docker alone.
  if (withFeatures(backend, "engine-api"))
    it("exec must work on a project docker-compose 1.29 started (found by labels, from any directory)", async (context) => {
      requireOrSkip(context, composeV1Found, "docker-compose is not installed");
      const v1 = path.join(dir, "v1");
      await execa("mkdir", ["-p", v1]);
      writeFileSync(
        path.join(v1, "docker-compose.yml"),
        `version: "2.4"
services:
  app:
    image: ${image}
    command: ["sleep", "3600"]
    labels: { ${TEST_LABEL}: "${RUN_ID}" }
`,
      );
      const up = await execa("docker-compose", ["-p", V1_PROJECT, "up", "-d"], { cwd: v1, reject: false });
      expect(up.exitCode, up.stderr).toBe(0);
      const result = await berth(["-p", V1_PROJECT, "exec", "-T", "app", "sh", "-c", "echo v1; exit 7"], {
        cwd: tmpdir(),
      });
      expect(result).toMatchObject({ exitCode: 7, stdout: "v1\n" });
    }, 60_000);
});
