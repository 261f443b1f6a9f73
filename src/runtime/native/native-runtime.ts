/**
 * The native Runtime: berth's own daemonless runtime core on Linux, built from its parts — the image
 * store (./images), config.json generation (./oci), the container lifecycle under conmon monitors
 * (./containers), process io (./process) and the event log (./events.ts). State is files under
 * BERTH_ROOT and BERTH_RUN_ROOT (./paths.ts); nothing here outlives a call but the monitors.
 *
 * Networks are the network layer's bridges with the embedded DNS (./native-networks.ts), joined by
 * each container at its create and left at its remove (./containers/networking.ts).
 */
import { readFileSync } from "node:fs";
import type { EventFilter, Runtime, RuntimeEvent, RuntimeInfo } from "../runtime.js";
import { nativeContainerDeps } from "./container-deps.js";
import { cgroupVersion, controllerDir } from "./containers/cgroups.js";
import {
  createNativeContainers,
  type NativeContainers,
  type ProcessIo,
  type ProcessTarget,
} from "./containers/containers.js";
import { CONMON_PATH } from "./containers/monitor.js";
import { RUNC_PATH } from "./containers/runc.js";
import { buildImage } from "./build/executor.js";
import { readEvents } from "./events.js";
import { goArch } from "./images/config.js";
import { openImageStore } from "./images/index.js";
import { createNativeNetworks } from "./native-networks.js";
import { createNativeVolumes } from "./native-volumes.js";
import { openNetworkLayer } from "./network/index.js";
import { nativePaths, type Env } from "./paths.js";
import {
  attach,
  copyFrom,
  copyTo,
  exec,
  resizeTerminal,
  stats,
  top,
  type CgroupPaths,
  type ProcessHandle,
} from "./process/index.js";

export interface NativeRuntimeOptions {
  readonly env?: Env | undefined;
}

/** berth's version, from the nearest package.json named berth above this module. */
function berthVersion(): string {
  let dir = new URL(".", import.meta.url);
  for (let depth = 0; depth < 6; depth++) {
    try {
      const pkg = JSON.parse(readFileSync(new URL("package.json", dir), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === "berth" && pkg.version !== undefined) return pkg.version;
    } catch {
      // None here: one level up.
    }
    dir = new URL("..", dir);
  }
  return "unknown";
}

const V1_CONTROLLERS = ["memory", "cpu", "cpuacct", "pids", "blkio", "freezer", "cpuset", "devices"];

function cgroupPathsOf(target: ProcessTarget): CgroupPaths {
  const dirOf = (controller: string): string => controllerDir(target.id, controller, target.cgroupParent);
  if (cgroupVersion() === 2) return { version: 2, dir: dirOf("") };
  return { version: 1, dirs: Object.fromEntries(V1_CONTROLLERS.map((c) => [c, dirOf(c)])) };
}

function processHandle(target: ProcessTarget): ProcessHandle {
  return {
    runcRoot: target.runcRoot,
    id: target.id,
    rootfs: target.rootfs,
    cgroupPaths: cgroupPathsOf(target),
    pid: target.pid ?? 0,
    tty: target.tty,
    bundle: target.bundle,
    attachSocket: target.attachSocket,
    logPath: target.logPath,
    mounts: target.mounts,
    readOnlyRootfs: target.readOnlyRootfs,
    runc: RUNC_PATH,
    conmon: CONMON_PATH,
  };
}

/** Process io, given what it needs of a container (./process). */
const processIo: ProcessIo = {
  exec: (target, spec) => exec(processHandle(target), spec),
  attach: (target, options) => attach(processHandle(target), options),
  resize: (target, size) => resizeTerminal(target.bundle, size),
  top: (target, psArgs) => top(processHandle(target), psArgs),
  stats: (target, options) => stats(processHandle(target), options),
  copyTo: (target, path, tar) => copyTo(processHandle(target), path, tar),
  copyFrom: (target, path) => copyFrom(processHandle(target), path),
};

export function createNativeRuntime(options: NativeRuntimeOptions = {}): Runtime {
  const paths = nativePaths(options.env ?? process.env);
  // The store asks the lifecycle whether an image is in use; the lifecycle is made just below.
  const lifecycleRef: { current?: NativeContainers } = {};
  const store = openImageStore(paths, {
    inUse: (id) => lifecycleRef.current?.usesImage(id) === true,
  });
  const volumes = createNativeVolumes(paths);
  const network = openNetworkLayer(paths);
  const deps = { ...nativeContainerDeps(store), volumes, networks: network };
  const lifecycle = createNativeContainers({ paths, deps, processIo });
  lifecycleRef.current = lifecycle;

  return {
    kind: "native",
    async ping(): Promise<RuntimeInfo> {
      return { kind: "native", name: "berth native", version: berthVersion(), os: "linux", arch: goArch() };
    },
    images: {
      inspect: (reference) => store.inspect(reference),
      list: (filter) => store.list(filter),
      tag: (source, target) => store.tag(source, target),
      remove: (reference, removeOptions) => store.remove(reference, removeOptions),
      importRootfs: (tar, importOptions, onProgress) => store.importRootfs(tar, importOptions, onProgress),
      pull: (reference, pullOptions, onProgress) => store.pull(reference, pullOptions, onProgress),
      push: (reference, pushOptions, onProgress) => store.push(reference, pushOptions, onProgress),
      build: (spec, onProgress) => buildImage({ store, containers: lifecycle, paths }, spec, onProgress),
    },
    networks: createNativeNetworks(paths, network, lifecycle),
    volumes,
    containers: lifecycle,
    events(filter: EventFilter = {}, signal?: AbortSignal): AsyncIterable<RuntimeEvent> {
      // A reader is also a witness: exits nobody has collected yet are collected as it follows, and
      // logs due for rotation are rotated.
      return readEvents(paths, filter, signal, {
        onTick: async () => {
          lifecycle.rotateLogs();
          await lifecycle.collectExits();
        },
      });
    },
    async close(): Promise<void> {
      // No connections: monitors are detached processes, state is files.
    },
  };
}
