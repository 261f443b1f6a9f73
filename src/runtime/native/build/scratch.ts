/**
 * A build's working directories under `BERTH_ROOT/build/<pid>-<random>`: the extracted context,
 * downloads, and the overlay mounts a COPY reads from (an image's merged view, read-only) or writes
 * through (the current image plus an upper dir that becomes the step's layer). Every mount is
 * undone by `close`; a build killed before it ran is cleaned by the next build, which finds its
 * directory's pid gone.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { systemProbe } from "../../../file-lock.js";
import { mountPoints, mountRootfs, unmountRootfs } from "../images/rootfs.js";
import type { NativePaths } from "../paths.js";

export interface Mounted {
  /** The merged directory: the image's filesystem as `/`. */
  readonly root: string;
  /** Where writes land (the root itself for an image with no layers). */
  readonly upper: string;
  /** Unmounts (the upper dir stays, for its layer). */
  unmount(): Promise<void>;
}

export interface Scratch {
  /** A new empty directory. */
  dir(prefix: string): Promise<string>;
  /** The merged filesystem of `layerDirs`, read-only when `writable` is false. */
  mount(layerDirs: readonly string[], writable: boolean): Promise<Mounted>;
  /** Unmounts what is still mounted and removes the directory. */
  close(): Promise<void>;
}

async function mountsUnder(dir: string): Promise<string[]> {
  const all = mountPoints(await readFile("/proc/self/mountinfo", "utf8"));
  return all.filter((m) => m.startsWith(`${dir}/`)).sort((a, b) => b.length - a.length);
}

/** Removes what builds of dead processes left. */
async function sweep(base: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(base);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(name.split("-")[0]);
    if (!Number.isInteger(pid) || pid <= 0 || systemProbe.alive(pid)) continue;
    const dir = path.join(base, name);
    for (const m of await mountsUnder(dir)) await unmountRootfs(m);
    await rm(dir, { recursive: true, force: true });
  }
}

export async function openScratch(paths: NativePaths): Promise<Scratch> {
  const base = path.join(paths.root, "build");
  await sweep(base);
  const home = path.join(base, `${process.pid}-${randomBytes(6).toString("hex")}`);
  await mkdir(home, { recursive: true });
  let count = 0;
  const mounted = new Set<string>();
  const dir = async (prefix: string): Promise<string> => {
    const made = path.join(home, `${prefix}-${count++}`);
    await mkdir(made, { recursive: true });
    return made;
  };
  return {
    dir,
    async mount(layerDirs, writable) {
      const at = await dir("mount");
      if (layerDirs.length === 0) {
        const root = path.join(at, "upper");
        await mkdir(root);
        return { root, upper: root, unmount: async () => undefined };
      }
      const target = path.join(at, "merged");
      const upper = path.join(at, "upper");
      await mountRootfs({ layerDirs, upper, work: path.join(at, "work"), target, readOnly: !writable });
      mounted.add(target);
      return {
        root: target,
        upper,
        unmount: async () => {
          await unmountRootfs(target);
          mounted.delete(target);
        },
      };
    },
    async close() {
      for (const target of mounted) await unmountRootfs(target);
      mounted.clear();
      for (const m of await mountsUnder(home)) await unmountRootfs(m);
      await rm(home, { recursive: true, force: true });
    },
  };
}
