/**
 * The native Runtime's volumes: Docker's local driver from ./volumes (create, inspect, list with
 * label and name filters, remove with Docker's answers, refused while a container uses the volume),
 * and what the container lifecycle does with them at create and remove (./containers/volume-mounts.ts).
 * A container uses a volume from its create to its removal, whatever its state, as on Docker.
 */
import type { Volumes } from "../runtime.js";
import { type ContainerVolumes, containerVolumes, volumeUsers } from "./containers/volume-mounts.js";
import type { NativePaths } from "./paths.js";
import { openVolumeStore } from "./volumes/index.js";

export interface NativeVolumes extends Volumes, ContainerVolumes {}

export function createNativeVolumes(paths: NativePaths): NativeVolumes {
  const leaving = new Set<string>();
  const store = openVolumeStore(paths, { inUse: (name) => volumeUsers(paths, name, leaving) });
  const mounts = containerVolumes(paths, store, leaving);
  return {
    create: (spec) => store.create(spec),
    inspect: (name) => store.inspect(name),
    list: (filter) => store.list(filter),
    remove: (name, options) => store.remove(name, options),
    attach: (container, rootfs) => mounts.attach(container, rootfs),
    remount: (container) => mounts.remount(container),
    removeWith: (id) => mounts.removeWith(id),
    detach: (container, removeVolumes) => mounts.detach(container, removeVolumes),
    sweep: (liveIds) => mounts.sweep(liveIds),
  };
}
