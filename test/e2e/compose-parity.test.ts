/**
 * Flags and answers berth takes from Docker Compose v2, through the built CLI on each runtime
 * backend (Docker and native, from ../integration/orchestration/backends.ts):
 * `--quiet-pull` on up, create and run (an image pulled from the local registry, 127.0.0.1:5000),
 * `-T`/`--no-TTY` on exec and run with run's `-i` on by default, and what stop, start, restart and
 * down answer with `-p NAME`, no compose file and a service that has no container. Every project
 * carries `berth.test=<run id>`, is taken down after, and is checked for leaks.
 */
import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect } from "vitest";
import type { Runtime } from "../../src/runtime/runtime.js";
import { engineRuntime, engineUp, requireOrSkip, RUN_ID, TEST_LABEL } from "../integration/engine.js";
import { ensureTestImage } from "../integration/images.js";
import { BACKENDS, useBackend } from "../integration/orchestration/backends.js";
import { backendCli } from "./backend-cli.js";
import { fixtures } from "./fixtures.js";

const REGISTRY = process.env["BERTH_TEST_REGISTRY"] ?? "127.0.0.1:5000";
const PROJECT = "com.docker.compose.project";

let runtime: Runtime;
let image: string;

/** A service `app` (sleeping) of `reference`, and a second one, `other`, never created by the tests. */
const twoServices =
  (reference: () => string) =>
  (project: string): string => `
name: ${project}
services:
  app:
    image: ${reference()}
    command: ["sleep", "3600"]
    stop_grace_period: 1s
    labels: { ${TEST_LABEL}: "${RUN_ID}" }
  other:
    image: ${reference()}
    command: ["sleep", "3600"]
    labels: { ${TEST_LABEL}: "${RUN_ID}" }
`;

/** The lines of a plain progress output that report a pull's layers (`Image X  Pulling  <layer>…`). */
function layerLines(stderr: string, reference: string): string[] {
  return stderr.split("\n").filter((l) => l.startsWith(` Image ${reference}  Pulling  `));
}

