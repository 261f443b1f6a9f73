/**
 * runc 1.1.5 must load the seccomp profile ociSpec writes and the kernel enforce it, as under
 * dockerd: a container runs in seccomp filter mode (`Seccomp: 2` in /proc/self/status) and a
 * syscall Docker's default profile forbids (unshare of a user namespace, which needs no capability)
 * fails with EPERM; with `seccomp=unconfined` or `privileged` there is no filter and the same call
 * works; CAP_SYS_ADMIN opens unshare (Docker's capability-conditioned rule); a profile file named by
 * `seccomp=<path>` is read and enforced, also through the native container lifecycle. Each bundle is a busybox rootfs directory run with
 * `runc run` in the foreground. Afterwards nothing is left: no runc state, cgroup, mount, process or
 * temp dir.
 */
import { randomBytes } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cgroupHost } from "../../../src/runtime/native/oci/cgroups.js";
import { hostCapabilities } from "../../../src/runtime/native/oci/host-capabilities.js";
import { readSeccompProfile } from "../../../src/runtime/native/oci/seccomp-file.js";
import { ociSpec, ociSpecText } from "../../../src/runtime/native/oci/spec.js";
import type { ContainerSpec } from "../../../src/runtime/runtime.js";
import type { NativeContainers } from "../../../src/runtime/native/containers/containers.js";
import { requireOrSkip } from "../engine.js";
import { BUSYBOX_PATH } from "../images.js";
import {
  closeNativeEnv,
  nativeReady,
  NOT_READY,
  openNativeEnv,
  TEST_IMAGE,
  type NativeEnv,
} from "./containers-harness.js";

const runcFound = existsSync("/usr/sbin/runc") || existsSync("/usr/bin/runc");
const native = process.getuid?.() === 0 && runcFound;
const CGROUP_ROOT = "/sys/fs/cgroup";
const HOST = cgroupHost(CGROUP_ROOT);
const RUN_TIMEOUT_MS = 20_000;
const APPLETS = ["sh", "echo", "grep", "unshare", "mkdir", "true"];

/** One `key=value` per line: the seccomp mode, and whether each call went through (its error if not). */
const PROBE = [
  'echo "mode=$(grep "^Seccomp:" /proc/self/status | grep -o "[0-9]*")"',
  'echo "userns=$(unshare -U true 2>&1 && echo ok)"',
  'echo "mountns=$(unshare -m true 2>&1 && echo ok)"',
  'echo "mkdir=$(mkdir /tmp/d 2>&1 && echo ok)"',
].join("\n");

