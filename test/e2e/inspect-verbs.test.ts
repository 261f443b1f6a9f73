/**
 * cp, port, top, images, ls, stats, events, wait and version through the built CLI on the real
 * engine, on a stack of two replicas made by berth and on one made by docker-compose 1.29 (found
 * by its labels alone). Each test checks what a user observes: the bytes, modes and owners of the
 * copied files, the address printed, the process and image rows, the exit code.
 */
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect } from "vitest";
import type { Runtime } from "../../src/runtime/runtime.js";
import { eventually, RUN_ID, TEST_LABEL } from "../integration/engine.js";
import { BACKENDS, useBackend, withFeatures } from "../integration/orchestration/backends.js";
import { backendCli } from "./backend-cli.js";
import { fixtures } from "./fixtures.js";

let runtime: Runtime;
let image: string;

/** Two sleeping replicas of `web` publishing port 80, and `job`, which exits 7 after a second. */
const stack = (project: string): string => `
name: ${project}
services:
  web:
    image: ${image}
    command: ["sleep", "3600"]
    init: false
    stop_grace_period: 1s
    ports: ["80"]
    deploy: { replicas: 2 }
    labels: { ${TEST_LABEL}: "${RUN_ID}" }
  job:
    image: ${image}
    command: ["sh", "-c", "sleep 1; exit 7"]
    labels: { ${TEST_LABEL}: "${RUN_ID}" }
`;

/** The output of a command run in a container (through the runtime, not the CLI under test). */
async function inContainer(id: string, command: readonly string[]): Promise<string> {
  const session = await runtime.containers.exec(id, { command });
  let text = "";
  for await (const chunk of session.output) text += Buffer.from(chunk.data).toString("utf8");
  await session.exitCode();
  return text;
}

async function containerOf(project: string, service: string, number: number): Promise<string> {
  const listed = await runtime.containers.list({
    labels: [
      `com.docker.compose.project=${project}`,
      `com.docker.compose.service=${service}`,
      `com.docker.compose.container-number=${number}`,
    ],
  });
  const id = listed[0]?.id;
  if (id === undefined) throw new Error(`no ${service} #${number} in ${project}`);
  return id;
}

/** A directory with a file (mode 640), a symlink and 200 kB of random bytes, owned by 1234:2345. */
function sourceTree(root: string): { dir: string; blob: Buffer } {
  const dir = path.join(root, "src");
  mkdirSync(path.join(dir, "sub"), { recursive: true });
  writeFileSync(path.join(dir, "a.txt"), "hello\n");
  chmodSync(path.join(dir, "a.txt"), 0o640);
  symlinkSync("a.txt", path.join(dir, "link"));
  const blob = randomBytes(200_000);
  writeFileSync(path.join(dir, "sub", "blob"), blob);
  for (const p of ["", "a.txt", "sub", "sub/blob"]) chownSync(path.join(dir, p), 1234, 2345);
  chownSync(path.join(dir, "link"), 1234, 2345);
  return { dir, blob };
}

