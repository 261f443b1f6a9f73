/**
 * What the native container tests share: a temporary BERTH_ROOT/BERTH_RUN_ROOT in /var/tmp, the
 * busybox test image imported into the native image store, the container lifecycle wired to it, and
 * the checks that nothing of a container is left (mounts, processes, cgroups, files).
 *
 * The config.json here is a minimal one of the tests' own (Docker's default mounts, namespaces and
 * capabilities, no resources), so the lifecycle is tested apart from the oci part's generator.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { cgroupDirs } from "../../../src/runtime/native/containers/cgroups.js";
import {
  createNativeContainers,
  type NativeContainers,
} from "../../../src/runtime/native/containers/containers.js";
import type { ContainerDeps, OciSpecInput } from "../../../src/runtime/native/containers/deps.js";
import { openImageStore } from "../../../src/runtime/native/images/image-store.js";
import { mountRootfs, unmountRootfs } from "../../../src/runtime/native/images/rootfs.js";
import { nativePaths, type NativePaths } from "../../../src/runtime/native/paths.js";
import { BUSYBOX_PATH, buildRootfsTar } from "../images.js";

export const runcFound = existsSync("/usr/sbin/runc");
export const nativeReady = process.getuid?.() === 0 && runcFound && existsSync("/usr/bin/conmon");
export const NOT_READY = "native tests need root, runc and conmon";

export const TEST_IMAGE = "berth-test/busybox:containers";

const CAPS = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FSETID",
  "CAP_FOWNER",
  "CAP_MKNOD",
  "CAP_NET_RAW",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETFCAP",
  "CAP_SETPCAP",
  "CAP_NET_BIND_SERVICE",
  "CAP_SYS_CHROOT",
  "CAP_KILL",
  "CAP_AUDIT_WRITE",
];

/** A minimal config.json (the tests' own; the oci part generates the real one). */
export function minimalConfig(input: OciSpecInput): object {
  const { spec, image } = input;
  const entrypoint = spec.entrypoint ?? image.Entrypoint ?? [];
  const command = spec.command ?? (spec.entrypoint ? [] : (image.Cmd ?? []));
  const env = [...(image.Env ?? []), ...Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`)];
  const bind = (source: string, destination: string) => ({
    destination,
    type: "bind",
    source,
    options: ["rbind", "rprivate"],
  });
  return {
    ociVersion: "1.0.2-dev",
    process: {
      terminal: spec.tty === true,
      user: { uid: input.user.uid, gid: input.user.gid },
      args: [...entrypoint, ...command],
      env,
      cwd: spec.workingDir ?? (image.WorkingDir || "/"),
      capabilities: { bounding: CAPS, effective: CAPS, permitted: CAPS },
      noNewPrivileges: true,
    },
    root: { path: input.rootfs, readonly: false },
    hostname: input.hostname,
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
      bind(input.hostsPath, "/etc/hosts"),
      bind(input.resolvPath, "/etc/resolv.conf"),
      bind(input.hostnamePath, "/etc/hostname"),
    ],
    linux: {
      namespaces: [
        { type: "pid" },
        { type: "ipc" },
        { type: "uts" },
        { type: "mount" },
        ...(spec.networkMode === "host" ? [] : [{ type: "network" }]),
      ],
      cgroupsPath: input.cgroupsPath,
      resources: { devices: [{ allow: false, access: "rwm" }] },
      maskedPaths: ["/proc/kcore", "/proc/keys", "/sys/firmware"],
      readonlyPaths: ["/proc/sys", "/proc/sysrq-trigger"],
    },
  };
}

export interface NativeEnv {
  readonly dir: string;
  readonly env: Record<string, string>;
  readonly paths: NativePaths;
  readonly deps: ContainerDeps;
  containers(): NativeContainers;
  /** Removes the temporary roots (after the containers are gone). */
  dispose(): void;
}

/** A fresh pair of state roots with the test image imported. */
export async function openNativeEnv(): Promise<NativeEnv> {
  const dir = mkdtempSync("/var/tmp/berth-ct-");
  const env = { BERTH_ROOT: path.join(dir, "root"), BERTH_RUN_ROOT: path.join(dir, "run") };
  const paths = nativePaths(env);
  const store = openImageStore(paths);
  const tarball = await buildRootfsTar(readFileSync(BUSYBOX_PATH));
  await store.importRootfs(Readable.from([tarball]), {
    reference: TEST_IMAGE,
    changes: ["ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 'CMD ["/bin/sh"]'],
  });
  const deps: ContainerDeps = {
    resolveImage: async (reference) => {
      const image = await store.resolve(reference);
      return { id: image.id, config: image.config.config ?? {}, layerDirs: image.layerDirs };
    },
    mountRootfs,
    unmountRootfs,
    ociSpec: minimalConfig,
    resolveUser: async (user) => {
      const [uid, gid] = (user ?? "0:0").split(":").map(Number);
      return { uid: uid ?? 0, gid: gid ?? uid ?? 0, additionalGids: [] };
    },
  };
  return {
    dir,
    env,
    paths,
    deps,
    containers: () => createNativeContainers({ paths, deps }),
    dispose: () => {
      for (const mount of mountsUnder(dir).reverse()) void unmountRootfs(mount);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function mountsUnder(dir: string): string[] {
  return readFileSync("/proc/mounts", "utf8")
    .split("\n")
    .map((line) => line.split(" ")[1] ?? "")
    .filter((mount) => mount.startsWith(`${dir}/`));
}

/** PIDs of processes that belong to the container: in its cgroup, or naming its id (its monitor). */
export function processesOf(id: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cgroup = readFileSync(`/proc/${entry}/cgroup`, "utf8");
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      const state = readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1]?.[0];
      if (state === "Z") continue;
      if (cgroup.includes(`/berth/${id}`) || cmdline.includes(id)) pids.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

/** Everything of container `id` still on the host: mounts, processes, cgroups, files. */
export function traces(env: NativeEnv, id: string): string[] {
  const left: string[] = [];
  for (const mount of mountsUnder(env.dir)) if (mount.includes(id)) left.push(`mount ${mount}`);
  for (const pid of processesOf(id)) {
    let cmd = "";
    try {
      cmd = readlinkSync(`/proc/${pid}/exe`);
    } catch {
      // Gone.
    }
    left.push(`process ${pid} ${cmd}`);
  }
  for (const dir of cgroupDirs(id)) if (existsSync(dir)) left.push(`cgroup ${dir}`);
  const walk = (root: string): void => {
    if (!existsSync(root)) return;
    for (const name of readdirSync(root, { recursive: true, encoding: "utf8" })) {
      if (name.includes(id) || name.includes(id.slice(0, 12))) left.push(`file ${path.join(root, name)}`);
    }
  };
  walk(env.paths.containers);
  walk(env.paths.run);
  return left;
}

/** Polls `check` every 50 ms, at most `ms`. */
export async function until(
  ms: number,
  what: string,
  check: () => boolean | Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + ms;
  for (let i = 0; i < 10_000 && Date.now() < deadline; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${what}: not true within ${ms} ms`);
}
