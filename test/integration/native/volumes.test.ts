/**
 * The native volume store on the real host, as root: records with labels, Docker's answers for
 * idempotent create, in-use and missing volumes, driver_opts bind and tmpfs volumes mounted at the
 * first prepare and unmounted at the last release (read from /proc/mounts), the image copy-up with
 * owners, modes and symlinks into an empty volume only, bind sources, and nothing left after.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import {
  chmod,
  chown,
  lstat,
  mkdir,
  readFile,
  readlink,
  readdir,
  rm,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConflictError, InvalidRequestError, NotFoundError } from "../../../src/runtime/errors.js";
import { nativePaths, type NativePaths } from "../../../src/runtime/native/paths.js";
import {
  ANONYMOUS_LABEL,
  ensureBindSource,
  openVolumeStore,
  type VolumeStore,
} from "../../../src/runtime/native/volumes/index.js";
import { requireOrSkip } from "../engine.js";

const runcFound = existsSync("/usr/sbin/runc") || existsSync("/usr/bin/runc");
const native = process.getuid?.() === 0 && runcFound;

let base = "";
let paths: NativePaths;
/** Volume name → container ids, what the containers code will answer. */
const users = new Map<string, string[]>();
let store: VolumeStore;

/** Mounts under this test's directory, `type point`, from /proc/mounts (base has no escaped characters). */
function mountsHere(): string[] {
  return readFileSync("/proc/mounts", "utf8")
    .split("\n")
    .map((line) => line.split(" "))
    .filter((f) => f[1]?.startsWith(`${base}/`) === true)
    .map((f) => `${f[2]} ${f[1]}`);
}

beforeAll(() => {
  if (!native) return;
  base = mkdtempSync("/var/tmp/berth-volumes-");
  paths = nativePaths({ BERTH_ROOT: path.join(base, "root"), BERTH_RUN_ROOT: path.join(base, "run") });
  store = openVolumeStore(paths, { inUse: (name) => users.get(name) ?? [] });
});

afterAll(() => {
  if (!native) return;
  const left = mountsHere();
  // A failed case's mounts go before the directory does, deepest first, so none outlives the run.
  for (const point of left.map((m) => m.split(" ")[1] ?? "").reverse()) {
    spawnSync("umount", ["--", point], { timeout: 10_000 });
  }
  rmSync(base, { recursive: true, force: true });
  expect(left).toEqual([]);
});

