/**
 * The parts the native container tests give the lifecycle: the native image store and overlay mount,
 * and a minimal config.json of the tests' own (Docker's default mounts, namespaces and capabilities,
 * no resources), so the lifecycle is tested apart from the oci part's generator. Kept apart from the
 * harness so a child process (containers-child.ts) can be bundled with it alone.
 */
import type { ContainerDeps, OciSpecInput } from "../../../src/runtime/native/containers/deps.js";
import { openImageStore } from "../../../src/runtime/native/images/image-store.js";
import { mountRootfs, unmountRootfs } from "../../../src/runtime/native/images/rootfs.js";
import type { NativePaths } from "../../../src/runtime/native/paths.js";

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

export function testDeps(paths: NativePaths): ContainerDeps {
  const store = openImageStore(paths);
  return {
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
}
