/**
 * runc 1.1.5 must accept the config.json ociSpec writes and enforce it: a busybox rootfs (a plain
 * directory, no overlay) run with `runc run` in the foreground sees its hostname and its uid/gid,
 * cannot chown with CHOWN dropped, cannot write a read-only root, reads /proc/kcore masked, runs
 * under the init, and lives in a cgroup with its memory and pids limits. A control run without the
 * restrictions shows each check can fail. Afterwards nothing is left: no runc state, no cgroup
 * directory (runc leaves the parent in every hierarchy), no mount, no process, no temp dir.
 */
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  rmdirSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cgroupHost } from "../../../src/runtime/native/oci/cgroups.js";
import { ociSpec, ociSpecText, type OciSpecInput } from "../../../src/runtime/native/oci/spec.js";
import { hostDevices, resolveDevices } from "../../../src/runtime/native/oci/devices.js";
import { resolveUser } from "../../../src/runtime/native/oci/user.js";
import type { ContainerSpec } from "../../../src/runtime/runtime.js";
import { requireOrSkip } from "../engine.js";
import { BUSYBOX_PATH } from "../images.js";

const runcFound = existsSync("/usr/sbin/runc") || existsSync("/usr/bin/runc");
const native = process.getuid?.() === 0 && runcFound;
const INIT = ["/usr/bin/catatonit", "/usr/bin/tini-static"].find((p) => existsSync(p));
const CGROUP_ROOT = "/sys/fs/cgroup";
const HOST = cgroupHost(CGROUP_ROOT);
const CGROUP_V2 = HOST.cgroupVersion === 2;
const RUN_TIMEOUT_MS = 20_000;
/** A device none of Docker's or runc's default rules allows; only read from, never written. */
const LOOP = "/dev/loop7";
/**
 * A file Docker masks that this kernel has: /proc/kcore where it exists (this VM's kernel has none),
 * else /proc/keys or /proc/timer_list. Masked, it reads empty.
 */
const MASKED_PROBE =
  ["/proc/kcore", "/proc/keys", "/proc/timer_list"].find((p) => existsSync(p)) ?? "/proc/kcore";

const APPLETS = ["sh", "echo", "cat", "id", "hostname", "touch", "chown", "wc", "grep", "true", "head"];
const PASSWD = "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n";
const GROUP = "root:x:0:\nwheel:x:10:app\nstaff:x:50:app\napp:x:1000:\n";

/** What each run prints, one `key=value` per line. */
const PROBE = [
  'echo "hostname=$(hostname)"',
  'echo "id=$(id -u):$(id -g):$(id -G)"',
  "touch /tmp/f 2>/dev/null && chown 1:1 /tmp/f 2>/dev/null && echo chown=ok || echo chown=denied",
  "touch /rootfile 2>/dev/null && echo root=writable || echo root=readonly",
  `echo "masked=$(cat ${MASKED_PROBE} 2>/dev/null | wc -c)"`,
  'echo "pid1=$(cat /proc/1/comm)"',
  CGROUP_V2
    ? 'echo "memory=$(cat /sys/fs/cgroup/memory.max)"'
    : 'echo "memory=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)"',
  CGROUP_V2
    ? 'echo "pids=$(cat /sys/fs/cgroup/pids.max)"'
    : 'echo "pids=$(cat /sys/fs/cgroup/pids/pids.max)"',
  // Swap: memory+swap on v1, swap alone on v2.
  CGROUP_V2
    ? 'echo "swap=$(cat /sys/fs/cgroup/memory.swap.max 2>/dev/null)"'
    : 'echo "swap=$(cat /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes 2>/dev/null)"',
  // devices: a loop device mapped without `r` cannot be opened for reading (the device cgroup rule).
  "head -c 1 /dev/myloop >/dev/null 2>&1 && echo device.read=ok || echo device.read=denied",
].join("\n");

function parseProbe(stdout: string): Record<string, string> {
  return Object.fromEntries(
    stdout
      .split("\n")
      .filter((line) => line.includes("="))
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );
}