describe("native volumes", () => {
  it("creates, lists by label and name, inspects and removes, as Docker answers", async (ctx) => {
    requireOrSkip(ctx, native, "native tests need root and runc");
    const made = await store.create({
      name: "app_db",
      labels: { "com.docker.compose.project": "app", tier: "db" },
    });
    expect(made).toMatchObject({
      name: "app_db",
      driver: "local",
      mountpoint: path.join(paths.volumes, "app_db", "_data"),
      labels: { "com.docker.compose.project": "app", tier: "db" },
      options: {},
    });
    expect((await stat(made.mountpoint)).isDirectory()).toBe(true);
    expect(
      JSON.parse(await readFile(path.join(paths.volumes, "app_db", "volume.json"), "utf8")),
    ).toMatchObject({
      name: "app_db",
    });
    await store.create({ name: "app_cache", labels: { "com.docker.compose.project": "app" } });
    await store.create({ name: "other", labels: { tier: "db" } });

    // Docker returns the existing volume as it is, whatever the second call's labels.
    const again = await store.create({ name: "app_db", labels: { tier: "web" } });
    expect(again.labels).toEqual(made.labels);
    expect(again.created?.getTime()).toBe(made.created?.getTime());

    const names = async (filter: Parameters<VolumeStore["list"]>[0]): Promise<string[]> =>
      (await store.list(filter)).map((v) => v.name);
    expect(await names({})).toEqual(["app_cache", "app_db", "other"]);
    expect(await names({ labels: ["com.docker.compose.project=app"] })).toEqual(["app_cache", "app_db"]);
    expect(await names({ labels: ["com.docker.compose.project=app", "tier"] })).toEqual(["app_db"]);
    expect(await names({ labels: ["tier=db"] })).toEqual(["app_db", "other"]);
    expect(await names({ name: "app" })).toEqual([]);
    expect(await names({ name: "other" })).toEqual(["other"]);
    expect(await store.inspect("missing")).toBeUndefined();
    expect(await store.inspect("../etc")).toBeUndefined();

    await expect(store.create({ name: "x", labels: {} })).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(store.create({ name: "nfs1", driver: "rexray", labels: {} })).rejects.toThrow(/"local"/);
    await expect(
      store.create({ name: "bad1", driverOpts: { type: "tmpfs", o: "size=1m" }, labels: {} }),
    ).rejects.toThrow('create bad1: missing required option: "device"');
    expect(await store.inspect("bad1")).toBeUndefined();

    users.set("app_db", ["c1", "c2"]);
    await expect(store.remove("app_db", { force: true })).rejects.toThrow(
      new ConflictError("remove app_db: volume is in use - [c1, c2]"),
    );
    users.delete("app_db");
    await expect(store.remove("missing")).rejects.toBeInstanceOf(NotFoundError);
    await store.remove("missing", { force: true });
    for (const name of ["app_db", "app_cache", "other"]) await store.remove(name);
    expect(await store.list()).toEqual([]);
    expect(await readdir(paths.volumes)).toEqual([]);
  });

  it("names anonymous volumes with 64 hex characters and Docker's label", async (ctx) => {
    requireOrSkip(ctx, native, "native tests need root and runc");
    const anon = await store.createAnonymous({ "com.docker.compose.project": "app" });
    expect(anon.name).toMatch(/^[0-9a-f]{64}$/);
    expect(anon.labels).toEqual({ "com.docker.compose.project": "app", [ANONYMOUS_LABEL]: "" });
    expect((await store.list({ labels: [ANONYMOUS_LABEL] })).map((v) => v.name)).toEqual([anon.name]);
    await store.remove(anon.name);
  });

  it("mounts a bind volume at the first prepare and unmounts it at the last release, leaving its device", async (ctx) => {
    requireOrSkip(ctx, native, "native tests need root and runc");
    const device = path.join(base, "device");
    await mkdir(device);
    await writeFile(path.join(device, "kept"), "host data");
    const v = await store.create({
      name: "bound",
      driverOpts: { type: "none", o: "bind", device },
      labels: {},
    });
    expect(v.options).toEqual({ type: "none", o: "bind", device });
    expect(mountsHere()).toEqual([]); // not at create, as Docker
    expect(await store.prepare("bound", "c1")).toBe(v.mountpoint);
    await store.prepare("bound", "c2");
    expect(mountsHere()).toHaveLength(1);
    expect(await readFile(path.join(v.mountpoint, "kept"), "utf8")).toBe("host data");
    await store.release("bound", "c1");
    expect(mountsHere()).toHaveLength(1);
    await store.release("bound", "c2");
    await store.release("bound", "c2");
    expect(mountsHere()).toEqual([]);
    expect(await readdir(v.mountpoint)).toEqual([]);
    await store.remove("bound");
    expect(await readFile(path.join(device, "kept"), "utf8")).toBe("host data");
  });

  it("mounts a tmpfs volume with its options; removal waits for its last release; a sweep drops a crashed user's reference", async (ctx) => {
    requireOrSkip(ctx, native, "native tests need root and runc");
    const v = await store.create({
      name: "scratch",
      driverOpts: { type: "tmpfs", device: "tmpfs", o: "size=1m,mode=0750" },
      labels: {},
    });
    await store.prepare("scratch", "dead");
    const line = readFileSync("/proc/mounts", "utf8")
      .split("\n")
      .find((l) => l.split(" ")[1] === v.mountpoint);
    expect(line).toMatch(/^tmpfs \S+ tmpfs \S*size=1024k\S*/);
    expect((await stat(v.mountpoint)).mode & 0o777).toBe(0o750);
    await store.sweep(new Set(["alive"]));
    expect(mountsHere()).toEqual([]);

    await store.prepare("scratch", "c1");
    await writeFile(path.join(v.mountpoint, "f"), "x");
    // Docker's local driver refuses while its mount count is above zero, whatever the containers say.
    await expect(store.remove("scratch", { force: true })).rejects.toThrow(
      new ConflictError("remove scratch: volume has active mounts - [c1]"),
    );
    expect(mountsHere()).toHaveLength(1);
    await store.release("scratch", "c1");
    await store.remove("scratch");
    expect(mountsHere()).toEqual([]);
    expect(existsSync(path.join(paths.volumes, "scratch"))).toBe(false);
  });

  it("gives racing creates one volume and racing prepares one mount", async (ctx) => {
    requireOrSkip(ctx, native, "native tests need root and runc");
    const made = await Promise.all(
      [1, 2, 3, 4, 5].map((n) => store.create({ name: "raced", labels: { n: String(n) } })),
    );
    expect(new Set(made.map((v) => JSON.stringify(v))).size).toBe(1);
    await store.remove("raced");

    await store.create({
      name: "shared",
      driverOpts: { type: "tmpfs", device: "tmpfs", o: "size=1m" },
      labels: {},
    });
    const ids = ["c1", "c2", "c3", "c4", "c5"];
    await Promise.all(ids.map((id) => store.prepare("shared", id)));
    expect(mountsHere()).toHaveLength(1);
    await Promise.all(ids.slice(1).map((id) => store.release("shared", id)));
    expect(mountsHere()).toHaveLength(1);
    await store.release("shared", "c1");
    expect(mountsHere()).toEqual([]);
    await store.remove("shared");
    expect(await readdir(paths.volumes)).toEqual([]);
  });

  it("sweeps what a create or remove killed half-way left, and never lists it", async (ctx) => {
    requireOrSkip(ctx, native, "native tests need root and runc");
    // A temporary of a writer that is gone (pid beyond pid_max), holding a half-made volume.
    const orphan = path.join(paths.volumes, ".tmp-99999999-0123456789ab");
    await mkdir(path.join(orphan, "_data"), { recursive: true });
    expect(await store.list()).toEqual([]);
    const fresh = openVolumeStore(paths);
    await fresh.create({ name: "after_crash", labels: {} });
    expect(await readdir(paths.volumes)).toEqual(["after_crash"]);
    await fresh.remove("after_crash");
  });

  it("copies the image's content at the mount point into an empty volume, with owners, modes and symlinks", async (ctx) => {
    requireOrSkip(ctx, native, "native tests need root and runc");
    const rootfs = path.join(base, "image");
    const data = path.join(rootfs, "var", "lib", "app");
    await mkdir(path.join(data, "sub"), { recursive: true });
    await writeFile(path.join(data, "config"), "v1");
    await chown(path.join(data, "config"), 1000, 2000);
    await chmod(path.join(data, "config"), 0o640);
    await chown(path.join(data, "sub"), 33, 33);
    await chmod(path.join(data, "sub"), 0o700);
    await symlink("../config", path.join(data, "sub", "link"));
    await chown(data, 5, 6);
    await chmod(data, 0o770);
    // An image's link pointing at the host's /etc must resolve inside the image.
    await symlink("/var/lib/app", path.join(rootfs, "data"));

    const v = await store.create({ name: "seeded", labels: {} });
    expect(await store.prepare("seeded", "c1")).toBe(v.mountpoint);
    // Two containers starting at once: one copies.
    const copied = await Promise.all([1, 2, 3].map(() => store.populateFromImage("seeded", rootfs, "/data")));
    expect(copied.filter(Boolean)).toHaveLength(1);
    const config = await stat(path.join(v.mountpoint, "config"));
    expect([config.uid, config.gid, config.mode & 0o7777]).toEqual([1000, 2000, 0o640]);
    const sub = await stat(path.join(v.mountpoint, "sub"));
    expect([sub.uid, sub.gid, sub.mode & 0o7777]).toEqual([33, 33, 0o700]);
    expect((await lstat(path.join(v.mountpoint, "sub", "link"))).isSymbolicLink()).toBe(true);
    expect(await readlink(path.join(v.mountpoint, "sub", "link"))).toBe("../config");
    const root = await stat(v.mountpoint);
    expect([root.uid, root.gid, root.mode & 0o7777]).toEqual([5, 6, 0o770]);

    // Once it holds anything, nothing is copied again: the volume's own changes stay.
    await writeFile(path.join(v.mountpoint, "config"), "changed");
    await rm(path.join(v.mountpoint, "sub"), { recursive: true });
    expect(await store.populateFromImage("seeded", rootfs, "/var/lib/app")).toBe(false);
    expect(await readFile(path.join(v.mountpoint, "config"), "utf8")).toBe("changed");
    expect(await readdir(v.mountpoint)).toEqual(["config"]);
    // A path the image does not have copies nothing.
    expect(await store.populateFromImage("seeded", rootfs, "/nowhere")).toBe(false);
    await store.release("seeded", "c1");
    await store.remove("seeded");
  });

  it("creates a missing bind source for the short syntax and refuses it when create_host_path is false", async (ctx) => {
    requireOrSkip(ctx, native, "native tests need root and runc");
    const source = path.join(base, "binds", "a", "b");
    await expect(ensureBindSource(source, false)).rejects.toThrow(
      `invalid mount config for type "bind": bind source path does not exist: ${source}`,
    );
    expect(existsSync(source)).toBe(false);
    await ensureBindSource(source, true);
    expect((await stat(source)).isDirectory()).toBe(true);
    await ensureBindSource(source, false);
    await expect(ensureBindSource("relative/dir", true)).rejects.toBeInstanceOf(InvalidRequestError);
  });
});
