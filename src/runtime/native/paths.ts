/**
 * Where the native runtime keeps its state. Two roots, as the issue fixes them:
 * - `BERTH_ROOT` (default `/var/lib/berth`): what must survive a reboot — image blobs, unpacked
 *   layers, container records and their writable layers, named volumes.
 * - `BERTH_RUN_ROOT` (default `/run/berth/native`): what lives as long as the processes do — runc's
 *   state, monitor sockets and pid files, exit files, locks of live objects.
 * Tests point both at temporary directories, so nothing they make mixes with a user's.
 */
import path from "node:path";

export type Env = Readonly<Record<string, string | undefined>>;

export interface NativePaths {
  readonly root: string;
  readonly run: string;
  /** Content-addressed blobs: `blobs/sha256/<hex>`. */
  readonly blobs: string;
  /** Image records and the tag index. */
  readonly images: string;
  /** Unpacked layers by chain ID: `layers/<chainid-hex>/diff`. */
  readonly layers: string;
  /** One directory per container: its record, upper and work dirs, rootfs mount point, log. */
  readonly containers: string;
  /** Named volumes: `volumes/<name>/_data`. */
  readonly volumes: string;
  /** runc's `--root`. */
  readonly runc: string;
  /** Per-container runtime state (bundle, monitor pid and sockets, exit files). */
  readonly runContainers: string;
  /** Exit files the monitor writes: `exits/<id>`. */
  readonly exits: string;
  /** Lock files. */
  readonly locks: string;
  /** The event log, appended to by whoever sees an event, read by `events`. */
  readonly events: string;
}

export function nativePaths(env: Env = process.env): NativePaths {
  const root = path.resolve(env["BERTH_ROOT"] ?? "/var/lib/berth");
  const run = path.resolve(env["BERTH_RUN_ROOT"] ?? "/run/berth/native");
  return {
    root,
    run,
    blobs: path.join(root, "blobs"),
    images: path.join(root, "images"),
    layers: path.join(root, "layers"),
    containers: path.join(root, "containers"),
    volumes: path.join(root, "volumes"),
    runc: path.join(run, "runc"),
    runContainers: path.join(run, "containers"),
    exits: path.join(run, "exits"),
    locks: path.join(run, "locks"),
    events: path.join(root, "events.jsonl"),
  };
}
