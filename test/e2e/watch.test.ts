/**
 * `berth watch` and `berth up --watch` through the built CLI on the real engine, as a user works
 * with them: edit a file on the host, then look inside the container. Each test is its own project
 * whose service is built offline (`FROM scratch` with the host's busybox) so that its build context
 * has a `.dockerignore`; every container, network and image is removed after and leak-checked.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, expect, it } from "vitest";
import { serviceFilter } from "../../src/engine/labels.js";
import type { ContainerSummary, Runtime } from "../../src/runtime/runtime.js";
import { describeEngine, eventually, requireOrSkip, RUN_ID, TEST_LABEL } from "../integration/engine.js";
import { BUSYBOX_PATH, openTestEngine } from "../integration/images.js";
import { leaks } from "../integration/leaks.js";
import { berth, CLI_RUNTIME, repoRoot, startBerth } from "./cli.js";

let runtime: Runtime;
/** A tmux server of this file's own, for the dashboard (a real terminal); killed after. */
const TMUX = ["-L", `berth-e2e-watch-${RUN_ID}`, "-f", "/dev/null"];
const tmux = (...args: string[]) => execa("tmux", [...TMUX, ...args], { timeout: 10_000, reject: false });
const tmuxFound = (await execa("tmux", ["-V"], { reject: false })).exitCode === 0;
const dirs: string[] = [];
const projects: string[] = [];
const images: string[] = [];

const DOCKERFILE = `FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
ENV PATH=/bin
COPY version.txt /version.txt
CMD ["sh", "-c", "mkdir -p /src; echo started $(cat /version.txt); trap 'exit 0' TERM; sleep 3600 & wait"]
`;

/**
 * A project with one service `web` built from `app/` (its `.dockerignore` leaves out
 * `src/secret.txt`), `app/src/` holding `a.txt`, and the given `develop.watch` rules.
 */
function fixture(name: string, rules: string): { dir: string; project: string; app: string } {
  const project = `berth-e2e-watch-${name}-${RUN_ID}`;
  const reference = `berth-test/watch-${name}-${RUN_ID}:v1`;
  const dir = mkdtempSync(path.join(tmpdir(), `berth-e2e-watch-${name}-`));
  const app = path.join(dir, "app");
  mkdirSync(path.join(app, "src"), { recursive: true });
  copyFileSync(BUSYBOX_PATH, path.join(app, "busybox"));
  writeFileSync(path.join(app, "Dockerfile"), DOCKERFILE);
  writeFileSync(path.join(app, ".dockerignore"), "src/secret.txt\n");
  writeFileSync(path.join(app, "version.txt"), "v1\n");
  writeFileSync(path.join(app, "src", "a.txt"), "one\n");
  writeFileSync(
    path.join(dir, "compose.yaml"),
    `name: ${project}
services:
  web:
    image: ${reference}
    build:
      context: ./app
      # Its own image per test (the contexts are alike): one test's prune must not see another's tag.
      labels: { ${TEST_LABEL}: "${RUN_ID}", berth.test.fixture: ${name} }
    labels: { ${TEST_LABEL}: "${RUN_ID}" }
    stop_grace_period: 2s
    develop:
      watch:
${rules}`,
  );
  dirs.push(dir);
  projects.push(project);
  images.push(reference);
  return { dir, project, app };
}

async function webContainer(project: string): Promise<ContainerSummary> {
  const [web] = await runtime.containers.list({ labels: serviceFilter(project, "web") });
  if (!web) throw new Error(`no running web container in ${project}`);
  return web;
}

/** What `sh -c script` prints in the project's running web container. */
async function shIn(project: string, script: string): Promise<string> {
  const web = await webContainer(project);
  const session = await runtime.containers.exec(web.id, { command: ["sh", "-c", script] });
  let out = "";
  for await (const chunk of session.output) out += Buffer.from(chunk.data).toString("utf8");
  await session.exitCode();
  return out;
}

/** Starts `berth watch` and waits until it watches. */
async function startWatch(dir: string, args: readonly string[] = []) {
  const watch = startBerth(["--progress", "plain", "watch", ...args], { cwd: dir, timeoutMs: 50_000 });
  await eventually(async () => expect(watch.output.stdout).toContain("Watch enabled"), 30_000);
  return watch;
}

/** Ends a background berth with SIGTERM: it must exit 0. */
async function terminate(run: ReturnType<typeof startBerth>): Promise<string> {
  run.child.kill("SIGTERM");
  const result = await run.child;
  expect(result.exitCode, String(result.stderr)).toBe(0);
  return String(result.stdout);
}

