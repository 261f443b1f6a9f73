/**
 * `--runtime auto` (the default) through the built CLI: native wherever it can serve, saying so once
 * on stderr and in `version`; Docker when asked; and a project found on the runtime that made it —
 * a stack on the Docker Engine is not duplicated natively by `up`, and with DOCKER_HOST set a
 * native stack is not duplicated on the engine. A missing or hung engine is made by hiding /run
 * (where /var/run/docker.sock lives) under a tmpfs in a mount namespace of the berth process alone,
 * so the engine the other tests use keeps running.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNativeRuntime } from "../../src/runtime/native/native-runtime.js";
import { nativePaths } from "../../src/runtime/native/paths.js";
import type { Runtime } from "../../src/runtime/runtime.js";
import {
  ENGINE_HOST,
  engineRuntime,
  engineUp,
  requireOrSkip,
  RUN_ID,
  TEST_LABEL,
} from "../integration/engine.js";
import { ensureTestImage } from "../integration/images.js";
import { nativeReady } from "../integration/native/containers-harness.js";
import { unixServersPerTest } from "../unix-server.js";
import { repoRoot } from "./cli.js";

const canHideRun = process.getuid?.() === 0 && process.platform === "linux";
const root = mkdtempSync("/var/tmp/berth-auto-");
const nativeEnv = { BERTH_ROOT: path.join(root, "state"), BERTH_RUN_ROOT: path.join(root, "run") };
const PROJECT_LABEL = "com.docker.compose.project";
const NATIVE_NOTE = "berth: using the native runtime (--runtime docker for the Docker Engine)";

afterAll(() => rmSync(root, { recursive: true, force: true }));

interface BerthOptions {
  /** `true`: no engine (an empty /run); a socket path: that socket bound at /var/run/docker.sock. */
  readonly hide?: true | string;
  readonly cwd?: string;
  readonly env?: Record<string, string>;
}

/**
 * berth in a clean environment with this file's native roots. The hiding script is fixed text;
 * every value reaches it as an argument.
 */
function berth(args: readonly string[], options: BerthOptions = {}) {
  const bin = path.join(repoRoot, "bin", "berth.js");
  const run = {
    cwd: options.cwd ?? root,
    env: {
      PATH: process.env["PATH"] ?? "/usr/bin:/bin",
      HOME: process.env["HOME"] ?? "/root",
      ...nativeEnv,
      ...options.env,
    },
    extendEnv: false,
    reject: false,
    timeout: 30_000,
  } as const;
  if (options.hide === undefined) return execa(process.execPath, [bin, ...args], run);
  const script =
    'mount -t tmpfs tmpfs /run && if [ -n "$1" ]; then touch /run/docker.sock && mount --bind "$1" /run/docker.sock; fi && shift && exec "$@"';
  const socket = options.hide === true ? "" : options.hide;
  return execa("unshare", ["-m", "sh", "-c", script, "sh", socket, process.execPath, bin, ...args], run);
}

/** A compose file for `project` in its own directory: one sleeping service on `image`. */
function projectDir(project: string, image: string): string {
  const dir = path.join(root, project);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, "compose.yaml"),
    [
      `name: ${project}`,
      "services:",
      "  app:",
      `    image: ${image}`,
      '    command: ["sleep", "300"]',
      "    network_mode: none",
      "    stop_signal: SIGKILL",
      `    labels: { ${TEST_LABEL}: "${RUN_ID}" }`,
      "",
    ].join("\n"),
  );
  return dir;
}

/** How many native container records in this file's root carry `project`'s label. */
function nativeContainersOf(project: string): number {
  const dir = nativePaths(nativeEnv).containers;
  let entries: string[] = [];
  try {
    entries = readdirSync(dir).filter((name) => /^[0-9a-f]{64}$/.test(name));
  } catch {
    return 0;
  }
  return entries.filter((id) => {
    try {
      const record = JSON.parse(readFileSync(path.join(dir, id, "container.json"), "utf8")) as {
        labels?: Record<string, string>;
      };
      return record.labels?.[PROJECT_LABEL] === project;
    } catch {
      return false; // half-made: not a container
    }
  }).length;
}

const firstLine = (text: string): string => text.split("\n")[0] ?? "";

