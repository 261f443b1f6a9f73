/**
 * Process io of the native runtime on real runc containers: exec (pipes and TTY), attach, top,
 * stats, copy in and out, refusals while frozen. Each container is a busybox directory rootfs with
 * a minimal config.json made here, started with `runc run -d` (or through conmon for attach), and removed
 * with its runc state, cgroup directories and files after the file's tests.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import {
  chmod,
  chown,
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  readlink,
  rm,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import tar from "tar-stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cgroupDirs,
  cgroupsPath,
  controllerDir,
  cgroupVersion,
  removeCgroups,
} from "../../../src/runtime/native/containers/cgroups.js";
import { startMonitor } from "../../../src/runtime/native/containers/monitor.js";
import { createRunc, RUNC_PATH } from "../../../src/runtime/native/containers/runc.js";
import { ociSpec } from "../../../src/runtime/native/oci/spec.js";
import type {
  CgroupPaths,
  ContainerMount,
  ProcessHandle,
} from "../../../src/runtime/native/process/index.js";
import { attach, copyFrom, copyTo, exec, stats, top } from "../../../src/runtime/native/process/index.js";
import type { OutputChunk, StreamSession } from "../../../src/runtime/runtime.js";
import { RUN_ID, requireOrSkip } from "../engine.js";

const runcFound = existsSync(RUNC_PATH);
const canRun = process.getuid?.() === 0 && runcFound && existsSync("/bin/busybox");
const SKIP_REASON = "native tests need root, runc and /bin/busybox";

const APPLETS = [
  "sh",
  "cat",
  "sleep",
  "echo",
  "id",
  "tty",
  "stty",
  "pwd",
  "printf",
  "kill",
  "ls",
  "env",
  "head",
  "wc",
  "true",
  "false",
  "grep",
  "yes",
  "dd",
  "md5sum",
  "mkdir",
  "touch",
  "stat",
];
const PASSWD =
  "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
const GROUP = "root:x:0:\napp:x:1000:\nstaff:x:50:app\nnogroup:x:65534:\n";
const PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

let work = "";
let runcRoot = "";
const started: string[] = [];

async function makeRootfs(rootfs: string): Promise<void> {
  for (const dir of ["bin", "etc", "tmp", "proc", "sys", "dev", "root", "home/app", "data"]) {
    await mkdir(path.join(rootfs, dir), { recursive: true });
  }
  await chmod(path.join(rootfs, "tmp"), 0o1777);
  await writeFile(path.join(rootfs, "bin/busybox"), await readFile("/bin/busybox"), { mode: 0o755 });
  for (const applet of APPLETS) await symlink("busybox", path.join(rootfs, "bin", applet));
  await writeFile(path.join(rootfs, "etc/passwd"), PASSWD);
  await writeFile(path.join(rootfs, "etc/group"), GROUP);
}

/** The container's config.json, made by the oci part's generator as the containers module makes it. */
function config(
  rootfs: string,
  id: string,
  args: readonly string[],
  tty: boolean,
  mounts: readonly ContainerMount[] = [],
): unknown {
  return ociSpec({
    spec: {
      name: id,
      image: "busybox",
      labels: {},
      command: args,
      tty,
      hostname: "proc-test",
      networkMode: "none",
      mounts: mounts.map((m) => ({ type: "bind", source: m.source, target: m.target, readOnly: m.readOnly })),
    },
    image: { Env: [PATH_ENV] },
    rootfs,
    user: { uid: 0, gid: 0, additionalGids: [] },
    hostname: "proc-test",
    cgroupsPath: cgroupsPath(id),
    cgroupVersion: cgroupVersion(),
  });
}

function cgroupPaths(id: string): CgroupPaths {
  if (cgroupVersion() === 2) return { version: 2, dir: controllerDir(id, "") };
  const dirs: Record<string, string> = {};
  for (const controller of ["memory", "cpuacct", "cpu", "pids", "blkio", "freezer"]) {
    dirs[controller] = controllerDir(id, controller);
  }
  return { version: 1, dirs };
}

