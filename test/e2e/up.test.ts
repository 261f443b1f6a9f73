/**
 * `up`, `ps`, `logs` and `down` through the built CLI on each runtime backend (Docker and native,
 * from ../integration/orchestration/backends.ts): each test states what must hold, runs berth as a
 * user would, and checks the runtime's state (containers, networks, volumes by label) rather than
 * only the text printed; after the suite every project passes the backend's leak check. Every
 * object carries `berth.test=<run id>` for the CI sweep.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { canBind } from "../../src/host/ports.js";
import { formatOwner, lockDirectories, lockFileName, parseProcStat } from "../../src/engine/project-lock.js";
import type { Runtime } from "../../src/runtime/runtime.js";
import { eventually, RUN_ID, TEST_LABEL } from "../integration/engine.js";
import { BACKENDS, useBackend } from "../integration/orchestration/backends.js";
import { backendCli } from "./backend-cli.js";
import { repoRoot } from "./cli.js";
import { fixtures } from "./fixtures.js";

const PROJECT_LABEL = "com.docker.compose.project";

let runtime: Runtime;
let image: string;

async function projectState(project: string) {
  const labels = [`${PROJECT_LABEL}=${project}`];
  return {
    containers: await runtime.containers.list({ labels, all: true }),
    networks: await runtime.networks.list({ labels }),
    volumes: await runtime.volumes.list({ labels }),
  };
}

/** One service, `web`, that sleeps: for tests about what happens around the containers. */
const sleeper = (project: string): string => `
name: ${project}
services:
  web:
    image: ${image}
    command: ["sleep", "3600"]
    labels: { ${TEST_LABEL}: "${RUN_ID}" }
`;

