/**
 * What the native container tests share: a temporary BERTH_ROOT/BERTH_RUN_ROOT in /var/tmp, the
 * busybox test image imported into the native image store, the container lifecycle wired to it, and
 * the checks that nothing of a container is left (mounts, processes, cgroups, files).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { cgroupDirs, removeCgroups } from "../../../src/runtime/native/containers/cgroups.js";
import {
  createNativeContainers,
  type NativeContainers,
} from "../../../src/runtime/native/containers/containers.js";
import type { ContainerDeps } from "../../../src/runtime/native/containers/deps.js";
import { listIds } from "../../../src/runtime/native/containers/records.js";
import { openImageStore } from "../../../src/runtime/native/images/image-store.js";
import { unmountRootfs } from "../../../src/runtime/native/images/rootfs.js";
import { nativePaths, type NativePaths } from "../../../src/runtime/native/paths.js";
import { BUSYBOX_PATH, buildRootfsTar } from "../images.js";
import { testDeps } from "./containers-deps.js";

export const runcFound = existsSync("/usr/sbin/runc");
export const nativeReady = process.getuid?.() === 0 && runcFound && existsSync("/usr/bin/conmon");
export const NOT_READY = "native tests need root, runc and conmon";

export const TEST_IMAGE = "berth-test/busybox:containers";

export interface NativeEnv {
  readonly dir: string;
  readonly env: Record<string, string>;
  readonly paths: NativePaths;
  readonly deps: ContainerDeps;
  containers(): NativeContainers;
  /** Removes the temporary roots (after the containers are gone). */
  dispose(): Promise<void>;
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
  const deps = testDeps(paths);
  return {
    dir,
    env,
    paths,
    deps,
    containers: () => createNativeContainers({ paths, deps }),
    dispose: async () => {
      // What a failed test could not remove (already reported by its trace check): this run's
      // containers' processes killed, their cgroups and mounts removed, so the host stays clean.
      for (const id of listIds(paths)) {
        for (const pid of processesOf(id)) {
          try {
            process.kill(pid, "SIGKILL");
          } catch {
            // Gone.
          }
        }
      }
      for (const mount of mountsUnder(dir).reverse()) await unmountRootfs(mount).catch(() => undefined);
      for (const id of listIds(paths)) await removeCgroups(id);
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

/** Removes (forced) the containers a test file made; answers what is left of them on the host. */
export async function removeMade(
  env: NativeEnv,
  containers: NativeContainers,
  made: readonly string[],
): Promise<string[]> {
  for (const id of made) await containers.remove(id, { force: true }).catch(() => undefined);
  return made.flatMap((id) => traces(env, id));
}

/** At a test file's end: removeMade, then the roots disposed; answers what was left. */
export async function closeNativeEnv(
  env: NativeEnv,
  containers: NativeContainers,
  made: readonly string[],
): Promise<string[]> {
  const left = await removeMade(env, containers, made);
  await env.dispose();
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

/** The error `work` rejects with (fails when it resolves). */
export async function rejection(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}