describe("config.json from ociSpec under runc", () => {
  const runId = randomBytes(4).toString("hex");
  /** The cgroup parent of every container here: `/sys/fs/cgroup/<hierarchy>/<parent>/<id>`. */
  const cgroupParent = `berth-test-oci-${runId}`;
  let base = "";
  let rootfs = "";
  let runcRoot = "";
  const ids: string[] = [];

  beforeAll(() => {
    if (!native) return;
    base = mkdtempSync("/var/tmp/berth-oci-runc-test-");
    rootfs = path.join(base, "rootfs");
    runcRoot = path.join(base, "runc");
    for (const dir of ["bin", "etc", "tmp", "proc", "sys", "dev"])
      mkdirSync(path.join(rootfs, dir), { recursive: true });
    // As in an image: runc gives a tmpfs the mode of the directory it covers.
    chmodSync(path.join(rootfs, "tmp"), 0o1777);
    copyFileSync(BUSYBOX_PATH, path.join(rootfs, "bin/busybox"));
    for (const applet of APPLETS) symlinkSync("busybox", path.join(rootfs, "bin", applet));
    writeFileSync(path.join(rootfs, "etc/passwd"), PASSWD);
    writeFileSync(path.join(rootfs, "etc/group"), GROUP);
  });

  /** Every cgroup directory of this file's parent, in each hierarchy (v1) or the one tree (v2). */
  function cgroupDirs(): string[] {
    const hierarchies = CGROUP_V2
      ? [CGROUP_ROOT]
      : readdirSync(CGROUP_ROOT)
          .map((name) => path.join(CGROUP_ROOT, name))
          .filter((dir) => lstatSync(dir).isDirectory());
    return hierarchies.map((h) => path.join(h, cgroupParent)).filter((dir) => existsSync(dir));
  }

  afterAll(async () => {
    if (!native || base === "") return;
    // runc run deletes its container on exit; a run cut short by the timeout may have left one.
    for (const id of ids) {
      await execa("runc", ["--root", runcRoot, "delete", "--force", id], { reject: false, timeout: 10_000 });
    }
    const left = await execa("runc", ["--root", runcRoot, "list", "-q"], { reject: false, timeout: 10_000 });
    // runc leaves the parent directory (and the leaf of a container it did not delete): rmdir, innermost first.
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

  function rmdirIfThere(dir: string): void {
    try {
      rmdirSync(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }

  /** Writes the bundle for `spec` and runs it in the foreground; its stdout, parsed. */
  async function run(
    spec: Partial<ContainerSpec>,
    extra: Partial<OciSpecInput> = {},
  ): Promise<Record<string, string>> {
    const id = `berth-test-oci-${runId}-${ids.length}`;
    ids.push(id);
    const bundle = path.join(base, id);
    mkdirSync(bundle);
    const hostname = spec.hostname ?? id.slice(0, 12);
    writeFileSync(path.join(bundle, "hosts"), `127.0.0.1\tlocalhost\n127.0.0.1\t${hostname}\n`);
    writeFileSync(path.join(bundle, "resolv.conf"), "nameserver 127.0.0.1\n");
    writeFileSync(path.join(bundle, "hostname"), `${hostname}\n`);
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
      user: await resolveUser(full.user, rootfs, full.groupAdd),
      devices: await resolveDevices(full.devices ?? []),
      hostname,
      hostsPath: path.join(bundle, "hosts"),
      resolvPath: path.join(bundle, "resolv.conf"),
      hostnamePath: path.join(bundle, "hostname"),
      initPath: INIT,
      cgroupsPath: `/${cgroupParent}/${id}`,
      ...HOST,
      ...extra,
    });
    writeFileSync(path.join(bundle, "config.json"), ociSpecText(config));
    const result = await execa("runc", ["--root", runcRoot, "run", "--bundle", bundle, id], {
      reject: false,
      stdin: "ignore",
      timeout: RUN_TIMEOUT_MS,
    });
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    return parseProbe(result.stdout);
  }

  it("enforces hostname, dropped CHOWN, read-only root, a masked /proc file, init and cgroup limits", async (ctx) => {
    requireOrSkip(ctx, native, "native tests need root and runc");
    const seen = await run({
      hostname: "berth-oci",
      capDrop: ["CHOWN"],
      devices: [{ source: LOOP, target: "/dev/myloop", permissions: "w" }],
      readOnlyRootfs: true,
      init: true,
      resources: { memoryBytes: 64 * 2 ** 20, pidsLimit: 50 },
    });
    expect(seen).toEqual({
      hostname: "berth-oci",
      id: "0:0:0",
      chown: "denied",
      root: "readonly",
      masked: "0",
      pid1: path.basename("/sbin/docker-init"),
      memory: String(64 * 2 ** 20),
      pids: "50",
      // Docker's default: swap as large as the memory limit again, where swap can be limited.
      swap: HOST.memswAvailable ? String((CGROUP_V2 ? 64 : 128) * 2 ** 20) : "",
      "device.read": "denied",
    });
  });

  it("without those options the same checks come out the other way (the control)", async (ctx) => {
    requireOrSkip(ctx, native, "native tests need root and runc");
    const seen = await run({
      hostname: "berth-control",
      devices: [{ source: LOOP, target: "/dev/myloop", permissions: "r" }],
    });
    expect(seen).toMatchObject({
      hostname: "berth-control",
      chown: "ok",
      root: "writable",
      pid1: "sh",
      pids: "max",
      "device.read": "ok",
    });
    // Docker masks these paths for every unprivileged container, so it reads empty here too; the
    // host's copy is not empty, so the empty read above is the mask's doing.
    expect(seen["masked"]).toBe("0");
    expect(readFileSync(MASKED_PROBE).length).toBeGreaterThan(0);
  });

  it("runs as the user resolved from the image's passwd and group, with supplementary groups and group_add", async (ctx) => {
    requireOrSkip(ctx, native, "native tests need root and runc");
    const seen = await run({ user: "app", groupAdd: ["root"] });
    // The kernel lists supplementary groups sorted.
    expect(seen["id"]).toBe("1000:1000:1000 0 10 50");
    // Not root and no write access to the rootfs directory (owned by root).
    expect(seen["root"]).toBe("readonly");
  });

  it("reads device nodes as runc would: a mapped node, a symlink to one, and the host's /dev for privileged", async (ctx) => {
    requireOrSkip(ctx, native, "native tests need root and runc");
    const link = path.join(base, "null-link");
    symlinkSync("/dev/null", link);
    expect(await resolveDevices([{ source: link, target: "/dev/n", permissions: "rwm" }])).toEqual([
      { path: "/dev/n", type: "c", major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0, permissions: "rwm" },
    ]);
    await expect(
      resolveDevices([{ source: path.join(base, "rootfs/etc/passwd"), target: "/x", permissions: "r" }]),
    ).rejects.toThrow("not a device node");
    const all = await hostDevices();
    expect(all.find((d) => d.path === "/dev/zero")).toMatchObject({ type: "c", major: 1, minor: 5 });
    expect(all.filter((d) => d.path.startsWith("/dev/pts/") || d.path === "/dev/console")).toEqual([]);
  });
});
