/**
 * create, kill, pause, unpause, rm, `down SERVICE…`, `restart --no-deps`, `scale --no-deps` and the
 * lifecycle commands with `-p NAME` and no compose file, through the built CLI on each runtime
 * backend (Docker and native, from ../integration/orchestration/backends.ts): each test states what
 * must hold and checks the runtime's state by label, and the backend's leak check after `down`. A
 * project started by docker-compose 1.29 (its labels, its `project_service_1` names) must be driven
 * the same way (on Docker, the only runtime docker-compose speaks to).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { projectFilter } from "../../src/engine/labels.js";
import type { ContainerSummary, Runtime } from "../../src/runtime/runtime.js";
import { eventually, RUN_ID, TEST_LABEL } from "../integration/engine.js";
import { BACKENDS, useBackend, withFeatures } from "../integration/orchestration/backends.js";
import { backendCli } from "./backend-cli.js";

describe.each(BACKENDS)(
  "berth create / kill / pause / unpause / rm / down SERVICE / -p ($name)",
  (backend) => {
    const suite = useBackend(backend);
    const it = suite.it;
    const { berth } = backendCli(suite);
    let runtime: Runtime;
    let image: string;
    const dirs: string[] = [];
    const projects: string[] = [];
    /** Where `-p NAME` runs: a directory with no compose file. */
    let elsewhere: string;
    const leaks = (project: string) => suite.opened.leaks(project);

    /** A fresh directory holding `file` (compose.yaml) for one test, and its project name. */
    function fixture(name: string, yaml: (project: string) => string, file = "compose.yaml") {
      const project = `berth-verbs-${backend.name}-${name}-${RUN_ID}`;
      const dir = mkdtempSync(path.join(tmpdir(), `berth-verbs-${name}-`));
      writeFileSync(path.join(dir, file), yaml(project));
      dirs.push(dir);
      projects.push(project);
      return { dir, project };
    }

    /** A service that sleeps and stops at once (sleep ignores SIGTERM as PID 1). */
    const sleeper = (extra = ""): string => `
    image: ${image}
    command: ["sleep", "3600"]
    stop_grace_period: 1s
    labels: { ${TEST_LABEL}: "${RUN_ID}" }${extra}`;

    async function containers(project: string): Promise<ContainerSummary[]> {
      const listed = await runtime.containers.list({ labels: projectFilter(project), all: true });
      return listed.sort((a, b) => a.name.localeCompare(b.name));
    }

    /** service-or-name → status, for the project's containers. */
    async function statuses(project: string): Promise<Record<string, string>> {
      return Object.fromEntries((await containers(project)).map((c) => [c.name, c.status]));
    }

    async function ok(args: string[], cwd: string, input?: string) {
      const result = await berth(args, { cwd, ...(input === undefined ? {} : { input }) });
      expect(result.exitCode, `berth ${args.join(" ")}\n${result.stderr}`).toBe(0);
      return result;
    }

    beforeAll(() => {
      elsewhere = mkdtempSync(path.join(tmpdir(), "berth-verbs-elsewhere-"));
      dirs.push(elsewhere);
      if (backend.available) ({ runtime, image } = suite.opened);
    });

    afterAll(async () => {
      if (backend.available) {
        for (const project of projects) {
          for (const c of await containers(project))
            await runtime.containers.remove(c.id, { force: true, volumes: true });
          for (const n of await runtime.networks.list({ labels: projectFilter(project) }))
            await runtime.networks.remove(n.id);
        }
      }
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    }, 60_000);

    it("kill -s SIGUSR1 must reach every replica (the container traps it), found with -p from elsewhere", async () => {
      const { dir, project } = fixture(
        "kill",
        (name) => `
name: ${name}
services:
  web:
    image: ${image}
    command: ["sh", "-c", "trap 'echo got-usr1; exit 7' USR1; while true; do sleep 1; done"]
    deploy: { replicas: 2 }
    labels: { ${TEST_LABEL}: "${RUN_ID}" }
  other:${sleeper()}
`,
      );
      await ok(["up", "-d"], dir);
      await ok(["-p", project, "kill", "-s", "SIGUSR1", "web"], elsewhere);
      const exited = await eventually(async () => {
        const web = (await containers(project)).filter((c) => c.name.includes("-web-"));
        expect(web.map((c) => [c.status, c.exitCode])).toEqual([
          ["exited", 7],
          ["exited", 7],
        ]);
        return web;
      }, 10_000);
      expect(exited).toHaveLength(2);
      expect((await statuses(project))[`${project}-other-1`]).toBe("running");
      const logs = await ok(["-p", project, "logs", "web"], elsewhere);
      expect(logs.stdout.match(/got-usr1/g)).toHaveLength(2);
      // Once the file no longer has `other`, it is an orphan: left alone unless --remove-orphans.
      writeFileSync(path.join(dir, "compose.yaml"), `name: ${project}\nservices:\n  web:${sleeper()}\n`);
      await ok(["kill"], dir);
      expect((await statuses(project))[`${project}-other-1`]).toBe("running");
      await ok(["kill", "--remove-orphans"], dir);
      await eventually(
        async () => expect((await statuses(project))[`${project}-other-1`]).toBe("exited"),
        10_000,
      );
      await ok(["down", "--remove-orphans"], dir);
      expect(await leaks(project)).toEqual([]);
    }, 60_000);

    it("pause must show in ps as paused, and unpause (-p from elsewhere) must resume", async () => {
      const { dir, project } = fixture(
        "pause",
        (name) => `name: ${name}\nservices:\n  web:${sleeper()}\n  db:${sleeper()}\n`,
      );
      await ok(["up", "-d"], dir);
      await ok(["pause", "web"], dir);
      const ps = await ok(["ps", "--format", "json"], dir);
      const states = Object.fromEntries(
        ps.stdout
          .trim()
          .split("\n")
          .map((line) => JSON.parse(line) as { Service: string; State: string })
          .map((c) => [c.Service, c.State]),
      );
      expect(states).toEqual({ db: "running", web: "paused" });
      await ok(["-p", project, "unpause"], elsewhere);
      expect(await statuses(project)).toEqual({
        [`${project}-db-1`]: "running",
        [`${project}-web-1`]: "running",
      });
      await ok(["-p", project, "down"], elsewhere);
      expect(await leaks(project)).toEqual([]);
    }, 60_000);

    it("rm must ask first, remove only stopped containers with -f, and with -s -v stop first and drop anonymous volumes", async () => {
      const { dir, project } = fixture(
        "rm",
        (name) => `
name: ${name}
services:
  web:${sleeper("\n    volumes: [/data]")}
  job:
    image: ${image}
    command: ["sh", "-c", "exit 0"]
    labels: { ${TEST_LABEL}: "${RUN_ID}" }
`,
      );
      await ok(["up", "-d"], dir);
      const job = `${project}-job-1`;
      await eventually(async () => expect((await statuses(project))[job]).toBe("exited"), 10_000);
      // No terminal and no answer: asked, and nothing removed.
      const asked = await ok(["rm"], dir, "");
      expect(asked.stdout).toBe(`Going to remove ${job}`);
      expect(Object.keys(await statuses(project))).toContain(job);
      await ok(["rm"], dir, "n\n");
      expect(Object.keys(await statuses(project))).toContain(job);

      const forced = await ok(["rm", "-f"], dir);
      expect(forced.stdout).toBe(`Going to remove ${job}\n`);
      expect(await statuses(project)).toEqual({ [`${project}-web-1`]: "running" });
      expect((await ok(["rm", "-f"], dir)).stderr).toContain("No stopped containers");

      const web = await runtime.containers.inspect(`${project}-web-1`);
      const anonymous = web?.mounts.find((m) => m.target === "/data")?.name;
      expect(anonymous).toBeTruthy();
      await ok(["-p", project, "rm", "-s", "-f", "-v"], elsewhere);
      expect(await containers(project)).toEqual([]);
      expect(await runtime.volumes.inspect(anonymous ?? "")).toBeUndefined();
      await ok(["down"], dir);
      expect(await leaks(project)).toEqual([]);
    }, 60_000);

    it("down SERVICE must remove that service and its dependents only, and keep the network in use", async () => {
      const { dir, project } = fixture(
        "down",
        (name) => `
name: ${name}
services:
  db:${sleeper()}
  web:${sleeper("\n    depends_on: [db]")}
  other:${sleeper()}
`,
      );
      await ok(["up", "-d"], dir);
      await ok(["down", "db"], dir);
      expect(await statuses(project)).toEqual({ [`${project}-other-1`]: "running" });
      expect(await runtime.networks.list({ labels: projectFilter(project) })).toHaveLength(1);
      // From elsewhere, by name: a service the labels do not know is nothing to remove.
      await ok(["-p", project, "down", "web"], elsewhere);
      expect(await statuses(project)).toEqual({ [`${project}-other-1`]: "running" });
      await ok(["-p", project, "down", "other"], elsewhere);
      expect(await leaks(project)).toEqual([]);
    }, 60_000);

    it("create must leave containers created; -p start/stop/restart from elsewhere must drive them", async () => {
      const { dir, project } = fixture(
        "create",
        (name) =>
          `name: ${name}\nservices:\n  db:${sleeper()}\n  web:${sleeper("\n    depends_on: [db]\n    scale: 2")}\n`,
      );
      await ok(["create"], dir);
      const names = [`${project}-db-1`, `${project}-web-1`, `${project}-web-2`];
      expect(await statuses(project)).toEqual(Object.fromEntries(names.map((n) => [n, "created"])));
      await ok(["-p", project, "start"], elsewhere);
      expect(await statuses(project)).toEqual(Object.fromEntries(names.map((n) => [n, "running"])));
      await ok(["-p", project, "stop", "web"], elsewhere);
      expect(await statuses(project)).toEqual({
        [names[0] ?? ""]: "running",
        [names[1] ?? ""]: "exited",
        [names[2] ?? ""]: "exited",
      });
      await ok(["-p", project, "restart"], elsewhere);
      expect(await statuses(project)).toEqual(Object.fromEntries(names.map((n) => [n, "running"])));
      await ok(["down"], dir);
      expect(await leaks(project)).toEqual([]);
    }, 60_000);

    it("restart must bring restart:true dependents unless --no-deps; scale must bring dependencies unless --no-deps", async () => {
      const { dir, project } = fixture(
        "nodeps",
        (name) => `
name: ${name}
services:
  db:${sleeper()}
  web:${sleeper("\n    depends_on: { db: { condition: service_started, restart: true } }")}
  cache:${sleeper()}
  worker:${sleeper("\n    depends_on: [cache]")}
`,
      );
      await ok(["up", "-d", "web"], dir);
      const startedAt = async (name: string) =>
        (await runtime.containers.inspect(name))?.startedAt?.getTime();
      const web = `${project}-web-1`;
      const before = await startedAt(web);
      await ok(["restart", "--no-deps", "db"], dir);
      expect(await startedAt(web)).toBe(before);
      await ok(["restart", "db"], dir);
      expect(await startedAt(web)).not.toBe(before);

      await ok(["scale", "--no-deps", "worker=2"], dir);
      const named = async () =>
        Object.keys(await statuses(project)).filter((n) => /-(worker|cache)-/.test(n));
      expect(await named()).toEqual([`${project}-worker-1`, `${project}-worker-2`]);
      await ok(["scale", "worker=1"], dir);
      expect(await named()).toEqual([`${project}-cache-1`, `${project}-worker-1`]);
      await ok(["down"], dir);
      expect(await leaks(project)).toEqual([]);
    }, 60_000);

    // docker-compose 1.29 speaks the Engine API only: its projects exist on Docker alone.
    if (withFeatures(backend, "engine-api"))
      it("a project started by docker-compose 1.29 must be paused, killed, removed and taken down by -p NAME", async () => {
        const { dir, project } = fixture(
          "v1",
          () => `version: "2.4"\nservices:\n  web:${sleeper()}\n`,
          "docker-compose.yml",
        );
        const v1 = ["-p", project, "up", "-d", "--scale", "web=2"];
        await execa("docker-compose", v1, { cwd: dir, timeout: 60_000 });
        const names = [`${project}_web_1`, `${project}_web_2`];
        expect(Object.keys(await statuses(project))).toEqual(names);
        await ok(["-p", project, "pause"], elsewhere);
        expect(await statuses(project)).toEqual(Object.fromEntries(names.map((n) => [n, "paused"])));
        await ok(["-p", project, "unpause", "web"], elsewhere);
        await ok(["-p", project, "kill"], elsewhere);
        await eventually(
          async () =>
            expect(await statuses(project)).toEqual(Object.fromEntries(names.map((n) => [n, "exited"]))),
          10_000,
        );
        expect((await ok(["-p", project, "rm", "-f"], elsewhere)).stdout).toBe(
          `Going to remove ${names.join(", ")}\n`,
        );
        await ok(["-p", project, "down"], elsewhere);
        expect(await leaks(project)).toEqual([]);
      }, 90_000);
  },
);