function runc(...args: string[]): { status: number; stdout: string; stderr: string } {
  const result = spawnSync(RUNC_PATH, ["--root", runcRoot, ...args], { encoding: "utf8", timeout: 30_000 });
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

interface TestContainer extends ProcessHandle {
  readonly bundle: string;
}

let serial = 0;
/** A container running `args` (PID 1), started with `runc run -d`. */
async function container(
  args: readonly string[] = ["sleep", "300"],
  mounts: readonly ContainerMount[] = [],
): Promise<TestContainer> {
  const id = `berth-pt-${RUN_ID}-${++serial}`;
  const bundle = path.join(work, id);
  const rootfs = path.join(bundle, "rootfs");
  await makeRootfs(rootfs);
  await writeFile(path.join(bundle, "config.json"), JSON.stringify(config(rootfs, id, args, false, mounts)));
  started.push(id);
  const result = spawnSync(RUNC_PATH, ["--root", runcRoot, "run", "-d", "-b", bundle, id], {
    stdio: "ignore",
    timeout: 30_000,
  });
  if (result.status !== 0) throw new Error(`runc run ${id} failed: ${runc("state", id).stderr}`);
  const state = JSON.parse(runc("state", id).stdout) as { pid: number };
  return {
    runcRoot,
    id,
    rootfs,
    cgroupPaths: cgroupPaths(id),
    pid: state.pid,
    tty: false,
    bundle,
    runc: RUNC_PATH,
    mounts,
  };
}

/** A container run by conmon (k8s-file log, attach socket, ctl FIFO), as the containers module runs one. */
async function monitored(args: readonly string[], tty: boolean): Promise<TestContainer> {
  const id = `berth-pt-${RUN_ID}-${++serial}`;
  const bundle = path.join(work, id);
  const rootfs = path.join(bundle, "rootfs");
  await makeRootfs(rootfs);
  await writeFile(path.join(bundle, "config.json"), JSON.stringify(config(rootfs, id, args, tty)));
  const socketDir = path.join(work, "s");
  await mkdir(socketDir, { recursive: true });
  const uuid = String(serial);
  const logPath = path.join(bundle, "ctr.log");
  started.push(id);
  // A variable, not a literal: the monitor's options may grow fields this test leaves to their defaults.
  const monitorOptions = {
    id,
    uuid,
    name: id,
    runcPath: RUNC_PATH,
    runcArgs: ["--root", runcRoot],
    bundle,
    pidFile: path.join(bundle, "pid"),
    logPath,
    exitDir: path.join(work, "exits"),
    socketDir,
    conmonPidFile: path.join(bundle, "conmon.pid"),
    tty,
    stdin: true,
    leaveStdinOpen: false, // half-closing an attach closes the process's stdin
  };
  const { pid } = await startMonitor(monitorOptions);
  return {
    runcRoot,
    id,
    rootfs,
    cgroupPaths: cgroupPaths(id),
    pid,
    tty,
    bundle,
    attachSocket: path.join(socketDir, uuid, "attach"),
    logPath,
    runc: RUNC_PATH,
  };
}

function startContainer(c: TestContainer): void {
  const result = runc("start", c.id);
  if (result.status !== 0) throw new Error(`runc start failed: ${result.stderr}`);
}

async function removeAll(): Promise<void> {
  for (const id of started) {
    runc("resume", id);
    runc("kill", id, "KILL");
    for (let i = 0; i < 50; i++) {
      const state = runc("state", id);
      if (state.status !== 0 || state.stdout.includes('"stopped"')) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    runc("delete", "--force", id);
    await removeCgroups(id);
  }
}

interface Drained {
  stdout: Buffer;
  stderr: Buffer;
}

async function drain(session: StreamSession, timeoutMs = 20_000): Promise<Drained> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const timer = setTimeout(() => session.close(), timeoutMs);
  try {
    for await (const chunk of session.output)
      (chunk.stream === "stdout" ? out : err).push(Buffer.from(chunk.data));
  } finally {
    clearTimeout(timer);
  }
  return { stdout: Buffer.concat(out), stderr: Buffer.concat(err) };
}

async function run(
  c: TestContainer,
  command: string[],
  extra: Partial<Parameters<typeof exec>[1]> = {},
): Promise<{ stdout: string; stderr: string; code: number }> {
  const session = await exec(c, { command, ...extra });
  const { stdout, stderr } = await drain(session);
  return { stdout: stdout.toString(), stderr: stderr.toString(), code: await session.exitCode() };
}

/** Reads a session's output until `pattern` shows in what came so far (bounded). */
async function readUntil(
  output: AsyncIterator<OutputChunk>,
  pattern: RegExp,
  seen: { text: string },
): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!pattern.test(seen.text)) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${pattern} in ${JSON.stringify(seen.text)}`);
    const next = await output.next();
    if (next.done === true) throw new Error(`output ended before ${pattern}: ${JSON.stringify(seen.text)}`);
    seen.text += Buffer.from(next.value.data).toString();
  }
}

/** The entries of a tar archive by name, with their data. */
async function entries(archive: Readable): Promise<Map<string, { header: tar.Header; data: Buffer }>> {
  const extract = tar.extract();
  archive.pipe(extract as unknown as NodeJS.WritableStream);
  const out = new Map<string, { header: tar.Header; data: Buffer }>();
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    out.set(entry.header.name, { header: entry.header, data: Buffer.concat(chunks) });
  }
  return out;
}

describe("native process io", () => {
  beforeAll(async () => {
    if (!canRun) return;
    work = await mkdtemp("/var/tmp/berth-process-");
    runcRoot = path.join(work, "runc");
  });

  afterAll(async () => {
    if (!canRun) return;
    await removeAll();
    // Nothing of the tests' containers is left: runc state, processes, cgroup directories, files.
    expect(runc("list", "-q").stdout.trim()).toBe("");
    const leftProcesses = execFileSync("ps", ["-eo", "args"], { encoding: "utf8" })
      .split("\n")
      .filter((line) => line.includes(`berth-pt-${RUN_ID}`));
    expect(leftProcesses).toEqual([]);
    for (const id of started) for (const dir of cgroupDirs(id)) expect(existsSync(dir), dir).toBe(false);
    await rm(work, { recursive: true, force: true });
    expect(existsSync(work)).toBe(false);
  }, 60_000);

  describe("exec", () => {
    it("reports exit codes 0, 1, 7 and 137 and keeps stdout and stderr apart", async (ctx) => {
      requireOrSkip(ctx, canRun, SKIP_REASON);
      const c = await container();
      expect(await run(c, ["sh", "-c", "echo o; echo e >&2"])).toEqual({
        stdout: "o\n",
        stderr: "e\n",
        code: 0,
      });
      expect((await run(c, ["false"])).code).toBe(1);
      expect((await run(c, ["sh", "-c", "exit 7"])).code).toBe(7);
      expect((await run(c, ["sh", "-c", "kill -9 $$"])).code).toBe(137);
      const missing = await run(c, ["no-such-command"]);
      expect(missing.code).toBe(127);
      expect(missing.stderr).toMatch(/no-such-command/);
    });

    it("passes stdin through and ends it on half-close; 10 MB through cat come back byte-exact", async (ctx) => {
      requireOrSkip(ctx, canRun, SKIP_REASON);
      const c = await container();
      const short = await exec(c, { command: ["cat"], stdin: true });
      short.stdin?.end("hi\n");
      expect((await drain(short)).stdout.toString()).toBe("hi\n");
      expect(await short.exitCode()).toBe(0);

      const big = Buffer.alloc(10 * 1024 * 1024);
      for (let i = 0; i < big.length; i += 4) big.writeUInt32LE((i * 2654435761) >>> 0, i);
      const session = await exec(c, { command: ["cat"], stdin: true });
      Readable.from([big.subarray(0, 3_000_001), big.subarray(3_000_001)]).pipe(session.stdin!);
      const { stdout } = await drain(session, 60_000);
      expect(stdout.length).toBe(big.length);
      expect(stdout.equals(big)).toBe(true);
      expect(await session.exitCode()).toBe(0);
    }, 90_000);

    it("runs with env, user (by number and by name) and working directory", async (ctx) => {
      requireOrSkip(ctx, canRun, SKIP_REASON);
      const c = await container();
      const numeric = await run(c, ["sh", "-c", 'echo "$FOO|$(id -u):$(id -g)|$(pwd)|$HOSTNAME"'], {
        env: { FOO: "bar baz" },
        user: "1234:5678",
        workingDir: "/tmp",
      });
      expect(numeric).toEqual({ stdout: "bar baz|1234:5678|/tmp|proc-test\n", stderr: "", code: 0 });
      const named = await run(c, ["id"], { user: "app" });
      expect(named.stdout).toBe("uid=1000(app) gid=1000(app) groups=50(staff),1000(app)\n");
      const replaced = await run(c, ["sh", "-c", "echo $HOSTNAME"], { env: { HOSTNAME: "other" } });
      expect(replaced.stdout).toBe("other\n");
    });

    it("gives a privileged exec every capability, an ordinary one the container's", async (ctx) => {
      requireOrSkip(ctx, canRun, SKIP_REASON);
      const c = await container();
      const capEff = async (privileged: boolean): Promise<bigint> => {
        const { stdout } = await run(c, ["sh", "-c", "grep CapEff /proc/self/status"], { privileged });
        return BigInt(`0x${stdout.trim().split(/\s+/)[1]}`);
      };
      expect(await capEff(false)).toBe(0xa80425fbn); // Docker's default set
      // CAP_CHOWN … CAP_AUDIT_READ, less what the host's own bounding set lacks.
      const host = /^CapBnd:\s*([0-9a-f]+)$/m.exec(await readFile("/proc/self/status", "utf8"))?.[1] ?? "0";
      expect(await capEff(true)).toBe(((1n << 38n) - 1n) & BigInt(`0x${host}`));
    });

    it("starts a detached exec and returns at once", async (ctx) => {
      requireOrSkip(ctx, canRun, SKIP_REASON);
      const c = await container();
      const began = Date.now();
      const session = await exec(c, {
        command: ["sh", "-c", "sleep 1; echo done > /tmp/detached"],
        detach: true,
      });
      expect(await session.exitCode()).toBe(0);
      expect(Date.now() - began).toBeLessThan(900);
      expect(existsSync(path.join(c.rootfs, "tmp/detached"))).toBe(false);
      for (let i = 0; i < 50 && !existsSync(path.join(c.rootfs, "tmp/detached")); i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(await readFile(path.join(c.rootfs, "tmp/detached"), "utf8")).toBe("done\n");
    });

    it("gives a TTY exec a terminal inside the container, resized with SIGWINCH", async (ctx) => {
      requireOrSkip(ctx, canRun, SKIP_REASON);
      const c = await container();
      const session = await exec(c, {
        command: [
          "sh",
          "-c",
          "trap 'echo winch' WINCH; tty; echo ready; until read go; do :; done; stty size; exit 3",
        ],
        tty: true,
        stdin: true,
      });
      const output = session.output[Symbol.asyncIterator]();
      const seen = { text: "" };
      await readUntil(output, /ready/, seen);
      expect(seen.text).toMatch(/^\/dev\/pts\/\d+\r\n/);
      await session.resize({ rows: 33, cols: 101 });
      await readUntil(output, /winch/, seen);
      session.stdin?.write("go\n");
      await readUntil(output, /33 101\r\n/, seen);
      for (let next = await output.next(); next.done !== true; next = await output.next()) {
        seen.text += Buffer.from(next.value.data).toString();
      }
      expect(await session.exitCode()).toBe(3);
    });

    it("ends a TTY exec whose command is missing with 127 and runc's reason", async (ctx) => {
      requireOrSkip(ctx, canRun, SKIP_REASON);
      const c = await container();
      const session = await exec(c, { command: ["no-such-command"], tty: true });
      const output = await drain(session);
      expect(output.stdout.toString()).toMatch(/no-such-command/);
      expect(await session.exitCode()).toBe(127);
    });

    it("refuses an exec and top in a created (never started) container, as Docker does", async (ctx) => {
      requireOrSkip(ctx, canRun, SKIP_REASON);
      // runc itself would exec into it: its init waits as runc:[2:INIT] until runc start.
      const created = await monitored(["sleep", "300"], false);
      await expect(exec(created, { command: ["true"] })).rejects.toMatchObject({ code: "CONFLICT" });
      await expect(top(created)).rejects.toMatchObject({ code: "CONFLICT" });
    });

    it("refuses an exec in a stopped container", async (ctx) => {
      requireOrSkip(ctx, canRun, SKIP_REASON);
      const c = await container(["true"]);
      for (let i = 0; i < 50 && existsSync(`/proc/${c.pid}`); i++)
        await new Promise((r) => setTimeout(r, 50));
      await expect(exec(c, { command: ["true"] })).rejects.toMatchObject({ code: "CONFLICT" });
    });
  });

  describe("top, stats, frozen", () => {
    it("lists the container's processes as ps -ef, and with other ps options", async (ctx) => {
      requireOrSkip(ctx, canRun, SKIP_REASON);
      const c = await container();
      const listed = await top(c);
      expect(listed.titles).toEqual(["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]);
      expect(listed.processes).toHaveLength(1);
      expect(listed.processes[0]?.[0]).toBe("root");
      expect(listed.processes[0]?.[1]).toBe(String(c.pid));
      expect(listed.processes[0]?.[7]).toBe("sleep 300");
      const custom = await top(c, "-o pid,comm");
      expect(custom).toEqual({ titles: ["PID", "COMMAND"], processes: [[String(c.pid), "sleep"]] });
      await expect(top(c, "-o user=PID")).rejects.toMatchObject({ code: "INVALID" });
    });

    it("gives stats from the cgroups: one sample, or a stream that ends on abort", async (ctx) => {
      requireOrSkip(ctx, canRun, SKIP_REASON);
      const c = await container(["sh", "-c", "yes > /dev/null & sleep 300"]);
      const samples = [];
      for await (const s of stats(c, { stream: false })) samples.push(s);
      expect(samples).toHaveLength(1);
      const [one] = samples;
      expect(one?.memoryUsageBytes).toBeGreaterThan(0);
      expect(one?.memoryLimitBytes).toBeGreaterThan(0);
      expect(one?.pids).toBe(2); // sh execs sleep, beside yes
      // `yes` spins: Docker's figure is near 100 % of one CPU on an idle host, less on a busy one.
      expect(one?.cpuPercent).toBeGreaterThan(5);
      expect(one?.cpuPercent).toBeLessThan(250);
      expect(one?.networkRxBytes).toBe(0);

      const controller = new AbortController();
      let streamed = 0;
      const began = Date.now();
      for await (const _ of stats(c, { stream: true, signal: controller.signal, intervalMs: 200 })) {
        if (++streamed === 2) controller.abort();
      }
      expect(streamed).toBe(2);
      expect(Date.now() - began).toBeLessThan(5_000);
    });

    it("refuses exec and attach while the container is frozen, and runs again once thawed", async (ctx) => {
      requireOrSkip(ctx, canRun, SKIP_REASON);
      const c = await container();
      // Pause itself (its records, events and refusals) is the containers part's; here runc freezes.
      const runc = createRunc(c.runcRoot, c.runc ?? RUNC_PATH);
      await runc.pause(c.id);
      const state = (await readFile(`/proc/${c.pid}/status`, "utf8")).match(/^State:\s+(\S)/m)?.[1];
      expect(state).toBe("D"); // frozen by the freezer
      await expect(exec(c, { command: ["true"] })).rejects.toMatchObject({ code: "CONFLICT" });
      await expect(attach({ ...c, logPath: path.join(c.bundle, "none.log") })).rejects.toMatchObject({
        code: "CONFLICT",
      });
      await runc.resume(c.id);
      expect((await run(c, ["echo", "back"])).stdout).toBe("back\n");
    });
  });

  describe("copy", () => {
    it("copies a directory out and back in byte-exact, with modes, owners, symlinks and hard links", async (ctx) => {
      requireOrSkip(ctx, canRun, SKIP_REASON);
      const c = await container();
      const tree = path.join(c.rootfs, "data/tree");
      await mkdir(path.join(tree, "sub"), { recursive: true });
      const binary = Buffer.alloc(300_000);
      for (let i = 0; i < binary.length; i++) binary[i] = (i * 7919) % 256;
      await writeFile(path.join(tree, "sub/blob.bin"), binary, { mode: 0o640 });
      await chown(path.join(tree, "sub/blob.bin"), 1000, 50);
      await chmod(path.join(tree, "sub/blob.bin"), 0o4750); // after chown, which clears set-id bits
      await chown(path.join(tree, "sub"), 1000, 1000);
      await chmod(path.join(tree, "sub"), 0o750);
      await symlink("sub/blob.bin", path.join(tree, "link"));
      await symlink("/etc/passwd", path.join(tree, "abs-link"));
      const { link } = await import("node:fs/promises");
      await link(path.join(tree, "sub/blob.bin"), path.join(tree, "hard"));

      const out = await entries(await copyFrom(c, "/data/tree"));
      expect([...out.keys()].sort()).toEqual([
        "tree/",
        "tree/abs-link",
        "tree/hard",
        "tree/link",
        "tree/sub/",
        "tree/sub/blob.bin",
      ]);
      // Walked in name order, the first name of the two links carries the data (`hard`), as Docker's.
      const blob = out.get("tree/hard");
      expect(blob?.data.equals(binary)).toBe(true);
      expect(blob?.header.mode).toBe(0o4750);
      expect([blob?.header.uid, blob?.header.gid]).toEqual([1000, 50]);
      expect(out.get("tree/link")?.header).toMatchObject({ type: "symlink", linkname: "sub/blob.bin" });
      expect(out.get("tree/sub/blob.bin")?.header).toMatchObject({ type: "link", linkname: "tree/hard" });
      expect(out.get("tree/sub/")?.header).toMatchObject({
        type: "directory",
        mode: 0o750,
        uid: 1000,
        gid: 1000,
      });

      // The same archive into another container's /tmp: the same tree comes out of it, and a process reads it.
      const other = await container();
      await copyTo(other, "/tmp", await copyFrom(c, "/data/tree"));
      const copied = path.join(other.rootfs, "tmp/tree");
      const info = await stat(path.join(copied, "sub/blob.bin"));
      expect(info.mode & 0o7777).toBe(0o4750);
      expect([info.uid, info.gid]).toEqual([1000, 50]);
      expect(info.nlink).toBe(2);
      expect(await readlink(path.join(copied, "link"))).toBe("sub/blob.bin");
      expect(await readlink(path.join(copied, "abs-link"))).toBe("/etc/passwd");
      expect((await lstat(path.join(copied, "sub"))).mode & 0o7777).toBe(0o750);
      const back = await entries(await copyFrom(other, "/tmp/tree"));
      expect(back.get("tree/hard")?.data.equals(binary)).toBe(true);
      const md5 = await run(other, ["md5sum", "/tmp/tree/sub/blob.bin"]);
      expect(md5.stdout.split(" ")[0]).toBe(
        (await import("node:crypto")).createHash("md5").update(binary).digest("hex"),
      );

      // `dir/.` gives the directory's contents: `./` then the children by their own names, as moby's
      // TarResourceRebase(".", ".") names them.
      const contents = await entries(await copyFrom(c, "/data/tree/."));
      expect([...contents.keys()].sort()).toEqual(["./", "abs-link", "hard", "link", "sub/", "sub/blob.bin"]);
      // A single file comes out under its own name; a missing path is NotFound.
      const single = await entries(await copyFrom(c, "/data/tree/sub/blob.bin"));
      expect([...single.keys()]).toEqual(["blob.bin"]);
      expect(single.get("blob.bin")?.data.equals(binary)).toBe(true);
      await expect(copyFrom(c, "/data/absent")).rejects.toMatchObject({ code: "NOT_FOUND" });
      await expect(copyTo(c, "/data/absent", Readable.from([]))).rejects.toMatchObject({ code: "NOT_FOUND" });
    });

    it("never follows a symlink out of the rootfs, in either direction", async (ctx) => {
      requireOrSkip(ctx, canRun, SKIP_REASON);
      const c = await container();
      const outside = await mkdtemp(path.join(work, "outside-"));
      await writeFile(path.join(outside, "secret"), "host secret\n");
      await symlink(outside, path.join(c.rootfs, "data/escape"));
      await symlink("../../../../../../..", path.join(c.rootfs, "data/up"));

      // Read through the links: they resolve inside the rootfs, where there is no such file.
      await expect(copyFrom(c, "/data/escape/secret")).rejects.toMatchObject({ code: "NOT_FOUND" });
      const passwd = await entries(await copyFrom(c, "/data/up/etc/passwd"));
      expect(passwd.get("passwd")?.data.toString()).toBe(PASSWD);

      // Write through them: the files land inside the rootfs, never in the host directory.
      const pack = tar.pack();
      pack.entry({ name: "escape/secret", mode: 0o644 }, "written\n");
      pack.entry({ name: "up/tmp/x", mode: 0o644 }, "x\n");
      pack.entry({ name: "../../climb", mode: 0o644 }, "climb\n");
      pack.finalize();
      await copyTo(c, "/data", Readable.from(pack));
      expect(await readFile(path.join(outside, "secret"), "utf8")).toBe("host secret\n");
      expect(await readFile(path.join(c.rootfs, path.relative("/", outside), "secret"), "utf8")).toBe(
        "written\n",
      );
      expect(await readFile(path.join(c.rootfs, "tmp/x"), "utf8")).toBe("x\n");
      expect(await readFile(path.join(c.rootfs, "data/climb"), "utf8")).toBe("climb\n");
      expect(existsSync(path.join(work, "climb"))).toBe(false);
    });
  });

  describe("copy across mounts", () => {
    it("reads and writes a bind mount at its source; refuses a read-only mount and a read-only rootfs", async (ctx) => {
      requireOrSkip(ctx, canRun, SKIP_REASON);
      const bound = await mkdtemp(path.join(work, "bound-"));
      const frozen = await mkdtemp(path.join(work, "frozen-"));
      await writeFile(path.join(bound, "from-host"), "host side\n");
      const c = await container(
        ["sleep", "300"],
        [
          { source: bound, target: "/mnt/bound", readOnly: false },
          { source: frozen, target: "/mnt/frozen", readOnly: true },
        ],
      );
      const pack = tar.pack();
      pack.entry({ name: "copied", mode: 0o600 }, "into the mount\n");
      pack.finalize();
      await copyTo(c, "/mnt/bound", Readable.from(pack));
      expect(await readFile(path.join(bound, "copied"), "utf8")).toBe("into the mount\n");
      expect((await run(c, ["cat", "/mnt/bound/copied"])).stdout).toBe("into the mount\n");

      const out = await entries(await copyFrom(c, "/mnt"));
      expect(out.get("mnt/bound/from-host")?.data.toString()).toBe("host side\n");
      expect(out.get("mnt/bound/copied")?.data.toString()).toBe("into the mount\n");

      await expect(copyTo(c, "/mnt/frozen", Readable.from([]))).rejects.toMatchObject({ code: "CONFLICT" });
      await expect(copyTo({ ...c, readOnlyRootfs: true }, "/tmp", Readable.from([]))).rejects.toMatchObject({
        code: "CONFLICT",
      });
    });
  });

  describe("attach", () => {
    it("gives the main process's output from its log, replays it with logs, and passes stdin", async (ctx) => {
      requireOrSkip(ctx, canRun, SKIP_REASON);
      const c = await monitored(
        ["sh", "-c", "echo early; read line; echo got:$line; echo err:$line >&2; printf tail"],
        false,
      );
      const before = await attach(c, { stdin: true });
      startContainer(c);
      const seen = { text: "" };
      const iterator = before.output[Symbol.asyncIterator]();
      await readUntil(iterator, /early\n/, seen);
      const replay = await attach(c, { logs: true });
      before.stdin?.write("hello\n");
      const rest = await drain({ ...before, output: { [Symbol.asyncIterator]: () => iterator } });
      expect(seen.text + rest.stdout.toString()).toBe("early\ngot:hello\ntail");
      expect(rest.stderr.toString()).toBe("err:hello\n");
      const replayed = await drain(replay);
      expect(replayed.stdout.toString()).toBe("early\ngot:hello\ntail");
      expect(replayed.stderr.toString()).toBe("err:hello\n");
    });

    it("closes the process's stdin when the attach half-closes", async (ctx) => {
      requireOrSkip(ctx, canRun, SKIP_REASON);
      const c = await monitored(["cat"], false);
      const session = await attach(c, { stdin: true });
      startContainer(c);
      session.stdin?.end("through cat\n");
      const output = await drain(session);
      expect(output.stdout.toString()).toBe("through cat\n");
    });

    it("resizes a TTY container through conmon's ctl", async (ctx) => {
      requireOrSkip(ctx, canRun, SKIP_REASON);
      // conmon reads its ctl FIFO and the TTY's input in one loop without an answer, so a resize
      // written before a line may be applied after the shell read it: the shell asks again per line
      // until it sees the new size (bounded), and ends as soon as it does.
      const script =
        'while read go; do s=$(stty size); echo "size $s"; [ "$s" = "40 120" ] && exit 0; done; exit 3';
      const c = await monitored(["sh", "-c", script], true);
      const session = await attach(c, { stdin: true });
      startContainer(c);
      await session.resize({ rows: 40, cols: 120 });
      const drained = drain(session, 10_000);
      let done = false;
      void drained.finally(() => (done = true));
      for (let i = 0; i < 50 && !done; i++) {
        session.stdin?.write("go\n");
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const output = await drained;
      expect(output.stderr.toString()).toBe("");
      expect(output.stdout.toString()).toMatch(/\bsize 40 120\r?\n/);
    });
  });
});