describe("seccomp under runc", () => {
  const runId = randomBytes(4).toString("hex");
  const cgroupParent = `berth-test-seccomp-${runId}`;
  let base = "";
  let rootfs = "";
  let runcRoot = "";
  const ids: string[] = [];

  beforeAll(() => {
    if (!native) return;
    base = mkdtempSync("/var/tmp/berth-seccomp-test-");
    rootfs = path.join(base, "rootfs");
    runcRoot = path.join(base, "runc");
    for (const dir of ["bin", "tmp", "proc", "sys", "dev", "etc"])
      mkdirSync(path.join(rootfs, dir), { recursive: true });
    copyFileSync(BUSYBOX_PATH, path.join(rootfs, "bin/busybox"));
    for (const applet of APPLETS) symlinkSync("busybox", path.join(rootfs, "bin", applet));
  });

  function cgroupDirs(): string[] {
    const hierarchies =
      HOST.cgroupVersion === 2
        ? [CGROUP_ROOT]
        : readdirSync(CGROUP_ROOT)
            .map((name) => path.join(CGROUP_ROOT, name))
            .filter((dir) => lstatSync(dir).isDirectory());
    return hierarchies.map((h) => path.join(h, cgroupParent)).filter((dir) => existsSync(dir));
  }

  function rmdirIfThere(dir: string): void {
    try {
      rmdirSync(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }

  afterAll(async () => {
    if (!native || base === "") return;
    for (const id of ids) {
      await execa("runc", ["--root", runcRoot, "delete", "--force", id], { reject: false, timeout: 10_000 });
    }
    const left = await execa("runc", ["--root", runcRoot, "list", "-q"], { reject: false, timeout: 10_000 });
    for (const dir of cgroupDirs()) {
      for (const id of ids) rmdirIfThere(path.join(dir, id));
      rmdirIfThere(dir);
    }
    const mounts = readFileSync("/proc/mounts", "utf8")
      .split("\n")
      .filter((line) => line.split(" ")[1]?.startsWith(base));
    const processes = (await execa("ps", ["-eo", "args"], { reject: false })).stdout
      .split("\n")
      .filter((line) => line.includes(runId));
    rmSync(base, { recursive: true, force: true });
    expect(left.stdout.trim()).toBe("");
    expect(cgroupDirs()).toEqual([]);
    expect(mounts).toEqual([]);
    expect(processes).toEqual([]);
    expect(existsSync(base)).toBe(false);
  });

  async function run(spec: Partial<ContainerSpec>): Promise<Record<string, string>> {
    const id = `berth-test-seccomp-${runId}-${ids.length}`;
    ids.push(id);
    const bundle = path.join(base, id);
    mkdirSync(bundle);
    const full: ContainerSpec = {
      name: id,
      image: "berth-test/busybox",
      labels: {},
      entrypoint: ["/bin/sh", "-c"],
      command: [PROBE],
      networkMode: "none",
      tmpfs: { "/tmp": "size=1m" },
      ...spec,
    };
    const config = ociSpec({
      spec: full,
      image: { env: ["PATH=/bin"], cmd: ["/bin/sh"] },
      rootfs,
      user: { uid: 0, gid: 0, additionalGids: [0] },
      hostname: "seccomp",
      cgroupsPath: `/${cgroupParent}/${id}`,
      boundingCapabilities: hostCapabilities(),
      seccompProfile: await readSeccompProfile(full.securityOpt),
      ...HOST,
    });
    writeFileSync(path.join(bundle, "config.json"), ociSpecText(config));
    const result = await execa("runc", ["--root", runcRoot, "run", "--bundle", bundle, id], {
      reject: false,
      stdin: "ignore",
      timeout: RUN_TIMEOUT_MS,
    });
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    return Object.fromEntries(
      result.stdout
        .split("\n")
        .filter((line) => line.includes("="))
        .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
    );
  }

  it("filters with Docker's default profile: unshare of a user namespace fails with EPERM", async (ctx) => {
    requireOrSkip(ctx, native, "native tests need root and runc");
    const seen = await run({});
    expect(seen["mode"]).toBe("2");
    expect(seen["userns"]).toMatch(/Operation not permitted/);
    expect(seen["mountns"]).toMatch(/Operation not permitted/);
    expect(seen["mkdir"]).toBe("ok");
  });

  it("with seccomp=unconfined there is no filter and the same unshare works (the control)", async (ctx) => {
    requireOrSkip(ctx, native, "native tests need root and runc");
    const seen = await run({ securityOpt: ["seccomp=unconfined"] });
    expect(seen["mode"]).toBe("0");
    expect(seen["userns"]).toBe("ok");
    // Still refused: a mount namespace needs CAP_SYS_ADMIN, which the container lacks.
    expect(seen["mountns"]).toMatch(/Operation not permitted/);
  });

  it("with CAP_SYS_ADMIN the profile allows unshare, as Docker's capability rule does", async (ctx) => {
    requireOrSkip(ctx, native, "native tests need root and runc");
    const seen = await run({ capAdd: ["SYS_ADMIN"] });
    expect(seen["mode"]).toBe("2");
    expect(seen["mountns"]).toBe("ok");
    expect(seen["userns"]).toBe("ok");
  });

  it("a privileged container has no filter", async (ctx) => {
    requireOrSkip(ctx, native, "native tests need root and runc");
    const seen = await run({ privileged: true });
    expect(seen["mode"]).toBe("0");
    expect(seen["userns"]).toBe("ok");
  });

  it("enforces the profile a seccomp=<path> option names", async (ctx) => {
    requireOrSkip(ctx, native, "native tests need root and runc");
    const profile = path.join(base, "no-mkdir.json");
    writeFileSync(
      profile,
      JSON.stringify({
        defaultAction: "SCMP_ACT_ALLOW",
        syscalls: [{ names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 13 }],
      }),
    );
    const seen = await run({ securityOpt: [`seccomp=${profile}`] });
    expect(seen["mode"]).toBe("2");
    expect(seen["mkdir"]).toMatch(/Permission denied/);
    expect(seen["userns"]).toBe("ok");
  });
});

describe("seccomp through the native container lifecycle", () => {
  let env: NativeEnv | undefined;
  let containers: NativeContainers;
  const made: string[] = [];

  beforeAll(async () => {
    if (nativeReady) {
      env = await openNativeEnv();
      containers = env.containers();
    }
  }, 30_000);

  afterAll(async () => {
    if (env) expect(await closeNativeEnv(env, containers, made), "traces left after the tests").toEqual([]);
  }, 30_000);

  /** The container's output, one line each, after it exited 0. */
  async function output(spec: Partial<ContainerSpec> & { name: string }): Promise<string[]> {
    const { id } = await containers.create({
      image: TEST_IMAGE,
      labels: { "berth.test": "native" },
      networkMode: "none",
      command: ["sh", "-c", PROBE],
      ...spec,
    });
    made.push(id);
    await containers.start(id);
    expect(await containers.wait(id)).toEqual({ exitCode: 0 });
    const lines: string[] = [];
    for await (const line of containers.logs(id, { signal: AbortSignal.timeout(10_000) }))
      lines.push(line.line);
    return lines;
  }

  it("gives a container Docker's default profile and reads the file seccomp=<path> names", async (ctx) => {
    requireOrSkip(ctx, nativeReady, NOT_READY);
    expect(await output({ name: "berth-seccomp-default" })).toEqual(
      expect.arrayContaining(["mode=2", expect.stringMatching(/^userns=.*Operation not permitted/)]),
    );
    const profile = path.join(env?.dir ?? "", "no-mkdir.json");
    writeFileSync(
      profile,
      JSON.stringify({
        defaultAction: "SCMP_ACT_ALLOW",
        syscalls: [{ names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 13 }],
      }),
    );
    expect(await output({ name: "berth-seccomp-file", securityOpt: [`seccomp=${profile}`] })).toEqual(
      expect.arrayContaining(["mode=2", "userns=ok", expect.stringMatching(/^mkdir=.*Permission denied/)]),
    );
  });
});
