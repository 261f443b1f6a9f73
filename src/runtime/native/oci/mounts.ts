/**
 * The spec's mounts, in the order and with the options Docker 20.10 writes (moby v20.10.24
 * `oci/defaults.go`, `daemon/oci_linux.go` WithCommonOptions + WithMounts, `daemon/volumes_unix.go`
 * setupMounts, `container/container_unix.go` NetworkMounts/TmpfsMounts):
 * 1. the defaults (/proc, /dev, /dev/pts, /sys, /sys/fs/cgroup, /dev/mqueue, /dev/shm sized by
 *    `shm_size`, default 64 MiB), minus those a container mount replaces (and everything under /dev
 *    when /dev is mounted), /dev/shm gone with `ipc: none`;
 * 2. the init binary, when there is one;
 * 3. the container's mounts, sorted by the depth of their destination so a parent is mounted before
 *    what lies inside it: binds and volumes, then /etc/resolv.conf, /etc/hostname, /etc/hosts
 *    (read-only with `read_only`; a bind onto one of them takes its place), the host's /dev/shm for
 *    `ipc: host`, then tmpfs mounts (`tmpfs:` first, then long-syntax ones).
 * Docker's own order among mounts of equal depth comes from Go maps; this keeps the order given.
 */
import { InvalidRequestError } from "../../errors.js";
import type { ContainerSpec } from "../../runtime.js";
import { tmpfsData, tmpfsOptions } from "./tmpfs-options.js";
import type { OciMount } from "./types.js";

/** Docker's default /dev/shm size. */
export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

/** Where Docker puts its init (`/sbin/docker-init`); berth uses the same place for catatonit or tini. */
export const INIT_PATH_IN_CONTAINER = "/sbin/docker-init";

const DEFAULT_MOUNTS: readonly OciMount[] = [
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
  { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] },
  {
    destination: "/sys/fs/cgroup",
    type: "cgroup",
    source: "cgroup",
    options: ["ro", "nosuid", "noexec", "nodev"],
  },
  { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"] },
  {
    destination: "/dev/shm",
    type: "tmpfs",
    source: "shm",
    options: ["nosuid", "noexec", "nodev", "mode=1777"],
  },
];

/** Mounts `read_only` leaves writable (Docker's list). */
const WRITABLE_UNDER_READ_ONLY: ReadonlySet<string> = new Set([
  "/proc",
  "/dev/pts",
  "/dev/shm",
  "/dev/mqueue",
  "/dev",
]);

const PROPAGATIONS: ReadonlySet<string> = new Set([
  "private",
  "rprivate",
  "shared",
  "rshared",
  "slave",
  "rslave",
]);

/** A container mount before it becomes an OCI mount (moby's `container.Mount`). */
type ContainerMount =
  | { readonly kind: "tmpfs"; readonly destination: string; readonly data: string }
  | {
      readonly kind: "bind";
      readonly destination: string;
      readonly source: string;
      readonly writable: boolean;
      /** Empty for volumes: Docker gives them no propagation option. */
      readonly propagation: string;
    };

export interface MountInput {
  readonly spec: ContainerSpec;
  readonly resolvPath?: string | undefined;
  readonly hostnamePath?: string | undefined;
  readonly hostsPath?: string | undefined;
  /** Host paths of volume mounts, by target (the volumes layer resolves them). */
  readonly volumeSources?: Readonly<Record<string, string>> | undefined;
  /** The init binary on the host, when `init` applies. */
  readonly initPath?: string | undefined;
}

export interface MountsResult {
  readonly mounts: OciMount[];
  /** Set when a bind asks for shared or slave propagation, which needs the root to allow it. */
  readonly rootfsPropagation?: string;
}