describeEngine("berth watch", () => {
  beforeAll(async () => {
    ({ runtime } = await openTestEngine());
  }, 90_000);

  afterAll(async () => {
    for (const project of projects) {
      await berth(["-p", project, "down", "-t", "0"], { cwd: tmpdir() });
      expect(await leaks(runtime, project)).toEqual([]);
    }
    for (const reference of images)
      await runtime.images.remove(reference, { force: true }).catch(() => undefined);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    if (tmuxFound) await tmux("kill-server");
    await runtime.close();
  }, 60_000);

  it("watch must sync a changed file within 2 s, leave ignored ones out, delete a removed one, run a sync+exec hook", async () => {
    const { dir, project, app } = fixture(
      "sync",
      '        - { path: ./app/src, action: sync, target: /src, ignore: ["*.tmp"] }\n' +
        '        - { path: ./app/hooks, action: sync+exec, target: /hooks, exec: { command: [sh, -c, "cat /hooks/h.txt > /hooks/ran"] } }\n',
    );
    mkdirSync(path.join(app, "hooks"));
    const watch = await startWatch(dir);
    expect(watch.output.stderr).toContain("Container " + project + "-web-1  Started");

    const written = Date.now();
    writeFileSync(path.join(app, "src", "a.txt"), "two\n");
    mkdirSync(path.join(app, "src", "sub"));
    writeFileSync(path.join(app, "src", "sub", "b.txt"), "nested\n");
    writeFileSync(path.join(app, "src", "x.tmp"), "ignored by the rule\n");
    writeFileSync(path.join(app, "src", "secret.txt"), "ignored by .dockerignore\n");
    writeFileSync(path.join(app, "src", "notes.txt~"), "an editor's backup\n");
    await eventually(
      async () => expect(await shIn(project, "cat /src/a.txt /src/sub/b.txt")).toBe("two\nnested\n"),
      2_000,
    );
    expect(Date.now() - written).toBeLessThan(2_000);
    expect(watch.output.stdout).toMatch(/Syncing service "web" after \d+ changes were detected/);
    expect(await shIn(project, "ls -a /src")).not.toMatch(/x\.tmp|secret\.txt|notes\.txt~/);

    unlinkSync(path.join(app, "src", "a.txt"));
    await eventually(async () => expect(await shIn(project, "ls /src")).toBe("sub\n"), 3_000);

    writeFileSync(path.join(app, "hooks", "h.txt"), "hook ran\n");
    await eventually(async () => expect(await shIn(project, "cat /hooks/ran")).toBe("hook ran\n"), 3_000);

    const out = await terminate(watch);
    expect(out).toContain("Watch disabled");
  }, 60_000);

  it("initial_sync must copy the path at start; sync+restart must sync the file, then restart the container", async () => {
    const { dir, project, app } = fixture(
      "restart",
      "        - { path: ./app/src, action: sync+restart, target: /src, initial_sync: true, ignore: [skip.txt] }\n",
    );
    expect((await berth(["--progress", "plain", "up", "-d"], { cwd: dir })).exitCode).toBe(0);
    const before = await runtime.containers.inspect((await webContainer(project)).id);
    mkdirSync(path.join(app, "src", "deep"));
    writeFileSync(path.join(app, "src", "deep", "early.txt"), "before the watch\n");
    writeFileSync(path.join(app, "src", "skip.txt"), "ignored\n");
    expect(await shIn(project, "ls /src")).toBe("");

    const running = await startWatch(dir, ["--no-up"]);
    // Copied before "Watch enabled", the ignored file left out.
    expect(await shIn(project, "cat /src/a.txt /src/deep/early.txt; ls /src")).toBe(
      "one\nbefore the watch\na.txt\ndeep\n",
    );
    writeFileSync(path.join(app, "src", "a.txt"), "restarted\n");
    await eventually(
      async () => expect(running.output.stdout).toContain('service(s) ["web"] restarted'),
      15_000,
    );
    const after = await runtime.containers.inspect((await webContainer(project)).id);
    expect(after?.id).toBe(before?.id);
    expect(after?.startedAt?.getTime()).toBeGreaterThan(before?.startedAt?.getTime() ?? Infinity);
    expect(await shIn(project, "cat /src/a.txt")).toBe("restarted\n");
    await terminate(running);
  }, 60_000);

  it("rebuild must build the image again and recreate the container from it", async () => {
    const { dir, project, app } = fixture(
      "rebuild",
      "        - { path: ./app/version.txt, action: rebuild }\n",
    );
    const watch = await startWatch(dir);
    const before = await webContainer(project);
    expect(await shIn(project, "cat /version.txt")).toBe("v1\n");

    writeFileSync(path.join(app, "version.txt"), "v2\n");
    await eventually(async () => {
      const now = await webContainer(project);
      expect(now.id).not.toBe(before.id);
      expect(await shIn(project, "cat /version.txt")).toBe("v2\n");
    }, 30_000);
    expect(watch.output.stdout).toContain('Rebuilding service(s) ["web"] after changes were detected...');
    expect(watch.output.stdout).toContain('service(s) ["web"] successfully built');
    // --prune: the image the rebuild replaced is removed, not left dangling.
    await eventually(
      async () => expect(await runtime.images.inspect(before.imageId)).toBeUndefined(),
      10_000,
    );
    await terminate(watch);
  }, 60_000);

  it("watch and up --watch must fail with Compose's message when no service has a develop section", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "berth-e2e-watch-none-"));
    const project = `berth-e2e-watch-none-${RUN_ID}`;
    dirs.push(dir);
    projects.push(project);
    writeFileSync(
      path.join(dir, "compose.yaml"),
      `name: ${project}\nservices:\n  web:\n    image: busybox\n    labels: { ${TEST_LABEL}: "${RUN_ID}" }\n`,
    );
    const message =
      "none of the selected services is configured for watch, consider setting a 'develop' section";
    const watch = await berth(["watch", "--no-up"], { cwd: dir });
    expect(watch.exitCode).toBe(1);
    expect(watch.stderr).toContain(message);
    const up = await berth(["up", "--watch"], { cwd: dir });
    expect(up.exitCode).toBe(1);
    expect(up.stderr).toContain(message);
    // Refused before anything was made (busybox:latest cannot even be pulled here).
    expect(await leaks(runtime, project)).toEqual([]);
  });

  it("up --watch must print the containers' output and the watch's, sync, follow a rebuilt container, and stop on SIGTERM", async () => {
    const { dir, project, app } = fixture(
      "up",
      "        - { path: ./app/src, action: sync, target: /src }\n        - { path: ./app/version.txt, action: rebuild }\n",
    );
    const up = startBerth(["--progress", "plain", "up", "--watch"], { cwd: dir, timeoutMs: 50_000 });
    await eventually(async () => {
      expect(up.output.stdout).toContain(`${project}-web-1  | started v1`);
      expect(up.output.stdout).toMatch(/ ⦿ Watch enabled\n/);
    }, 30_000);

    writeFileSync(path.join(app, "src", "a.txt"), "from up\n");
    await eventually(async () => expect(await shIn(project, "cat /src/a.txt")).toBe("from up\n"), 2_000);
    expect(up.output.stdout).toMatch(/ ⦿ Syncing service "web" after 1 changes were detected\n/);

    // The recreated container's output is followed too: the up goes on attached to it.
    const before = await webContainer(project);
    writeFileSync(path.join(app, "version.txt"), "v2\n");
    await eventually(
      async () => expect(up.output.stdout).toContain(`${project}-web-1  | started v2`),
      30_000,
    );
    expect(up.child.exitCode).toBeNull();
    await eventually(
      async () => expect(await runtime.images.inspect(before.imageId)).toBeUndefined(),
      10_000,
    );

    up.child.kill("SIGTERM");
    const result = await up.child;
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(String(result.stderr)).toContain("Gracefully stopping...");
    expect(String(result.stdout)).toContain("⦿ Watch disabled");
    const [web] = await runtime.containers.list({ labels: serviceFilter(project, "web"), all: true });
    expect(web?.status).toBe("exited");
  }, 60_000);

  it("up --watch on a terminal must run the watch beside the dashboard, its lines in the events strip", async (context) => {
    requireOrSkip(context, tmuxFound, "tmux is not installed (apt-get install -y tmux)");
    const { dir, project, app } = fixture(
      "dash",
      "        - { path: ./app/src, action: sync, target: /src }\n",
    );
    const env = [
      `PATH=${process.env["PATH"] ?? "/usr/bin:/bin"}`,
      "HOME=/root",
      "TERM=xterm-256color",
      `BERTH_RUNTIME=${CLI_RUNTIME}`,
    ];
    const bin = path.join(repoRoot, "bin", "berth.js");
    await tmux(
      "new-session",
      "-d",
      "-s",
      "dash",
      "-x",
      "120",
      "-y",
      "40",
      "-c",
      dir,
      "env",
      "-i",
      ...env,
      process.execPath,
      bin,
      "up",
      "--watch",
    );
    const screen = async (): Promise<string> => (await tmux("capture-pane", "-p", "-t", "dash")).stdout;
    await eventually(async () => expect(await screen()).toMatch(/watch +Watch enabled/), 30_000);

    writeFileSync(path.join(app, "src", "a.txt"), "from the dashboard\n");
    await eventually(
      async () => expect(await shIn(project, "cat /src/a.txt")).toBe("from the dashboard\n"),
      2_000,
    );
    await eventually(
      async () =>
        expect(await screen()).toMatch(/watch +Syncing service "web" after 1 changes were detected/),
      5_000,
    );

    await tmux("send-keys", "-t", "dash", "q");
    await eventually(async () => {
      const [web] = await runtime.containers.list({ labels: serviceFilter(project, "web"), all: true });
      expect(web?.status).toBe("exited");
      expect((await tmux("has-session", "-t", "dash")).exitCode).not.toBe(0);
    }, 20_000);
  }, 60_000);
});