describe("--runtime auto", () => {
  const serve = unixServersPerTest();

  it("without a Docker Engine: native, said once on stderr and named in version; Docker when asked", async (context) => {
    requireOrSkip(
      context,
      canHideRun && nativeReady,
      "needs root on Linux (a mount namespace), runc and conmon",
    );
    const ps = await berth(["-p", "nothing-here", "ps"], { hide: true });
    expect(ps.exitCode).toBe(0);
    expect(ps.stderr).toBe(NATIVE_NOTE);
    const quiet = await berth(["--progress", "quiet", "-p", "nothing-here", "ps"], { hide: true });
    expect(quiet.stderr).toBe("");
    const version = await berth(["version"], { hide: true });
    expect(version.stdout).toMatch(/^Runtime: native \(berth native /m);
    // Asked for Docker (flag or variable), it says the engine is missing rather than run elsewhere.
    for (const asked of [{ args: ["--runtime", "docker"] }, { args: [], env: { BERTH_RUNTIME: "docker" } }]) {
      const docker = await berth([...asked.args, "-p", "nothing-here", "ps"], {
        hide: true,
        env: asked.env ?? {},
      });
      expect(docker.exitCode).toBe(1);
      expect(docker.stderr).toContain("cannot connect to the Docker engine");
    }
  });

  it("as a user who is not root, with no engine either: says why neither runtime can serve", async (context) => {
    requireOrSkip(context, canHideRun, "needs root on Linux (a mount namespace, then setpriv)");
    const script =
      'mount -t tmpfs tmpfs /run && exec setpriv --reuid=65534 --regid=65534 --clear-groups "$@"';
    const bin = path.join(repoRoot, "bin", "berth.js");
    const ps = await execa(
      "unshare",
      ["-m", "sh", "-c", script, "sh", process.execPath, bin, "-p", "x", "ps"],
      {
        cwd: "/",
        env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: "/" },
        extendEnv: false,
        reject: false,
        timeout: 30_000,
      },
    );
    expect(ps.exitCode).toBe(1);
    expect(ps.stderr).toBe(
      [
        "no container runtime here: no Docker Engine is at unix:///var/run/docker.sock, and the native runtime cannot run here: it needs root (run berth as root)",
        "hint: run berth as root with runc and conmon installed, or start dockerd (or set DOCKER_HOST)",
      ].join("\n"),
    );
  });

  it("with a Docker Engine there: still native for a project the engine does not hold", async (context) => {
    requireOrSkip(
      context,
      engineUp && nativeReady,
      "needs the Docker Engine and native (root, runc, conmon)",
    );
    const ps = await berth(["-p", `auto-none-${RUN_ID}`, "ps"]);
    expect(ps.exitCode).toBe(0);
    expect(ps.stderr).toBe(NATIVE_NOTE);
  });

  it("gives up on a hung engine within its bound and goes native, saying the project was not looked for there", async (context) => {
    requireOrSkip(
      context,
      canHideRun && nativeReady,
      "needs root on Linux (a mount namespace), runc and conmon",
    );
    const hung = await serve(() => undefined); // takes the connection, never answers
    const started = Date.now();
    const ps = await berth(["-p", "hung-engine", "ps"], { hide: hung });
    const took = Date.now() - started;
    expect(ps.exitCode).toBe(0);
    expect(ps.stderr).toBe(
      'berth: using the native runtime; the Docker Engine did not answer within 2 s, so project "hung-engine" was not looked for there (--runtime docker waits for it)',
    );
    expect(took).toBeGreaterThanOrEqual(2000);
    expect(took).toBeLessThan(8000);
  });

  describe("a project is found on the runtime that made it", () => {
    const ready = engineUp && nativeReady;
    let docker: Runtime | undefined;
    let native: Runtime | undefined;
    const images = { docker: "", native: "" };
    const onDocker = `auto-docker-${RUN_ID}`;
    const onNative = `auto-native-${RUN_ID}`;
    const label = (project: string) => [`${PROJECT_LABEL}=${project}`];

    beforeAll(async () => {
      if (!ready) return;
      docker = engineRuntime();
      native = createNativeRuntime({ env: { ...process.env, ...nativeEnv } });
      images.docker = await ensureTestImage(docker, AbortSignal.timeout(60_000));
      images.native = await ensureTestImage(native, AbortSignal.timeout(60_000));
    }, 90_000);

    afterAll(async () => {
      for (const [runtime, project] of [
        [docker, onDocker],
        [native, onNative],
      ] as const) {
        if (runtime === undefined) continue;
        for (const c of await runtime.containers.list({ all: true, labels: label(project) }))
          await runtime.containers.remove(c.id, { force: true }).catch(() => undefined);
        await runtime.close();
      }
    }, 60_000);

    it("a stack on the Docker Engine: up, ps and down go there, and nothing is made natively", async (context) => {
      requireOrSkip(context, ready, "needs the Docker Engine and native (root, runc, conmon)");
      const cwd = projectDir(onDocker, images.docker);
      const made = await berth(["--runtime", "docker", "up", "-d"], { cwd });
      expect(made.exitCode, made.stderr).toBe(0);
      const note = `berth: project "${onDocker}" runs on the Docker Engine: using it (--runtime native runs it natively instead)`;
      const again = await berth(["up", "-d"], { cwd });
      expect(again.exitCode, again.stderr).toBe(0);
      expect(firstLine(again.stderr)).toBe(note);
      expect(nativeContainersOf(onDocker)).toBe(0);
      const listed = await docker?.containers.list({ all: true, labels: label(onDocker) });
      expect(listed?.map((c) => c.name)).toEqual([`${onDocker}-app-1`]);
      const ps = await berth(["-p", onDocker, "ps", "--format", "{{.Name}}"]);
      expect(ps.stdout.trim()).toBe(`${onDocker}-app-1`);
      const down = await berth(["-p", onDocker, "down"]);
      expect(down.exitCode, down.stderr).toBe(0);
      expect(firstLine(down.stderr)).toBe(note);
      expect(await docker?.containers.list({ all: true, labels: label(onDocker) })).toEqual([]);
    });

    it("ls lists the stacks of both runtimes, each where it runs", async (context) => {
      requireOrSkip(context, ready, "needs the Docker Engine and native (root, runc, conmon)");
      const onBoth = [
        { project: onDocker, runtime: "docker", image: images.docker },
        { project: onNative, runtime: "native", image: images.native },
      ];
      for (const { project, runtime, image } of onBoth) {
        const made = await berth(["--runtime", runtime, "up", "-d"], { cwd: projectDir(project, image) });
        expect(made.exitCode, made.stderr).toBe(0);
      }
      const ls = await berth(["ls", "-q", "--filter", `name=${RUN_ID}`]);
      expect(ls.exitCode, ls.stderr).toBe(0);
      expect(ls.stderr).toBe("berth: listing the native runtime and the Docker Engine");
      expect(ls.stdout.split("\n").filter(Boolean).sort()).toEqual([onDocker, onNative].sort());
      // Asked for one runtime, that one alone.
      const native = await berth(["--runtime", "native", "ls", "-q", "--filter", `name=${RUN_ID}`]);
      expect(native.stdout.trim()).toBe(onNative);
      for (const { project } of onBoth) {
        const down = await berth(["-p", project, "down"]);
        expect(down.exitCode, down.stderr).toBe(0);
      }
    });

    it("with DOCKER_HOST set, a native stack stays native; a new one goes to the engine", async (context) => {
      requireOrSkip(context, ready, "needs the Docker Engine and native (root, runc, conmon)");
      const cwd = projectDir(onNative, images.native);
      const made = await berth(["--runtime", "native", "up", "-d"], { cwd });
      expect(made.exitCode, made.stderr).toBe(0);
      const env = { DOCKER_HOST: ENGINE_HOST };
      const note = `berth: project "${onNative}" runs on the native runtime: using it (--runtime docker for the engine DOCKER_HOST names)`;
      const again = await berth(["up", "-d"], { cwd, env });
      expect(again.exitCode, again.stderr).toBe(0);
      expect(firstLine(again.stderr)).toBe(note);
      expect(await docker?.containers.list({ all: true, labels: label(onNative) })).toEqual([]);
      expect(nativeContainersOf(onNative)).toBe(1);
      // DOCKER_HOST names the engine for a project it finds nowhere: Docker, and nothing said.
      const elsewhere = await berth(["-p", `auto-elsewhere-${RUN_ID}`, "ps"], { env });
      expect(elsewhere.exitCode, elsewhere.stderr).toBe(0);
      expect(elsewhere.stderr).toBe("");
      const down = await berth(["-p", onNative, "down"], { env });
      expect(down.exitCode, down.stderr).toBe(0);
      expect(firstLine(down.stderr)).toBe(note);
      expect(nativeContainersOf(onNative)).toBe(0);
    });
  });
});