describe.each(BACKENDS)(
  "berth cp / port / top / images / ls / stats / events / wait / version ($name)",
  (backend) => {
    const suite = useBackend(backend);
    const it = suite.it;
    const cli = backendCli(suite);
    const berth = (args: readonly string[], options: { cwd?: string } = {}) => cli.berth(args, options);
    const dirs: string[] = [];
    const projects: string[] = [];
    const fixture = fixtures(`e2e-${backend.name}`, dirs, projects);
    let main: { dir: string; project: string };

    beforeAll(async () => {
      if (!backend.available) return;
      ({ runtime, image } = suite.opened);
      main = fixture("verbs", stack);
      const up = await berth(["up", "-d", "web"], { cwd: main.dir });
      expect(up.exitCode, up.stderr).toBe(0);
    }, 90_000);

    afterAll(async () => {
      if (!backend.available) return;
      for (const project of projects)
        await berth(["-p", project, "down", "-v", "-t", "0"], { cwd: tmpdir() });
      for (const project of projects) {
        for (const c of await runtime.containers.list({
          labels: [`com.docker.compose.project=${project}`],
          all: true,
        }))
          await runtime.containers.remove(c.id, { force: true, volumes: true });
        for (const n of await runtime.networks.list({ labels: [`com.docker.compose.project=${project}`] }))
          await runtime.networks.remove(n.id);
      }
      for (const project of projects) expect(await suite.opened.leaks(project), project).toEqual([]);
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    }, 60_000);

    it("cp must copy a directory into every replica and back byte-exact, with its symlink, modes, and owners with -a", async () => {
      const { dir: src, blob } = sourceTree(main.dir);
      const to = await berth(["cp", "-a", src, "web:/tmp/dst"], { cwd: main.dir });
      expect(to.exitCode, to.stderr).toBe(0);
      for (const n of [1, 2]) {
        const id = await containerOf(main.project, "web", n);
        expect(
          await inContainer(id, ["stat", "-c", "%n %u:%g %a", "/tmp/dst/a.txt", "/tmp/dst/sub/blob"]),
        ).toBe("/tmp/dst/a.txt 1234:2345 640\n/tmp/dst/sub/blob 1234:2345 644\n");
        expect(await inContainer(id, ["stat", "-c", "%N", "/tmp/dst/link"])).toBe(
          "'/tmp/dst/link' -> 'a.txt'\n",
        );
      }
      // Back from replica 2, into a path that does not exist: it takes that name.
      const back = path.join(main.dir, "back");
      const from = await berth(["cp", "-a", "--index", "2", "web:/tmp/dst", back], { cwd: main.dir });
      expect(from.exitCode, from.stderr).toBe(0);
      expect(readFileSync(path.join(back, "sub", "blob")).equals(blob)).toBe(true);
      expect(readFileSync(path.join(back, "a.txt"), "utf8")).toBe("hello\n");
      expect(readlinkSync(path.join(back, "link"))).toBe("a.txt");
      const stat = lstatSync(path.join(back, "a.txt"));
      expect([stat.mode & 0o777, stat.uid, stat.gid]).toEqual([0o640, 1234, 2345]);

      // Without -a the copy is root's in the container, as docker cp documents.
      const plain = await berth(["cp", path.join(src, "a.txt"), "web:/tmp/"], { cwd: main.dir });
      expect(plain.exitCode, plain.stderr).toBe(0);
      expect(
        await inContainer(await containerOf(main.project, "web", 1), [
          "stat",
          "-c",
          "%u:%g %a",
          "/tmp/a.txt",
        ]),
      ).toBe("0:0 640\n");

      // -L copies what a source link points to; a destination link to a directory is followed.
      const linked = await berth(["cp", "-L", path.join(src, "link"), "web:/tmp/followed"], {
        cwd: main.dir,
      });
      expect(linked.exitCode, linked.stderr).toBe(0);
      const web1 = await containerOf(main.project, "web", 1);
      expect(await inContainer(web1, ["stat", "-c", "%F", "/tmp/followed"])).toBe("regular file\n");
      await inContainer(web1, ["busybox", "ln", "-s", "/tmp/dst/sub", "/tmp/to-sub"]);
      const intoLink = await berth(["cp", "--index", "1", path.join(src, "a.txt"), "web:/tmp/to-sub"], {
        cwd: main.dir,
      });
      expect(intoLink.exitCode, intoLink.stderr).toBe(0);
      expect(await inContainer(web1, ["cat", "/tmp/dst/sub/a.txt"])).toBe("hello\n");

      // A missing source names itself; the exit code is 1.
      const missing = await berth(["cp", "web:/nope", back], { cwd: main.dir });
      expect(missing.exitCode).toBe(1);
      expect(missing.stderr).toContain("/nope");
    }, 60_000);

    it("port must print each replica's published address", async () => {
      const listed = await runtime.containers.list({
        labels: [`com.docker.compose.project=${main.project}`],
      });
      const published = (n: number) =>
        listed
          .find((c) => c.labels["com.docker.compose.container-number"] === String(n))
          ?.ports.find((p) => p.containerPort === 80 && p.hostPort)?.hostPort;
      const one = await berth(["port", "web", "80"], { cwd: main.dir });
      const two = await berth(["port", "--index", "2", "web", "80"], { cwd: main.dir });
      expect(one.stdout).toBe(`0.0.0.0:${published(1)}\n`);
      expect(two.stdout).toBe(`0.0.0.0:${published(2)}\n`);
      expect(one.stdout).not.toBe(two.stdout);
      const none = await berth(["port", "web", "81"], { cwd: main.dir });
      expect([none.exitCode, none.stderr]).toEqual([
        1,
        expect.stringContaining("no port 81/tcp for container"),
      ]);
    });

    it("top, images, ls and stats must show both replicas", async () => {
      const top = await berth(["top"], { cwd: main.dir });
      expect(top.stdout.split("\n")[0]).toMatch(/^SERVICE\s+#\s+UID\s+PID\s+PPID.*CMD$/);
      expect(top.stdout).toMatch(/^web\s+1\s+root\s.*sleep 3600$/m);
      expect(top.stdout).toMatch(/^web\s+2\s+root\s.*sleep 3600$/m);

      const images = await berth(["images"], { cwd: main.dir });
      const [repo, tag] = image.split(":");
      expect(images.stdout).toMatch(
        new RegExp(
          `^${main.project}-web-1\\s+${repo}\\s+${tag}\\s+linux/\\S+\\s+[0-9a-f]{12}\\s+\\S+B\\s`,
          "m",
        ),
      );
      expect(images.stdout).toContain(`${main.project}-web-2`);
      const ids = await berth(["images", "-q"], { cwd: main.dir });
      expect(ids.stdout).toMatch(/^[0-9a-f]{64}\n$/);
      const json = JSON.parse((await berth(["images", "--format", "json"], { cwd: main.dir })).stdout) as {
        ContainerName: string;
      }[];
      expect(json.map((i) => i.ContainerName)).toEqual([`${main.project}-web-1`, `${main.project}-web-2`]);

      const ls = await berth(["ls", "--filter", `name=${main.project}`], { cwd: tmpdir() });
      expect(ls.stdout).toMatch(
        new RegExp(`^${main.project}\\s+running\\(2\\)\\s+${path.join(main.dir, "compose.yaml")}$`, "m"),
      );
      const lsJson = JSON.parse(
        (await berth(["ls", "--format", "json", "--filter", `name=${main.project}`])).stdout,
      ) as unknown;
      expect(lsJson).toEqual([
        { Name: main.project, Status: "running(2)", ConfigFiles: path.join(main.dir, "compose.yaml") },
      ]);

      const stats = await berth(["stats", "--no-stream"], { cwd: main.dir });
      const lines = stats.stdout.trimEnd().split("\n");
      expect(lines[0]).toMatch(
        /^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS$/,
      );
      expect(lines.slice(1).map((l) => l.split(/\s+/)[1])).toEqual([
        `${main.project}-web-1`,
        `${main.project}-web-2`,
      ]);

      // Streaming to a pipe: a new table every half second, until Ctrl-C.
      const bin = path.join(import.meta.dirname, "../../bin/berth.js");
      const streaming = execa(process.execPath, [bin, "stats", "--format", "{{.Name}}"], {
        cwd: main.dir,
        env: cli.env(),
        extendEnv: false,
        reject: false,
        timeout: 20_000,
      });
      let streamed = "";
      streaming.stdout?.on("data", (chunk: Buffer) => (streamed += chunk.toString("utf8")));
      await eventually(async () => {
        if (streamed.split(`${main.project}-web-2\n`).length < 3)
          throw new Error(`fewer than two tables: ${streamed}`);
      }, 10_000);
      streaming.kill("SIGINT");
      expect((await streaming).exitCode).toBe(0);
    }, 60_000);

    it("events --json must print a die and a start as parseable lines; wait must exit with the code of the container", async () => {
      const events = execa(
        process.execPath,
        [path.join(import.meta.dirname, "../../bin/berth.js"), "events", "--json"],
        {
          cwd: main.dir,
          env: cli.env(),
          extendEnv: false,
          reject: false,
          timeout: 30_000,
        },
      );
      let out = "";
      events.stdout?.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")));
      await new Promise((resolve) => setTimeout(resolve, 1000)); // the stream is open
      const up = await berth(["up", "-d", "job"], { cwd: main.dir });
      expect(up.exitCode, up.stderr).toBe(0);
      const waited = await berth(["wait", "job"], { cwd: main.dir });
      expect(waited.exitCode).toBe(7);
      expect(waited.stdout).toMatch(/^container "[0-9a-f]{64}" exited with status code 7\n$/);
      const seen = await eventually(async () => {
        const parsed = out
          .trim()
          .split("\n")
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { action: string; service: string; type: string; id: string });
        if (!parsed.some((e) => e.action === "die" && e.service === "job"))
          throw new Error(`no die yet: ${out}`);
        return parsed;
      }, 10_000);
      events.kill("SIGINT");
      await events;
      expect(seen.find((e) => e.action === "start" && e.service === "job")).toMatchObject({
        type: "container",
      });
      // ls counts the exited job only with -a.
      const ls = await berth(["ls", "--filter", `name=${main.project}`, "--format", "json"]);
      const lsAll = await berth(["ls", "-a", "--filter", `name=${main.project}`, "--format", "json"]);
      expect((JSON.parse(ls.stdout) as { Status: string }[])[0]?.Status).toBe("running(2)");
      expect((JSON.parse(lsAll.stdout) as { Status: string }[])[0]?.Status).toBe("exited(1), running(2)");
    }, 60_000);

    it("version must print berth's version and the runtime; --short and --format json as Compose", async () => {
      const version = JSON.parse(
        readFileSync(path.join(import.meta.dirname, "../../package.json"), "utf8"),
      ) as { version: string };
      expect((await berth(["version", "--short"])).stdout).toBe(`${version.version}\n`);
      expect((await berth(["version", "--format", "json"])).stdout).toBe(
        `{"version":"v${version.version}"}\n`,
      );
      expect((await berth(["version"])).stdout).toMatch(
        new RegExp(`^berth version v${version.version}\nRuntime: ${backend.name} \\(`),
      );
    });

    // docker-compose 1.29 speaks the Engine API only: its projects exist on Docker alone.
    if (withFeatures(backend, "engine-api"))
      it("cp, port, top and ls must serve a stack made by docker-compose 1.29, by its labels", async () => {
        const v1 = fixture("v1", (project) =>
          stack(project).replace(`name: ${project}\n`, "").replace("    deploy: { replicas: 2 }\n", ""),
        );
        const env = { ...process.env, COMPOSE_PROJECT_NAME: v1.project } as Record<string, string>;
        const up = await execa("docker-compose", ["up", "-d", "--scale", "web=2", "web"], {
          cwd: v1.dir,
          env,
          reject: false,
        });
        expect(up.exitCode, up.stderr).toBe(0);
        const port = await berth(["-p", v1.project, "port", "--index", "2", "web", "80"], { cwd: tmpdir() });
        expect(port.stdout).toMatch(/^0\.0\.0\.0:\d+\n$/);
        const file = path.join(v1.dir, "note.txt");
        writeFileSync(file, "from the host\n");
        expect(
          (await berth(["-p", v1.project, "cp", file, "web:/tmp/note.txt"], { cwd: v1.dir })).exitCode,
        ).toBe(0);
        const back = path.join(v1.dir, "note-back.txt");
        expect(
          (await berth(["-p", v1.project, "cp", "--index", "2", "web:/tmp/note.txt", back], { cwd: v1.dir }))
            .exitCode,
        ).toBe(0);
        expect(readFileSync(back, "utf8")).toBe("from the host\n");
        expect((await berth(["-p", v1.project, "top", "web"], { cwd: v1.dir })).stdout).toMatch(
          /^web\s+2\s+root\s.*sleep 3600$/m,
        );
        expect((await berth(["ls", "-q", "--filter", `name=${v1.project}`])).stdout).toBe(`${v1.project}\n`);
        const images = await berth(["-p", v1.project, "images"], { cwd: tmpdir() });
        expect(images.stdout).toMatch(new RegExp(`^${v1.project}_web_2\\s+berth-test/busybox\\s`, "m"));
        await execa("docker-compose", ["down", "-t", "0"], { cwd: v1.dir, env, reject: false });
        expect(await suite.opened.leaks(v1.project)).toEqual([]);
      }, 60_000);
  },
);
