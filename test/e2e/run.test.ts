/**
 * `berth run` through the built CLI on each runtime backend (Docker and native, from
 * ../integration/orchestration/backends.ts): one-off containers as Docker Compose v2 makes them
 * (name, labels), exit codes, `--rm`, dependencies and their conditions, the flags that change the
 * one-off, output that is never lost, and (on Docker) a project docker-compose 1.29 started. Every
 * project carries `berth.test=<run id>`, is taken down after, and is checked for leaks by the
 * backend's own check (on native also records, processes, mounts, cgroups, namespaces).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect } from "vitest";
import type { Runtime } from "../../src/runtime/runtime.js";
import { eventually, requireOrSkip, RUN_ID, TEST_LABEL } from "../integration/engine.js";
import { BACKENDS, useBackend, withFeatures } from "../integration/orchestration/backends.js";
import { backendCli } from "./backend-cli.js";
import { fixtures } from "./fixtures.js";

const PROJECT = "com.docker.compose.project";
const ONEOFF = "com.docker.compose.oneoff";

describe.each(BACKENDS)("berth run ($name)", (backend) => {
  const suite = useBackend(backend);
  const it = suite.it;
  const { berth, startBerth, restartPolicy } = backendCli(suite);
  let runtime: Runtime;
  let image: string;
  const dirs: string[] = [];
  const projects: string[] = [];
  const leaks = (project: string) => suite.opened.leaks(project);

  const fixture = fixtures(`run-${backend.name}`, dirs, projects);

  /** `app` alone, sleeping; `ports: ["80"]` for the port tests. */
  const single = (project: string): string => `
name: ${project}
services:
  app:
    image: ${image}
    command: ["sleep", "3600"]
    ports: ["80"]
    restart: always
    labels: { ${TEST_LABEL}: "${RUN_ID}" }
`;

  async function containersOf(project: string) {
    return runtime.containers.list({ all: true, labels: [`${PROJECT}=${project}`] });
  }

  beforeAll(() => {
    if (backend.available) ({ runtime, image } = suite.opened);
  });

  afterAll(async () => {
    if (!backend.available) return;
    for (const project of projects) await berth(["-p", project, "down", "-v", "-t", "0"], { cwd: tmpdir() });
    for (const project of projects) {
      for (const c of await containersOf(project)) await runtime.containers.remove(c.id, { force: true });
      for (const n of await runtime.networks.list({ labels: [`${PROJECT}=${project}`] }))
        await runtime.networks.remove(n.id);
    }
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("run must propagate the exit code (0, 1, 7, and 137 when killed) and --rm must leave no container", async () => {
    const { dir, project } = fixture("exit", single);
    const cases: [string, number][] = [
      ["exit 0", 0],
      ["exit 1", 1],
      ["exit 7", 7],
    ];
    for (const [script, code] of cases) {
      const result = await berth(["run", "--rm", "-T", "app", "sh", "-c", script], { cwd: dir });
      expect(result.exitCode, `${script}: ${result.stderr}`).toBe(code);
    }
    // Killed from outside (SIGKILL): 128 + 9, as Docker reports it.
    const running = berth(["run", "--rm", "-T", "app", "sleep", "30"], { cwd: dir });
    const oneOff = await eventually(async () => {
      const [found] = await runtime.containers.list({ labels: [`${PROJECT}=${project}`, `${ONEOFF}=True`] });
      if (found?.status !== "running") throw new Error("the one-off is not running yet");
      return found;
    }, 20_000);
    await runtime.containers.kill(oneOff.id, "SIGKILL");
    const killed = await running;
    expect(killed.exitCode, killed.stderr).toBe(137);
    // Detached, no berth waits for the exit: the engine removes the one-off.
    const detached = await berth(["run", "-d", "--rm", "app", "true"], { cwd: dir });
    expect(detached.exitCode, detached.stderr).toBe(0);
    await eventually(async () => {
      if ((await runtime.containers.inspect(detached.stdout.trim())) !== undefined)
        throw new Error("still there");
    }, 10_000);
    expect(await containersOf(project)).toEqual([]);
    await berth(["down"], { cwd: dir });
    expect(await leaks(project)).toEqual([]);
  }, 60_000);

  it("Ctrl-C must reach the one-off, which decides how it ends; --rm must hold even when berth is killed", async () => {
    const { dir, project } = fixture("signals", single);
    const oneOffs = () =>
      runtime.containers.list({ all: true, labels: [`${PROJECT}=${project}`, `${ONEOFF}=True`] });
    const running = async () =>
      eventually(async () => {
        const [found] = await oneOffs();
        if (found?.status !== "running") throw new Error("the one-off is not running yet");
        return found;
      }, 20_000);
    // The command traps SIGINT and leaves with 5: berth forwards the signal and exits with that code.
    const trapped = startBerth(
      [
        "run",
        "--rm",
        "-T",
        "app",
        "sh",
        "-c",
        "trap 'echo caught; exit 5' INT; echo ready; while :; do sleep 0.1; done",
      ],
      { cwd: dir },
    );
    await running();
    await eventually(async () => {
      if (!trapped.output.stdout.includes("ready")) throw new Error("not ready yet");
    }, 10_000);
    trapped.child.kill("SIGINT");
    const ended = await trapped.child;
    expect(ended.exitCode, trapped.output.stderr).toBe(5);
    expect(trapped.output.stdout).toBe("ready\ncaught\n");
    expect(await oneOffs()).toEqual([]);
    // berth killed outright: nobody is left to remove the one-off but the engine (AutoRemove).
    const killed = startBerth(["run", "--rm", "-T", "app", "sh", "-c", "sleep 1; exit 3"], { cwd: dir });
    await running();
    killed.child.kill("SIGKILL");
    await killed.child;
    await eventually(async () => {
      if ((await oneOffs()).length > 0) throw new Error("the one-off is still there");
    }, 15_000);
    await berth(["down"], { cwd: dir });
    expect(await leaks(project)).toEqual([]);
  }, 60_000);

  it("a one-off must be named and labelled as Compose's, with no ports and no restart policy by default", async () => {
    const { dir, project } = fixture("labels", single);
    const result = await berth(["run", "-d", "app", "sleep", "30"], { cwd: dir });
    expect(result.exitCode, result.stderr).toBe(0);
    const id = result.stdout.trim();
    const state = await runtime.containers.inspect(id);
    expect(state).toBeDefined();
    const labels = state?.labels ?? {};
    expect(labels[ONEOFF]).toBe("True");
    expect(labels["com.docker.compose.slug"]).toMatch(/^[0-9a-f]{64}$/);
    expect(state?.name).toBe(`${project}-app-run-${labels["com.docker.compose.slug"]?.slice(0, 12)}`);
    expect(labels[PROJECT]).toBe(project);
    expect(labels["com.docker.compose.service"]).toBe("app");
    expect(labels["com.docker.compose.container-number"]).toBe("-1");
    expect(labels["com.docker.compose.config-hash"]).toMatch(/^[0-9a-f]{64}$/);
    expect(labels[TEST_LABEL]).toBe(RUN_ID);
    expect(labels["com.docker.compose.image"]).toBe(state?.imageId);
    expect(state?.ports.filter((p) => p.hostPort)).toEqual([]);
    // `restart: always` is the service's, not its one-off's.
    expect(await restartPolicy(id)).toMatch(/^(no)?$/);
    // The one-off is not the service: `ps` does not count it as `app`'s replica.
    const ps = await berth(["ps", "--format", "json"], { cwd: dir });
    expect(ps.stdout).not.toContain(`"${project}-app-1"`);
    await berth(["down", "--remove-orphans", "-t", "0"], { cwd: dir });
    expect(await leaks(project)).toEqual([]);
  }, 60_000);

  it("--service-ports must publish the service's ports, -p only the given ones", async () => {
    const { dir, project } = fixture("ports", single);
    const published = async (args: string[]): Promise<number[]> => {
      const result = await berth(["run", "-d", ...args, "app", "sleep", "30"], { cwd: dir });
      expect(result.exitCode, result.stderr).toBe(0);
      const state = await runtime.containers.inspect(result.stdout.trim());
      return (state?.ports ?? []).filter((p) => p.hostPort).map((p) => p.containerPort);
    };
    expect(await published(["--service-ports"])).toContain(80);
    const onlyGiven = await published(["-p", "81"]);
    expect(onlyGiven).toContain(81);
    expect(onlyGiven).not.toContain(80);
    await berth(["down", "--remove-orphans", "-t", "0"], { cwd: dir });
    expect(await leaks(project)).toEqual([]);
  }, 60_000);

  it("-e, -w, -u, -v, --entrypoint and --name must reach the one-off", async () => {
    const { dir, project } = fixture("flags", single);
    const data = path.join(dir, "data");
    mkdirSync(data);
    writeFileSync(path.join(data, "f"), "from the host");
    const result = await berth(
      [
        "run",
        "--rm",
        "-T",
        "-e",
        "FOO=bar",
        "-w",
        "/tmp",
        "-u",
        "65534",
        "-v",
        "./data:/data:ro",
        "app",
      ].concat(["sh", "-c", 'echo "$FOO"; pwd; id -u; cat /data/f']),
      { cwd: dir },
    );
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe("bar\n/tmp\n65534\nfrom the host");
    const entry = await berth(["run", "--rm", "-T", "--entrypoint", "echo", "app", "hello"], { cwd: dir });
    expect(entry.stdout).toBe("hello\n");
    const named = await berth(["run", "-d", "--name", `${project}-custom`, "app", "sleep", "30"], {
      cwd: dir,
    });
    expect(named.exitCode, named.stderr).toBe(0);
    expect((await runtime.containers.inspect(`${project}-custom`))?.labels[ONEOFF]).toBe("True");
    await berth(["down", "--remove-orphans", "-t", "0"], { cwd: dir });
    expect(await leaks(project)).toEqual([]);
  }, 60_000);

  it("the output of a command that exits at once must never be lost, and stdin must reach the command", async () => {
    const { dir, project } = fixture("output", single);
    for (let i = 0; i < 5; i++) {
      const result = await berth(["run", "--rm", "-T", "app", "echo", "hi"], { cwd: dir });
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stdout).toBe("hi\n");
    }
    // stdin is piped through (-i, Compose's default) and half-closed at its end; the output of a
    // one-off removed as it exits (--rm) is still all read (native once lost it about one run in two).
    for (let i = 0; i < 5; i++) {
      const piped = await berth(["run", "--rm", "-T", "app", "cat"], { cwd: dir, input: "piped\n" });
      expect(piped, `round ${i}`).toMatchObject({ exitCode: 0, stdout: "piped\n" });
    }
    await berth(["down"], { cwd: dir });
    expect(await leaks(project)).toEqual([]);
  }, 60_000);

  it("run must start a service_healthy dependency and wait until it is healthy; --no-deps must not", async () => {
    const { dir, project } = fixture(
      "deps",
      (name) => `
name: ${name}
services:
  db:
    image: ${image}
    command: ["sh", "-c", "sleep 2; touch /tmp/ready; exec sleep 3600"]
    healthcheck: { test: ["CMD", "cat", "/tmp/ready"], interval: 500ms, retries: 20 }
    stop_grace_period: 1s
    labels: { ${TEST_LABEL}: "${RUN_ID}" }
  app:
    image: ${image}
    depends_on: { db: { condition: service_healthy } }
    labels: { ${TEST_LABEL}: "${RUN_ID}" }
`,
    );
    const noDeps = await berth(["run", "--rm", "-T", "--no-deps", "app", "true"], { cwd: dir });
    expect(noDeps.exitCode, noDeps.stderr).toBe(0);
    expect((await containersOf(project)).map((c) => c.name)).toEqual([]);

    const result = await berth(["run", "-d", "app", "true"], { cwd: dir });
    expect(result.exitCode, result.stderr).toBe(0);
    const db = await runtime.containers.inspect(`${project}-db-1`);
    const oneOff = await runtime.containers.inspect(result.stdout.trim());
    expect(db?.health).toBe("healthy");
    // db becomes healthy two seconds after its start: the one-off started no sooner.
    const waited = (oneOff?.startedAt?.getTime() ?? 0) - (db?.startedAt?.getTime() ?? 0);
    expect(waited).toBeGreaterThanOrEqual(2000);
    await berth(["down", "--remove-orphans", "-t", "0"], { cwd: dir });
    expect(await leaks(project)).toEqual([]);
  }, 60_000);

  // docker-compose 1.29 speaks the Engine API only: its projects exist on Docker alone.
  if (withFeatures(backend, "engine-api"))
    it("run must work on a project docker-compose 1.29 started", async (context) => {
      const v1 = await execa("docker-compose", ["version", "--short"], { reject: false });
      requireOrSkip(context, v1.exitCode === 0, "docker-compose is not installed");
      const dir = mkdtempSync(path.join(tmpdir(), "berth-run-v1-"));
      dirs.push(dir);
      const project = `berthrunv1${RUN_ID}`;
      projects.push(project);
      writeFileSync(
        path.join(dir, "compose.yaml"),
        `services:
  app:
    image: ${image}
    command: ["sleep", "3600"]
    labels: { ${TEST_LABEL}: "${RUN_ID}" }
`,
      );
      await execa("docker-compose", ["-p", project, "up", "-d"], { cwd: dir });
      const result = await berth(["-p", project, "run", "--rm", "-T", "app", "echo", "hi"], { cwd: dir });
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stdout).toBe("hi\n");
      const left = await containersOf(project);
      expect(left.map((c) => c.name)).toEqual([`${project}_app_1`]);
      await execa("docker-compose", ["-p", project, "down", "-t", "0"], { cwd: dir });
      expect(await leaks(project)).toEqual([]);
    }, 60_000);
});
