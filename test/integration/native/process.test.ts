/**
 * Process io of the native runtime on real runc containers: exec (pipes and TTY), attach, top,
 * stats, copy in and out, pause. Each container is a busybox directory rootfs with a minimal
 * config.json made here, started with `runc run -d` (or through conmon for attach), and removed
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
import { RUNC_PATH } from "../../../src/runtime/native/containers/runc.js";
import { DEFAULT_CAPABILITIES } from "../../../src/runtime/native/oci/capabilities.js";
import type { CgroupPaths, ProcessHandle } from "../../../src/runtime/native/process/handle.js";
import { exec } from "../../../src/runtime/native/process/index.js";
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

function config(rootfs: string, id: string, args: readonly string[], tty: boolean): unknown {
  const caps = [...DEFAULT_CAPABILITIES];
  return {
    ociVersion: "1.0.2-dev",
    process: {
      terminal: tty,
      user: { uid: 0, gid: 0 },
      args,
      env: [PATH_ENV, "HOSTNAME=proc-test"],
      cwd: "/",
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      rlimits: [{ type: "RLIMIT_NOFILE", hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: rootfs, readonly: false },
    hostname: "proc-test",
    mounts: [
      { destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"] },
      {
        destination: "/dev",
        type: "tmpfs",
        source: "tmpfs",
        options: ["nosuid", "strictatime", "mode=755", "size=65536k"],
      },
      {
        destination: "/dev/pts",
        type: "devpts",
        source: "devpts",
        options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
      },
      {
        destination: "/dev/shm",
        type: "tmpfs",
        source: "shm",
        options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
      },
      { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] },
    ],
    linux: {
      namespaces: [{ type: "pid" }, { type: "ipc" }, { type: "uts" }, { type: "mount" }, { type: "network" }],
      cgroupsPath: cgroupsPath(id),
      maskedPaths: ["/proc/kcore", "/proc/keys"],
      readonlyPaths: ["/proc/sys", "/proc/sysrq-trigger"],
    },
  };
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
async function container(args: readonly string[] = ["sleep", "300"]): Promise<TestContainer> {
  const id = `berth-pt-${RUN_ID}-${++serial}`;
  const bundle = path.join(work, id);
  const rootfs = path.join(bundle, "rootfs");
  await makeRootfs(rootfs);
  await writeFile(path.join(bundle, "config.json"), JSON.stringify(config(rootfs, id, args, false)));
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
  const { pid } = await startMonitor({
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
  });
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
        command: ["sh", "-c", "trap 'echo winch' WINCH; tty; echo ready; read go; stty size; exit 3"],
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

    it("refuses an exec in a stopped container", async (ctx) => {
      requireOrSkip(ctx, canRun, SKIP_REASON);
      const c = await container(["true"]);
      for (let i = 0; i < 50 && existsSync(`/proc/${c.pid}`); i++)
        await new Promise((r) => setTimeout(r, 50));
      await expect(exec(c, { command: ["true"] })).rejects.toMatchObject({ code: "CONFLICT" });
    });
  });
});

// Used by the cases of the next parts (attach, copy).
void [chown, lstat, readlink, stat, tar, monitored, startContainer];