function depth(destination: string): number {
  const clean = destination.replace(/\/+$/, "").replace(/\/+/g, "/");
  return (clean.match(/\//g) ?? []).length;
}

/** Stable, by destination depth (Docker's `sort.Sort(mounts)` is stable at the sizes it meets). */
function byDepth<T extends { readonly destination: string }>(list: readonly T[]): T[] {
  return list
    .map((m, i) => ({ m, i, d: depth(m.destination) }))
    .sort((a, b) => a.d - b.d || a.i - b.i)
    .map(({ m }) => m);
}

function userMounts(input: MountInput): ContainerMount[] {
  const { spec } = input;
  const tmpfsTargets = new Set([
    ...Object.keys(spec.tmpfs ?? {}),
    ...(spec.mounts ?? []).filter((m) => m.type === "tmpfs").map((m) => m.target),
  ]);
  const networkFiles: Record<string, string | undefined> = {
    "/etc/resolv.conf": input.resolvPath,
    "/etc/hostname": input.hostnamePath,
    "/etc/hosts": input.hostsPath,
  };
  const replaced = new Map<string, { source: string; writable: boolean }>();
  const binds: ContainerMount[] = [];
  for (const m of spec.mounts ?? []) {
    if (m.type === "tmpfs" || tmpfsTargets.has(m.target)) continue;
    let source: string;
    let propagation = "";
    if (m.type === "bind") {
      source = m.source;
      propagation = m.propagation !== undefined && m.propagation !== "" ? m.propagation : "rprivate";
      if (!PROPAGATIONS.has(propagation))
        throw new InvalidRequestError(`invalid propagation mode: ${propagation}`);
    } else {
      const resolved = input.volumeSources?.[m.target];
      if (resolved === undefined) {
        throw new InvalidRequestError(
          `volume mount at ${m.target} has no host path (the volume was not resolved)`,
        );
      }
      source = resolved;
    }
    const writable = m.readOnly !== true;
    // A bind onto a network file replaces the file Docker would mount there (TrySetNetworkMount).
    if (m.target in networkFiles) {
      replaced.set(m.target, { source, writable });
      continue;
    }
    binds.push({ kind: "bind", destination: m.target, source, writable, propagation });
  }

  const network: ContainerMount[] = [];
  for (const [destination, path] of Object.entries(networkFiles)) {
    const own = replaced.get(destination);
    const source = own?.source ?? path;
    if (source === undefined) continue;
    network.push({
      kind: "bind",
      destination,
      source,
      writable: own?.writable ?? spec.readOnlyRootfs !== true,
      propagation: "rprivate",
    });
  }

  const ipc: ContainerMount[] = [];
  const hasShm = (spec.mounts ?? []).some((m) => m.target === "/dev/shm") || tmpfsTargets.has("/dev/shm");
  if (spec.ipcMode === "host" && !hasShm) {
    ipc.push({
      kind: "bind",
      destination: "/dev/shm",
      source: "/dev/shm",
      writable: true,
      propagation: "rprivate",
    });
  }

  const tmpfs: ContainerMount[] = [
    ...Object.entries(spec.tmpfs ?? {}).map(([destination, data]) => ({
      kind: "tmpfs" as const,
      destination,
      data,
    })),
    ...(spec.mounts ?? []).flatMap((m) =>
      m.type === "tmpfs" ? [{ kind: "tmpfs" as const, destination: m.target, data: tmpfsData(m) }] : [],
    ),
  ];

  return byDepth([...byDepth(binds), ...network, ...ipc, ...tmpfs]);
}

function toOci(m: ContainerMount): OciMount {
  if (m.kind === "tmpfs") {
    return { destination: m.destination, type: "tmpfs", source: "tmpfs", options: tmpfsOptions(m.data) };
  }
  const options = ["rbind"];
  if (!m.writable) options.push("ro");
  if (m.propagation !== "") options.push(m.propagation);
  return { destination: m.destination, type: "bind", source: m.source, options };
}

function rootfsPropagation(mounts: readonly ContainerMount[]): string | undefined {
  let root: string | undefined;
  for (const m of mounts) {
    if (m.kind !== "bind") continue;
    if (m.propagation === "shared" || m.propagation === "rshared") {
      if (root !== "shared" && root !== "rshared") root = "shared";
    } else if (m.propagation === "slave" || m.propagation === "rslave") {
      if (root === undefined) root = "rslave";
    }
  }
  return root;
}

export function containerMounts(input: MountInput): MountsResult {
  const { spec } = input;
  const own = userMounts(input);
  const ownDestinations = new Set(own.map((m) => m.destination));
  const shmSize = spec.resources?.shmSizeBytes ?? 0;

  const defaults: OciMount[] = [];
  const candidates = [...DEFAULT_MOUNTS];
  if (input.initPath !== undefined) {
    candidates.push({
      destination: INIT_PATH_IN_CONTAINER,
      type: "bind",
      source: input.initPath,
      options: ["bind", "ro"],
    });
  }
  for (const m of candidates) {
    if (ownDestinations.has(m.destination)) continue;
    if (ownDestinations.has("/dev") && m.destination.startsWith("/dev/")) continue;
    if (m.destination === "/dev/shm") {
      if (spec.ipcMode === "none") continue;
      defaults.push({ ...m, options: [...m.options, `size=${shmSize > 0 ? shmSize : DEFAULT_SHM_SIZE}`] });
      continue;
    }
    defaults.push(m);
  }

  let mounts = [...defaults, ...own.map(toOci)];
  if (spec.readOnlyRootfs === true) {
    mounts = mounts.map((m) =>
      WRITABLE_UNDER_READ_ONLY.has(m.destination) ||
      ownDestinations.has(m.destination) ||
      m.options.includes("ro")
        ? m
        : { ...m, options: [...m.options, "ro"] },
    );
  }
  if (spec.privileged === true) {
    // Privileged: /sys and the cgroup tree writable.
    mounts = mounts.map((m) =>
      m.destination === "/sys" || m.type === "cgroup"
        ? { ...m, options: m.options.filter((o) => o !== "ro") }
        : m,
    );
  }
  const propagation = rootfsPropagation(own);
  return { mounts, ...(propagation !== undefined ? { rootfsPropagation: propagation } : {}) };
}
