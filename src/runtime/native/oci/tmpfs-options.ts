/**
 * tmpfs mount options as Docker 20.10 writes them: its defaults (`noexec,nosuid,nodev,rprivate`)
 * followed by the user's, each flag kept once with the last word winning (`exec` after the default
 * `noexec` replaces it), data options (`size=`, `mode=`, …) kept once, anything else refused
 * (moby `mount.MergeTmpfsOptions`); and a long-syntax tmpfs mount's size and mode turned into that
 * text (`ConvertTmpfsOptions`: `size=64m` when the bytes divide evenly).
 */
import { InvalidRequestError } from "../../errors.js";

/** Flags that cancel each other share a key (one mount flag each); all propagation words share one. */
const FLAG_KEYS: Readonly<Record<string, string>> = {
  ro: "rdonly",
  rw: "rdonly",
  suid: "nosuid",
  nosuid: "nosuid",
  dev: "nodev",
  nodev: "nodev",
  exec: "noexec",
  noexec: "noexec",
  sync: "sync",
  async: "sync",
  dirsync: "dirsync",
  remount: "remount",
  mand: "mand",
  nomand: "mand",
  atime: "noatime",
  noatime: "noatime",
  diratime: "nodiratime",
  nodiratime: "nodiratime",
  relatime: "relatime",
  norelatime: "relatime",
  strictatime: "strictatime",
  nostrictatime: "strictatime",
  bind: "propagation",
  rbind: "propagation",
  unbindable: "propagation",
  runbindable: "propagation",
  private: "propagation",
  rprivate: "propagation",
  shared: "propagation",
  rshared: "propagation",
  slave: "propagation",
  rslave: "propagation",
};

const DATA_KEYS: ReadonlySet<string> = new Set([
  "",
  "size",
  "mode",
  "uid",
  "gid",
  "nr_inodes",
  "nr_blocks",
  "mpol",
]);

export const DEFAULT_TMPFS_OPTIONS: readonly string[] = ["noexec", "nosuid", "nodev", "rprivate"];

/** Docker's defaults plus `data` (mount(8) options, comma-separated), merged. */
export function tmpfsOptions(data: string): string[] {
  const options = [...DEFAULT_TMPFS_OPTIONS, ...(data !== "" ? data.split(",") : [])];
  const seen = new Set<string>();
  const merged: string[] = [];
  // From the end, so the last occurrence of each key wins and keeps its place.
  for (let i = options.length - 1; i >= 0; i--) {
    const option = options[i] ?? "";
    if (option === "defaults") continue;
    const flagKey = FLAG_KEYS[option];
    let key: string;
    if (flagKey !== undefined) key = `flag:${flagKey}`;
    else {
      const eq = option.indexOf("=");
      const name = eq < 0 ? undefined : option.slice(0, eq);
      if (name === undefined || !DATA_KEYS.has(name)) {
        throw new InvalidRequestError(`Invalid tmpfs option "${option}"`);
      }
      key = `data:${name}`;
    }
    if (seen.has(key)) continue;
    seen.add(key);
    merged.unshift(option);
  }
  return merged;
}

/** A long-syntax tmpfs mount's `read_only`, mode and size as option text (`ro,mode=1770,size=64m`). */
export function tmpfsData(mount: {
  readonly readOnly?: boolean | undefined;
  readonly mode?: number | undefined;
  readonly sizeBytes?: number | undefined;
}): string {
  const options: string[] = [];
  if (mount.readOnly === true) options.push("ro");
  if (mount.mode !== undefined && mount.mode !== 0) options.push(`mode=${mount.mode.toString(8)}`);
  if (mount.sizeBytes !== undefined && mount.sizeBytes !== 0)
    options.push(`size=${sizeText(mount.sizeBytes)}`);
  return options.join(",");
}

function sizeText(bytes: number): string {
  for (const [suffix, divisor] of [
    ["g", 2 ** 30],
    ["m", 2 ** 20],
    ["k", 2 ** 10],
  ] as const) {
    if (bytes % divisor === 0) return `${bytes / divisor}${suffix}`;
  }
  return String(bytes);
}
