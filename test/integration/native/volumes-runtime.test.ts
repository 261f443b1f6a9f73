/**
 * Volumes through the native Runtime, as root, against real runc and conmon: a named volume's data
 * outlives its container and the next one sees it; a volume is filled from the image's content at
 * its target (unless `nocopy`); anonymous volumes (the mount's and the image's VOLUMEs) go with
 * `rm -v` while named ones stay; driver_opts tmpfs and bind volumes; `volumes_from` with `:ro`;
 * `read_only` enforced; inspect's mounts as Docker gives them; and after removal nothing mounted
 * (/proc/mounts) nor left of the containers.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import tar from "tar-stream";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ConflictError, InvalidRequestError, NotFoundError } from "../../../src/runtime/errors.js";
import { createNativeRuntime } from "../../../src/runtime/native/native-runtime.js";
import { createNativeVolumes } from "../../../src/runtime/native/native-volumes.js";
import { nativePaths } from "../../../src/runtime/native/paths.js";
import type { ContainerSpec, Runtime } from "../../../src/runtime/runtime.js";
import { requireOrSkip } from "../engine.js";
import { APPLETS, BUSYBOX_PATH, toBuffer } from "../images.js";
import { mountsUnder, NOT_READY, nativeReady, processesOf, rejection, until } from "./containers-harness.js";

const IMAGE = "berth-test/volumes:1";
/** The image's VOLUME, holding `seed.txt` (uid 1000, mode 0640) and `sub/deep.txt`. */
const SEEDED = "/seed";

let dir = "";
let runtime: Runtime;
const made: string[] = [];

/** busybox, its applets, and a seeded directory declared a VOLUME. */
async function imageTar(): Promise<Buffer> {
  const busybox = readFileSync(BUSYBOX_PATH);
  const pack = tar.pack();
  const mtime = new Date("2024-01-01T00:00:00Z");
  const add = (header: Partial<tar.Header> & { name: string }, content?: string | Buffer): void => {
    const full = { uid: 0, gid: 0, mtime, ...header };
    if (content === undefined) pack.entry(full);
    else pack.entry(full, content);
  };
  for (const d of ["bin", "dev", "etc", "proc", "sys", "tmp", "seed", "seed/sub", "data"]) {
    add({ name: d, type: "directory", mode: 0o755 });
  }
  add({ name: "bin/busybox", type: "file", mode: 0o755, size: busybox.length }, busybox);
  for (const applet of APPLETS) add({ name: `bin/${applet}`, type: "symlink", linkname: "busybox" });
  add({ name: "seed/seed.txt", type: "file", mode: 0o640, uid: 1000, gid: 1000 }, "from the image\n");
  add({ name: "seed/sub/deep.txt", type: "file", mode: 0o644 }, "deep\n");
  add({ name: "data/image.txt", type: "file", mode: 0o644 }, "image data\n");
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(toBuffer(chunk));
  return Buffer.concat(chunks);
}

beforeAll(async () => {
  if (!nativeReady) return;
  dir = mkdtempSync("/var/tmp/berth-vr-");
  runtime = createNativeRuntime({
    env: { ...process.env, BERTH_ROOT: path.join(dir, "root"), BERTH_RUN_ROOT: path.join(dir, "run") },
  });
  await runtime.images.importRootfs(Readable.from([await imageTar()]), {
    reference: IMAGE,
    changes: ["ENV PATH=/bin", `VOLUME ${SEEDED}`, 'CMD ["/bin/sh"]'],
  });
}, 60_000);

afterAll(async () => {
  if (!nativeReady) return;
  for (const id of made)
    await runtime.containers.remove(id, { force: true, volumes: true }).catch(() => undefined);
  for (const v of await runtime.volumes.list()) await runtime.volumes.remove(v.name, { force: true });
  const left = mountsUnder(dir);
  await runtime.close();
  if (left.length === 0) rmSync(dir, { recursive: true, force: true });
  expect(left).toEqual([]);
}, 60_000);

beforeEach((context) => {
  requireOrSkip(context, nativeReady, NOT_READY);
});

let counter = 0;
const unique = (what: string): string => `vr-${process.pid}-${++counter}-${what}`;

async function create(spec: Partial<ContainerSpec>): Promise<string> {
  const { id } = await runtime.containers.create({ image: IMAGE, name: unique("c"), labels: {}, ...spec });
  made.push(id);
  return id;
}