describe.each(BACKENDS)("Compose v2's flags and answers ($name)", (backend) => {
  const suite = useBackend(backend);
  const it = suite.it;
  const cli = backendCli(suite);
  const berth = (args: readonly string[], options: { cwd?: string } = {}) => cli.berth(args, options);
  const leaks = (project: string) => suite.opened.leaks(project);
  const dirs: string[] = [];
  const projects: string[] = [];
  const images: string[] = [];
  const fixture = fixtures(`parity-${backend.name}`, dirs, projects);

  beforeAll(() => {
    if (backend.available) ({ runtime, image } = suite.opened);
  });

  afterAll(async () => {
    if (!backend.available) return;
    for (const project of projects) {
      await berth(["-p", project, "down", "-v", "-t", "0", "--remove-orphans"], { cwd: tmpdir() });
      expect(await leaks(project)).toEqual([]);
    }
    for (const reference of images) await runtime.images.remove(reference, { force: true }).catch(() => {});
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("--quiet-pull must pull without the layers' progress on up, create and run", async (context) => {
    // The registry is given the image by the Docker CLI, whichever runtime pulls it back.
    requireOrSkip(context, engineUp, "no Docker engine to push the test image to the registry");
    const reference = `${REGISTRY}/berth-test/quiet-pull-${backend.name}-${RUN_ID}:v1`;
    images.push(reference);
    const docker = engineRuntime();
    try {
      await execa("docker", ["tag", await ensureTestImage(docker), reference]);
      await execa("docker", ["push", "-q", reference]);
      if (backend.name !== "docker") await execa("docker", ["rmi", reference]);
    } finally {
      await docker.close();
    }
    // (Pushed from Docker: on another runtime it is not there before its first pull.)
    const removeLocal = async () => {
      if (await runtime.images.inspect(reference)) await runtime.images.remove(reference, { force: true });
    };
    const { dir } = fixture(
      "quietpull",
      twoServices(() => reference),
    );
    const plain = (args: string[]) => berth(["--progress", "plain", ...args], { cwd: dir });

    // Without the flag a pull reports its layers: what the flag takes away.
    await removeLocal();
    const loud = await plain(["create", "app"]);
    expect(loud.exitCode, loud.stderr).toBe(0);
    expect(layerLines(loud.stderr, reference).length).toBeGreaterThan(0);
    await plain(["down", "-t", "0"]);

    for (const args of [
      ["create", "--quiet-pull", "app"],
      ["up", "-d", "--quiet-pull", "app"],
      ["run", "--rm", "-T", "--quiet-pull", "--no-deps", "app", "true"],
    ]) {
      await removeLocal();
      const quiet = await plain(args);
      expect(quiet.exitCode, `${args.join(" ")}: ${quiet.stderr}`).toBe(0);
      expect(quiet.stderr).toContain(` Image ${reference}  Pulled`);
      expect(layerLines(quiet.stderr, reference), args.join(" ")).toEqual([]);
    }
    await plain(["down", "-t", "0"]);
  }, 60_000);

  it("exec and run must take -T as --no-TTY (and -it), and run's -i must be on by default, detached too", async () => {
    const { dir } = fixture(
      "tty",
      twoServices(() => image),
    );
    expect((await berth(["up", "-d", "app"], { cwd: dir })).exitCode).toBe(0);
    for (const args of [
      ["exec", "--no-TTY", "app", "echo", "hi"],
      ["exec", "--no-tty", "app", "echo", "hi"],
      ["exec", "-it", "app", "echo", "hi"],
      ["run", "--rm", "--no-TTY", "app", "echo", "hi"],
      ["run", "--rm", "-T", "app", "echo", "hi"],
    ]) {
      const result = await berth(args, { cwd: dir });
      expect(result.exitCode, `${args.join(" ")}: ${result.stderr}`).toBe(0);
      expect(result.stdout).toBe("hi\n");
    }
    // run's hidden -t asks for a TTY: refused with -T, and without a terminal (docker's CheckTty).
    expect(await berth(["run", "--rm", "-it", "app", "true"], { cwd: dir })).toEqual({
      exitCode: 1,
      stdout: "",
      stderr: "the input device is not a TTY\n",
    });
    expect(await berth(["run", "--rm", "-t", "-T", "app", "true"], { cwd: dir })).toEqual({
      exitCode: 1,
      stdout: "",
      stderr: "--tty and --no-TTY can't be used together\n",
    });
    // Help names the spelling Compose's help names for each.
    expect((await berth(["run", "--help"])).stdout).toMatch(/-T, --no-TTY /);
    expect((await berth(["exec", "--help"])).stdout).toMatch(/-T, --no-tty /);
    expect((await berth(["run", "--help"])).stdout).toMatch(/-i, --interactive /);

    // Compose's run keeps the one-off's stdin open (`-i` defaults to true), even detached.
    const detached = await berth(["run", "-d", "app", "sleep", "30"], { cwd: dir });
    expect(detached.exitCode, detached.stderr).toBe(0);
    const state = await runtime.containers.inspect(detached.stdout.trim());
    expect(state?.stdinOpen).toBe(true);
    await runtime.containers.remove(detached.stdout.trim(), { force: true });
  }, 60_000);

  it("ps --format json must print Compose v2's container context, one object per line", async () => {
    const { dir, project } = fixture(
      "psjson",
      (name) => `
name: ${name}
services:
  app:
    image: ${image}
    command: ["sleep", "3600"]
    ports: ["127.0.0.1::80"]
    volumes: [data:/data]
    stop_grace_period: 1s
    labels: { ${TEST_LABEL}: "${RUN_ID}" }
volumes:
  data:
    labels: { ${TEST_LABEL}: "${RUN_ID}" }
`,
    );
    expect((await berth(["up", "-d"], { cwd: dir })).exitCode).toBe(0);
    const ps = await berth(["ps", "--format", "json"], { cwd: dir });
    expect(ps.exitCode, ps.stderr).toBe(0);
    const lines = ps.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const row = JSON.parse(lines[0] ?? "") as Record<string, unknown>;
    const [listed] = await runtime.containers.list({ labels: [`${PROJECT}=${project}`] });
    const hostPort = Number(listed?.ports.find((p) => p.hostPort)?.hostPort);
    expect(row).toEqual({
      Command: '"sleep 3600"',
      CreatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} \S+$/),
      ExitCode: 0,
      Health: "",
      ID: listed?.id.slice(0, 12),
      Image: image,
      Labels: expect.stringContaining(`${PROJECT}=${project}`),
      LocalVolumes: "1",
      Mounts: `${project}_data`.length > 15 ? `${`${project}_data`.slice(0, 14)}…` : `${project}_data`,
      Name: `${project}-app-1`,
      Names: `${project}-app-1`,
      Networks: `${project}_default`,
      Ports: `127.0.0.1:${hostPort}->80/tcp`,
      Project: project,
      Publishers: [{ URL: "127.0.0.1", TargetPort: 80, PublishedPort: hostPort, Protocol: "tcp" }],
      RunningFor: expect.stringMatching(/ago$/),
      Service: "app",
      Size: "0B",
      State: "running",
      Status: expect.stringMatching(/^Up /),
    });
    expect(Object.keys(row)).toEqual(Object.keys(row).sort());
    const whole = JSON.parse(
      (await berth(["ps", "--format", "json", "--no-trunc"], { cwd: dir })).stdout,
    ) as {
      ID: string;
      Mounts: string;
    };
    expect([whole.ID, whole.Mounts]).toEqual([listed?.id, `${project}_data`]);
    await berth(["down", "-v", "-t", "0"], { cwd: dir });
    expect(await leaks(project)).toEqual([]);
  }, 60_000);

  it("-p NAME without a file: a service with no container is answered as Compose answers it", async () => {
    const { dir, project } = fixture(
      "byname",
      twoServices(() => image),
    );
    expect((await berth(["up", "-d", "app"], { cwd: dir })).exitCode).toBe(0);
    const byName = (args: string[]) => berth(["-p", project, ...args], { cwd: tmpdir() });

    // stop skips what its containers do not know.
    expect(await byName(["stop", "other"])).toEqual({ exitCode: 0, stdout: "", stderr: "" });
    // start names it (compose-go's projectFromName), quoted, with the error it wraps.
    expect(await byName(["start", "other"])).toEqual({
      exitCode: 1,
      stdout: "",
      stderr: 'no such service: "other": not found\n',
    });
    expect(await byName(["restart", "other"])).toEqual({
      exitCode: 1,
      stdout: "",
      stderr: "no such service: other\n",
    });
    // down says so (a log line) and removes nothing: the network stays, in use by app.
    expect(await byName(["down", "other"])).toEqual({
      exitCode: 0,
      stdout: "",
      stderr: `INFO[0000] Any of the services [other] not running in project "${project}"\n`,
    });
    const listed = await runtime.containers.list({ labels: [`${PROJECT}=${project}`] });
    expect(listed.map((c) => [c.labels["com.docker.compose.service"], c.status])).toEqual([
      ["app", "running"],
    ]);
    // A project with no container at all: start has nothing to start from.
    const none = await berth(["-p", `${project}-none`, "start"], { cwd: tmpdir() });
    expect(none).toEqual({
      exitCode: 1,
      stdout: "",
      stderr: `no container found for project "${project}-none": not found\n`,
    });
    // -p without -f reads no file, not even a broken one in the current directory (projectOrName).
    writeFileSync(path.join(dir, "compose.yaml"), "services: [unclosed\n");
    const here = await berth(["-p", project, "ps", "--services"], { cwd: dir });
    expect(here).toEqual({ exitCode: 0, stdout: "app\n", stderr: "" });
    expect((await berth(["-p", project, "down", "-t", "0"], { cwd: dir })).exitCode).toBe(0);
    expect(await leaks(project)).toEqual([]);
  }, 60_000);
});