describe.each(BACKENDS)("berth up / ps / logs / down ($name)", (backend) => {
  const suite = useBackend(backend);
  const it = suite.it;
  const cli = backendCli(suite);
  const berth = (args: readonly string[], options: { cwd?: string } = {}) => cli.berth(args, options);
  const dirs: string[] = [];
  const projects: string[] = [];
  const fixture = fixtures(`e2e-${backend.name}`, dirs, projects);

  beforeAll(() => {
    if (backend.available) ({ runtime, image } = suite.opened);
  });

  afterAll(async () => {
    if (!backend.available) return;
    // Whatever a failed test left behind goes, through the CLI first and then directly.
    for (const project of projects) await berth(["-p", project, "down", "-v", "-t", "0"], { cwd: tmpdir() });
    for (const project of projects) {
      const state = await projectState(project);
      for (const c of state.containers) await runtime.containers.remove(c.id, { force: true, volumes: true });
      for (const n of state.networks) await runtime.networks.remove(n.id);
      for (const v of state.volumes) await runtime.volumes.remove(v.name, { force: true });
    }
    for (const project of projects) expect(await suite.opened.leaks(project), project).toEqual([]);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("up -d must start the stack, ps and logs must show it, and down -v must leave nothing", async () => {
    const { dir, project } = fixture(
      "stack",
      (name) => `
name: ${name}
services:
  web:
    image: ${image}
    command: ["sh", "-c", "echo web ready; exec sleep 3600"]
    stop_grace_period: 1s
    labels: { ${TEST_LABEL}: "${RUN_ID}" }
  worker:
    image: ${image}
    command: ["sh", "-c", "echo worker $$HOSTNAME up; exec sleep 3600"]
    scale: 2
    stop_grace_period: 1s
    labels: { ${TEST_LABEL}: "${RUN_ID}" }
    volumes: [data:/data]
networks:
  default:
    labels: { ${TEST_LABEL}: "${RUN_ID}" }
volumes:
  data:
    labels: { ${TEST_LABEL}: "${RUN_ID}" }
`,
    );

    // Step: up -d returns once everything runs, with plain progress on stderr (not a terminal).
    const up = await berth(["up", "-d"], { cwd: dir });
    expect(up.stderr).toContain(`Container ${project}-web-1  Started`);
    expect(up.exitCode).toBe(0);
    const started = await projectState(project);
    expect(started.containers.map((c) => [c.name, c.status]).sort()).toEqual([
      [`${project}-web-1`, "running"],
      [`${project}-worker-1`, "running"],
      [`${project}-worker-2`, "running"],
    ]);
    expect(started.networks).toHaveLength(1);
    expect(started.volumes).toHaveLength(1);

    // Step: ps --format json prints one object per container with Compose's fields.
    const ps = await berth(["ps", "--format", "json"], { cwd: dir });
    expect(ps.exitCode).toBe(0);
    const rows = ps.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { Name: string; Service: string; State: string; Project: string });
    expect(rows.map((r) => [r.Name, r.Service, r.State, r.Project])).toEqual([
      [`${project}-web-1`, "web", "running", project],
      [`${project}-worker-1`, "worker", "running", project],
      [`${project}-worker-2`, "worker", "running", project],
    ]);

    // Step: logs prints every container's lines behind its padded name.
    const width = `${project}-worker-1`.length + 1;
    const logs = await eventually(async () => {
      const result = await berth(["logs", "--no-color"], { cwd: dir });
      expect(result.exitCode).toBe(0);
      const lines = result.stdout.trim().split("\n").sort();
      expect(lines).toHaveLength(3);
      return lines;
    }, 10_000);
    expect(logs[0]).toBe(`${`${project}-web-1`.padEnd(width)} | web ready`);
    expect(logs[1]).toMatch(new RegExp(`^${project}-worker-1  \\| worker [0-9a-f]{12} up$`));
    expect(logs[2]).toMatch(new RegExp(`^${project}-worker-2  \\| worker [0-9a-f]{12} up$`));
    const bare = await berth(["logs", "--no-log-prefix", "web"], { cwd: dir });
    expect(bare.stdout).toBe("web ready\n");

    // Step: down -v, named by -p from a directory with no compose file, removes everything.
    const down = await berth(["-p", project, "down", "-v"], { cwd: tmpdir() });
    expect(down.exitCode).toBe(0);
    expect(await projectState(project)).toEqual({ containers: [], networks: [], volumes: [] });
  }, 60_000);

  it("Ctrl-C while another berth holds the project must end the wait at once, exit 130 and change nothing", async () => {
    const { dir, project } = fixture("lockwait", sleeper);
    // Another berth holds the project: its lock names a live process (this sleep).
    const holder = execa("sleep", ["60"], { reject: false });
    const start = parseProcStat(readFileSync(`/proc/${holder.pid}/stat`, "utf8"))?.start;
    const lockDir = lockDirectories(process.env, process.getuid?.() ?? 0, tmpdir())[0] as string;
    mkdirSync(lockDir, { recursive: true });
    const lockFile = path.join(lockDir, lockFileName(project));
    writeFileSync(lockFile, formatOwner({ pid: holder.pid ?? 0, start }));
    try {
      const up = execa(process.execPath, [path.join(repoRoot, "bin", "berth.js"), "up", "--no-dashboard"], {
        cwd: dir,
        env: cli.env(),
        extendEnv: false,
        reject: false,
        timeout: 30_000,
      });
      let stderr = "";
      up.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      await eventually(
        async () => expect(stderr).toContain(`waiting for another berth on project ${project}`),
        15_000,
      );

      const interrupted = Date.now();
      up.kill("SIGINT");
      const result = await up;
      expect(result.exitCode).toBe(130);
      expect(Date.now() - interrupted).toBeLessThan(5_000);
      const state = await projectState(project);
      expect(state.containers).toEqual([]);
      expect(state.networks).toEqual([]);
      // The other berth's lock is untouched.
      expect(readFileSync(lockFile, "utf8")).toBe(formatOwner({ pid: holder.pid ?? 0, start }));
    } finally {
      holder.kill();
      rmSync(lockFile, { force: true });
    }
  }, 60_000);

  it("up adding a service on a host port that a kept (orphaned) container of the project publishes must fail before creating it, naming that container", async () => {
    let port = 0;
    for (let attempt = 0; attempt < 100 && port === 0; attempt++) {
      const candidate = 30_000 + Math.floor(Math.random() * 20_000);
      if (await canBind("tcp", "127.0.0.1", candidate)) port = candidate;
    }
    expect(port).not.toBe(0);
    const service = (name: string): string => `
  ${name}:
    image: ${image}
    command: ["sleep", "3600"]
    ports: ["127.0.0.1:${port}:80"]
    stop_grace_period: 1s
    labels: { ${TEST_LABEL}: "${RUN_ID}" }`;
    const { dir, project } = fixture(
      "keptport",
      (name) => `
name: ${name}
services:${service("web")}
networks:
  default:
    labels: { ${TEST_LABEL}: "${RUN_ID}" }
`,
    );
    expect((await berth(["up", "-d"], { cwd: dir })).exitCode).toBe(0);

    // web is renamed api: without --remove-orphans web's container is kept, so its port stays taken.
    // (Two services of one file on the same port are refused when the file loads.)
    const compose = path.join(dir, "compose.yaml");
    writeFileSync(compose, readFileSync(compose, "utf8").replace(service("web"), service("api")));
    const again = await berth(["up", "-d"], { cwd: dir });
    expect(again.exitCode).not.toBe(0);
    expect(again.stderr).toContain(
      `service "api": host port 127.0.0.1:${port}/tcp is already in use by this project's container ${project}-web-1`,
    );
    const state = await projectState(project);
    expect(state.containers.map((c) => [c.name, c.status])).toEqual([[`${project}-web-1`, "running"]]);

    expect((await berth(["down", "-v", "-t", "0"], { cwd: dir })).exitCode).toBe(0);
  }, 60_000);

  it("up --dry-run must print the plan and change nothing", async () => {
    const { dir, project } = fixture("dry", sleeper);
    const result = await berth(["up", "--dry-run"], { cwd: dir });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`CreateContainer ${project}-web-1`);
    expect(await projectState(project)).toEqual({ containers: [], networks: [], volumes: [] });
  }, 30_000);

  it("up attached with --exit-code-from must print the output and return that container's exit code", async () => {
    const { dir, project } = fixture(
      "exit",
      (name) => `
name: ${name}
services:
  job:
    image: ${image}
    command: ["sh", "-c", "echo job working; sleep 1; echo job failing; exit 3"]
    labels: { ${TEST_LABEL}: "${RUN_ID}" }
  server:
    image: ${image}
    command: ["sh", "-c", "trap 'echo server stopping; exit 0' TERM; echo server up; while true; do sleep 0.1; done"]
    stop_grace_period: 5s
    labels: { ${TEST_LABEL}: "${RUN_ID}" }
`,
    );
    const result = await berth(
      ["--progress", "quiet", "up", "--abort-on-container-exit", "--exit-code-from", "job"],
      {
        cwd: dir,
      },
    );
    expect(result.exitCode).toBe(3);
    const job = `${project}-job-1`;
    const server = `${project}-server-1`;
    const lines = result.stdout.split("\n");
    // Whole lines, each behind its container's padded name, in the order each container printed them.
    expect(lines.filter((l) => l.startsWith(`${job} `))).toEqual([
      `${job}     | job working`,
      `${job}     | job failing`,
      `${job} exited with code 3`,
    ]);
    expect(lines).toContain(`${server}  | server up`);
    expect(lines).toContain(`${server} exited with code 0`);
    expect(result.stderr).toContain("Aborting on container exit...");
    // The abort stopped the rest of the stack; nothing was removed.
    const state = await projectState(project);
    expect(state.containers.map((c) => [c.name, c.status]).sort()).toEqual([
      [job, "exited"],
      [server, "exited"],
    ]);
  }, 30_000);

  it("up --wait --wait-timeout must end in time when a dependency never becomes healthy, naming it", async () => {
    const { dir, project } = fixture(
      "waitdep",
      (name) => `
name: ${name}
services:
  db:
    image: ${image}
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 300 & wait"]
    labels: { ${TEST_LABEL}: "${RUN_ID}" }
    # Fails every second but never runs out of retries: "starting" for ever.
    healthcheck: { test: ["CMD", "false"], interval: 1s, retries: 100000 }
  app:
    image: ${image}
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 300 & wait"]
    labels: { ${TEST_LABEL}: "${RUN_ID}" }
    depends_on: { db: { condition: service_healthy } }
`,
    );
    const started = Date.now();
    // (berth() gives up after 20 s: without the bound the wait would run for 10 minutes.)
    const result = await berth(["--progress", "quiet", "up", "--wait", "--wait-timeout", "5"], { cwd: dir });
    const took = Date.now() - started;
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("application not healthy after 5s");
    expect(result.stderr).toContain(`hint: service "db": container ${project}-db-1 is starting`);
    expect(took).toBeLessThan(15_000);
    // The dependent was never started.
    const state = await projectState(project);
    expect(state.containers.map((c) => [c.name, c.status]).sort()).toEqual([
      [`${project}-app-1`, "created"],
      [`${project}-db-1`, "running"],
    ]);
  }, 90_000);
});