/** Runs `script` in a new container to its exit (no network); its id and exit code. */
async function run(script: string, spec: Partial<ContainerSpec> = {}): Promise<{ id: string; code: number }> {
  const id = await create({ command: ["sh", "-c", script], networkMode: "none", ...spec });
  await runtime.containers.start(id);
  const { exitCode } = await runtime.containers.wait(id, { signal: AbortSignal.timeout(15_000) });
  return { id, code: exitCode };
}

const root = (): string => path.join(dir, "root");
const dataOf = (name: string): string => path.join(root(), "volumes", name, "_data");
const mounted = (target: string): boolean =>
  readFileSync("/proc/mounts", "utf8")
    .split("\n")
    .some((line) => line.split(" ")[1] === target);

describe("native volumes through the Runtime", () => {
  it("keeps a named volume's data after its container is removed, for the next container", async () => {
    const name = unique("data");
    await runtime.volumes.create({ name, labels: { "berth.test": "1" } });
    const mount = { type: "volume", source: name, target: "/data" } as const;
    const writer = await run("echo persisted > /data/file", { mounts: [mount] });
    expect(writer.code).toBe(0);
    // In use by a container, even an exited one: refused, even forced, as on Docker.
    expect(await rejection(runtime.volumes.remove(name, { force: true }))).toBeInstanceOf(ConflictError);
    await runtime.containers.remove(writer.id, { volumes: true });
    expect(await readFile(path.join(dataOf(name), "file"), "utf8")).toBe("persisted\n");
    const reader = await run('test "$(cat /data/file)" = persisted', { mounts: [mount] });
    expect(reader.code).toBe(0);
    await runtime.containers.remove(reader.id);
    await runtime.volumes.remove(name);
    expect(existsSync(path.join(root(), "volumes", name))).toBe(false);
  });

  it("fills a volume from the image's content at its target, unless nocopy", async () => {
    const filled = unique("filled");
    const empty = unique("nocopy");
    const id = await create({
      mounts: [
        { type: "volume", source: filled, target: SEEDED },
        { type: "volume", source: empty, target: "/data", noCopy: true },
      ],
    });
    // Made on first use, as `docker run -v name:/x` makes it.
    expect((await runtime.volumes.inspect(filled))?.driver).toBe("local");
    const seed = await stat(path.join(dataOf(filled), "seed.txt"));
    expect([seed.uid, seed.mode & 0o777]).toEqual([1000, 0o640]);
    expect(await readFile(path.join(dataOf(filled), "sub", "deep.txt"), "utf8")).toBe("deep\n");
    expect(existsSync(path.join(dataOf(empty), "image.txt"))).toBe(false);
    await runtime.containers.remove(id);
    // A volume holding anything is not filled again; an empty one is, once nocopy is not asked.
    await writeFile(path.join(dataOf(filled), "seed.txt"), "changed\n");
    const again = await run('test "$(cat /seed/seed.txt)" = changed && test -e /data/image.txt', {
      mounts: [
        { type: "volume", source: filled, target: SEEDED },
        { type: "volume", source: empty, target: "/data" },
      ],
    });
    expect(again.code).toBe(0);
    await runtime.containers.remove(again.id);
    await runtime.volumes.remove(filled);
    await runtime.volumes.remove(empty);
  });

  it("makes anonymous volumes for `- /x` and the image's VOLUMEs; rm -v removes those, not named ones", async () => {
    const named = unique("named");
    const id = await create({
      mounts: [
        { type: "volume", target: "/scratch", labels: { "berth.test": "anon" } },
        { type: "volume", source: named, target: "/data" },
      ],
    });
    const state = await runtime.containers.inspect(id);
    const byTarget = new Map(state?.mounts.map((m) => [m.target, m]));
    const scratch = byTarget.get("/scratch");
    const seed = byTarget.get(SEEDED);
    expect(scratch).toMatchObject({ type: "volume", readOnly: false });
    expect(scratch?.name).toMatch(/^[0-9a-f]{64}$/);
    expect(scratch?.source).toBe(dataOf(scratch?.name ?? ""));
    expect(byTarget.get("/data")).toMatchObject({ type: "volume", name: named, source: dataOf(named) });
    expect(seed?.name).toMatch(/^[0-9a-f]{64}$/);
    expect((await runtime.volumes.inspect(scratch?.name ?? ""))?.labels).toEqual({
      "berth.test": "anon",
      "com.docker.volume.anonymous": "",
    });
    expect((await runtime.volumes.inspect(seed?.name ?? ""))?.labels).toEqual({
      "com.docker.volume.anonymous": "",
    });
    // The image's VOLUME is filled from the image like any volume.
    expect(await readFile(path.join(dataOf(seed?.name ?? ""), "seed.txt"), "utf8")).toBe("from the image\n");
    // config.json binds a volume with no propagation option, as dockerd writes it.
    const config = JSON.parse(
      readFileSync(path.join(dir, "run", "containers", id, "config.json"), "utf8"),
    ) as { mounts: { destination: string; source: string; options: string[] }[] };
    expect(config.mounts.find((m) => m.destination === "/data")).toEqual({
      destination: "/data",
      type: "bind",
      source: dataOf(named),
      options: ["rbind"],
    });
    // The list names the volumes of the local driver (ps' Mounts and LocalVolumes).
    const listed = (await runtime.containers.list({ all: true })).find((c) => c.id === id);
    expect(listed?.mounts?.filter((m) => m.driver === "local").length).toBe(3);

    await runtime.containers.remove(id, { volumes: true });
    expect(await runtime.volumes.inspect(scratch?.name ?? "")).toBeUndefined();
    expect(await runtime.volumes.inspect(seed?.name ?? "")).toBeUndefined();
    expect(await runtime.volumes.inspect(named)).toBeDefined();

    // Without -v they stay, as on Docker.
    const kept = await create({ mounts: [{ type: "volume", target: "/scratch" }] });
    const anonymous = (await runtime.containers.inspect(kept))?.mounts.map((m) => m.name ?? "") ?? [];
    expect(anonymous.length).toBe(2);
    await runtime.containers.remove(kept);
    for (const name of anonymous) {
      expect(await runtime.volumes.inspect(name)).toBeDefined();
      await runtime.volumes.remove(name);
    }
    await runtime.volumes.remove(named);
  });

  it("mounts driver_opts tmpfs and bind volumes while a container has them, and unmounts them after", async () => {
    const tmpfs = unique("tmpfs");
    const bind = unique("bind");
    const device = path.join(dir, "device");
    await mkdir(device);
    await runtime.volumes.create({
      name: tmpfs,
      labels: {},
      driverOpts: { type: "tmpfs", device: "tmpfs", o: "size=1m" },
    });
    await runtime.volumes.create({ name: bind, labels: {}, driverOpts: { type: "none", o: "bind", device } });
    const mounts = [
      { type: "volume", source: tmpfs, target: "/t" },
      { type: "volume", source: bind, target: "/b" },
    ] as const;
    const writer = await run("echo t > /t/file && echo b > /b/file && grep -q ' /t tmpfs ' /proc/mounts", {
      mounts,
    });
    expect(writer.code).toBe(0);
    expect([mounted(dataOf(tmpfs)), mounted(dataOf(bind))]).toEqual([true, true]);
    expect(await readFile(path.join(device, "file"), "utf8")).toBe("b\n");
    await runtime.containers.remove(writer.id);
    expect([mounted(dataOf(tmpfs)), mounted(dataOf(bind))]).toEqual([false, false]);
    // The bind's device keeps its data; a tmpfs volume's data went with its mount.
    expect(await readFile(path.join(device, "file"), "utf8")).toBe("b\n");
    expect(existsSync(path.join(dataOf(tmpfs), "file"))).toBe(false);
    await runtime.volumes.remove(tmpfs);
    await runtime.volumes.remove(bind);
    expect(existsSync(path.join(device, "file"))).toBe(true);
  });

  it("mounts a driver_opts volume again at a start after a reboot took its mount", async () => {
    const name = unique("reboot");
    const device = path.join(dir, "reboot-device");
    await mkdir(device);
    await runtime.volumes.create({ name, labels: {}, driverOpts: { type: "none", o: "bind", device } });
    const id = await create({
      command: ["sh", "-c", "echo written > /v/file"],
      networkMode: "none",
      mounts: [{ type: "volume", source: name, target: "/v" }],
    });
    // What a reboot does: BERTH_RUN_ROOT emptied (the volume's references) and the mount gone.
    spawnSync("umount", [dataOf(name)]);
    rmSync(path.join(dir, "run", "volumes"), { recursive: true, force: true });
    expect(mounted(dataOf(name))).toBe(false);
    await runtime.containers.start(id);
    expect((await runtime.containers.wait(id, { signal: AbortSignal.timeout(15_000) })).exitCode).toBe(0);
    // Written through to the device, not into the bare _data.
    expect(await readFile(path.join(device, "file"), "utf8")).toBe("written\n");
    await runtime.containers.remove(id);
    expect(mounted(dataOf(name))).toBe(false);
    await runtime.volumes.remove(name);
  });

  it("gives volumes_from the other container's mounts, read-only with :ro", async () => {
    const name = unique("shared");
    const hostDir = path.join(dir, "shared-bind");
    const source = await create({
      command: ["sleep", "30"],
      networkMode: "none",
      mounts: [
        { type: "volume", source: name, target: "/data" },
        { type: "bind", source: hostDir, target: "/host" },
      ],
    });
    // The short syntax's bind source is made when missing.
    expect((await stat(hostDir)).isDirectory()).toBe(true);
    const sourceName = (await runtime.containers.inspect(source))?.name ?? "";
    const writer = await run("echo shared > /data/file && echo host > /host/file", {
      volumesFrom: [sourceName],
    });
    expect(writer.code).toBe(0);
    const reader = await run(
      'test "$(cat /data/file)" = shared && test "$(cat /host/file)" = host && ! touch /data/x && ! touch /host/x',
      { volumesFrom: [`${sourceName}:ro`] },
    );
    expect(reader.code).toBe(0);
    const mounts = (await runtime.containers.inspect(reader.id))?.mounts ?? [];
    expect(mounts.find((m) => m.target === "/data")).toMatchObject({ type: "volume", name, readOnly: true });
    expect(await rejection(create({ volumesFrom: ["no-such-container"] }))).toBeInstanceOf(NotFoundError);
    for (const id of [reader.id, writer.id, source]) await runtime.containers.remove(id, { volumes: true });
    await runtime.volumes.remove(name);
  });

  it("enforces read_only volumes, and refuses a missing bind source when it may not be made", async () => {
    const name = unique("ro");
    const ro = await run("! touch /data/x", {
      mounts: [{ type: "volume", source: name, target: "/data", readOnly: true }],
    });
    expect(ro.code).toBe(0);
    await runtime.containers.remove(ro.id);
    await runtime.volumes.remove(name);
    const missing = path.join(dir, "missing");
    const before = (await runtime.volumes.list()).map((v) => v.name);
    const error = await rejection(
      create({
        mounts: [
          { type: "volume", target: "/scratch" },
          { type: "bind", source: missing, target: "/m", createHostPath: false },
        ],
      }),
    );
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(existsSync(missing)).toBe(false);
    // The failed create made its anonymous volumes (and the image's) and took them back.
    expect((await runtime.volumes.list()).map((v) => v.name)).toEqual(before);
  });

  it("removes the anonymous volumes of an rm -v killed half-way when the next command finishes it", async () => {
    const id = await create({ mounts: [{ type: "volume", target: "/scratch" }] });
    const anonymous = (await runtime.containers.inspect(id))?.mounts.map((m) => m.name ?? "") ?? [];
    expect(anonymous).toHaveLength(2);
    // What `rm -v` has done when it is killed just after it marked the container for removal.
    const paths = nativePaths({ BERTH_ROOT: root(), BERTH_RUN_ROOT: path.join(dir, "run") });
    createNativeVolumes(paths).removeWith(id);
    const file = path.join(paths.containers, id, "container.json");
    const dead = spawnSync("true").pid ?? 0;
    const record = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...record, state: "removing", owner: { pid: dead, start: "0" } }));
    // The next command (a list) finishes the removal, volumes included.
    expect((await runtime.containers.list({ all: true })).map((c) => c.id)).not.toContain(id);
    for (const name of anonymous) expect(await runtime.volumes.inspect(name)).toBeUndefined();
  });

  it("removes an auto-removed container's anonymous volumes with it (run --rm -d), not its named ones", async () => {
    const named = unique("kept");
    const id = await create({
      command: ["true"],
      networkMode: "none",
      autoRemove: true,
      mounts: [
        { type: "volume", target: "/scratch" },
        { type: "volume", source: named, target: "/data" },
      ],
    });
    const anonymous = (await runtime.containers.inspect(id))?.mounts.flatMap((m) =>
      m.name !== undefined && m.name !== named ? [m.name] : [],
    );
    expect(anonymous).toHaveLength(2);
    await runtime.containers.start(id);
    // Removed by the supervisor when its exit comes (this process does not look at it meanwhile).
    const record = path.join(root(), "containers", id);
    await until(15_000, "the --rm container removed", () => !existsSync(record));
    for (const name of anonymous ?? []) expect(await runtime.volumes.inspect(name)).toBeUndefined();
    await runtime.volumes.remove(named);
  });

  it("leaves nothing mounted nor any process of its containers", async () => {
    for (const id of made.splice(0)) {
      await runtime.containers.remove(id, { force: true, volumes: true }).catch(() => undefined);
      expect(processesOf(id)).toEqual([]);
    }
    expect(mountsUnder(dir)).toEqual([]);
    expect(readdirSync(path.join(root(), "containers")).filter((n) => !n.startsWith("."))).toEqual([]);
  });
});
