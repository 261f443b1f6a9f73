/**
 * The native Runtime as the CLI makes it (`--runtime native`: real config.json from the oci part),
 * as root: a process that over-allocates under a memory limit is OOM-killed and reported so
 * (oomKilled, exit 137, the oom and die events); `network_mode: host` shares the host's network
 * namespace and `none` has only loopback; a network that does not exist (or another driver than
 * bridge) is refused as Docker words it. What the oci part reads from the host reaches the container: a
 * privileged one starts (capabilities limited to the host's bounding set) with the host's devices,
 * `devices`, `group_add` and `cgroup_parent` apply (remove clears the cgroup under that parent), and
 * create returns Docker's warnings for this host. Copy in and out reaches bind mounts at their
 * sources and refuses a read-only rootfs; pause refuses what Docker refuses.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmdirSync,
  rmSync,
} from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import tar from "tar-stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConflictError, InvalidRequestError, NotFoundError } from "../../../src/runtime/errors.js";
import { runtimeBackend } from "../../../src/runtime/backends.js";
import type { Runtime, RuntimeEvent } from "../../../src/runtime/runtime.js";
import { nativeContainerDeps } from "../../../src/runtime/native/container-deps.js";
import { cgroupDirs } from "../../../src/runtime/native/containers/cgroups.js";
import { capabilitiesIn } from "../../../src/runtime/native/oci/capabilities.js";
import { createNativeContainers } from "../../../src/runtime/native/containers/containers.js";
import { openImageStore } from "../../../src/runtime/native/images/image-store.js";
import { nativePaths } from "../../../src/runtime/native/paths.js";
import { requireOrSkip } from "../engine.js";
import { BUSYBOX_PATH, buildRootfsTar } from "../images.js";
import { mountsUnder, nativeReady, NOT_READY, rejection } from "./containers-harness.js";

const IMAGE = "berth-test/busybox:runtime";
let dir = "";
let runtime: Runtime | undefined;
const made: string[] = [];
const PARENT = `berth-test-parent-${process.pid}`;

/** A line of /proc/<pid>/status (`CapBnd`, `Groups`, …). */
function statusField(pid: number | undefined, field: string): string {
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${field}:`));
  return (line ?? "").slice(field.length + 1).trim();
}

describe("native runtime", () => {
  beforeAll(async () => {
    if (!nativeReady) return;
    dir = mkdtempSync("/var/tmp/berth-rt-");
    runtime = await runtimeBackend("native").create({
      BERTH_ROOT: path.join(dir, "root"),
      BERTH_RUN_ROOT: path.join(dir, "run"),
    });
    const tarball = await buildRootfsTar(readFileSync(BUSYBOX_PATH));
    await runtime.images.importRootfs(Readable.from([tarball]), {
      reference: IMAGE,
      changes: ["ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 'CMD ["sh"]'],
    });
  }, 30_000);

  afterAll(async () => {
    if (!runtime) return;
    for (const id of made) await runtime.containers.remove(id, { force: true }).catch(() => undefined);
    // The parent runc leaves (as it leaves /berth): this test's own, removed in every hierarchy.
    for (const hierarchy of readdirSync("/sys/fs/cgroup")) {
      const parent = path.join("/sys/fs/cgroup", hierarchy, PARENT);
      if (existsSync(parent)) rmdirSync(parent);
    }
    const left = mountsUnder(dir);
    rmSync(dir, { recursive: true, force: true });
    expect(left).toEqual([]);
  }, 30_000);

  it("reports a process OOM-killed under its memory limit", async (context) => {
    requireOrSkip(context, nativeReady, NOT_READY);
    const since = new Date();
    const { id } = await runtime!.containers.create({
      name: "berth-rt-oom",
      image: IMAGE,
      labels: {},
      // Doubles a shell variable until the 16 MiB limit is met.
      command: ["sh", "-c", "x=0123456789abcdef; while true; do x=$x$x; done"],
      resources: { memoryBytes: 16 * 1024 * 1024, memorySwapBytes: 16 * 1024 * 1024 },
    });
    made.push(id);
    await runtime!.containers.start(id);
    expect(await runtime!.containers.wait(id, { signal: AbortSignal.timeout(20_000) })).toEqual({
      exitCode: 137,
    });
    const state = await runtime!.containers.inspect(id);
    expect(state?.oomKilled).toBe(true);
    expect(state?.exitCode).toBe(137);
    const seen: RuntimeEvent[] = [];
    for await (const event of runtime!.events({ since, until: new Date() }))
      if (event.id === id) seen.push(event);
    expect(seen.map((e) => e.action)).toEqual(["create", "start", "oom", "die"]);
  });

  it("shares the host's network namespace with network_mode host, and has its own with none", async (context) => {
    requireOrSkip(context, nativeReady, NOT_READY);
    const hostNet = readlinkSync("/proc/self/ns/net");
    for (const [mode, same] of [
      ["host", true],
      ["none", false],
    ] as const) {
      const { id } = await runtime!.containers.create({
        name: `berth-rt-net-${mode}`,
        image: IMAGE,
        labels: {},
        command: ["sleep", "30"],
        networkMode: mode,
      });
      made.push(id);
      await runtime!.containers.start(id);
      const state = await runtime!.containers.inspect(id);
      expect(readlinkSync(`/proc/${state?.pid}/ns/net`) === hostNet).toBe(same);
      // Docker names `none` and `host` as the container's network, in inspect and in the list.
      expect(Object.keys(state?.networks ?? {})).toEqual([mode]);
      const listed = await runtime!.containers.list({ name: `berth-rt-net-${mode}` });
      expect(listed[0]?.networks).toEqual([mode]);
      await runtime!.containers.remove(id, { force: true });
    }
  });

  it("refuses a network that does not exist, and a driver other than bridge, as Docker words them", async (context) => {
    requireOrSkip(context, nativeReady, NOT_READY);
    const network = await rejection(
      runtime!.containers.create({
        name: "berth-rt-netx",
        image: IMAGE,
        labels: {},
        networkMode: "proj_default",
      }),
    );
    expect(network).toBeInstanceOf(NotFoundError);
    expect((network as Error).message).toBe("network proj_default not found");
    // Nothing of the refused create is left: its name is free again.
    expect(await runtime!.containers.inspect("berth-rt-netx")).toBeUndefined();
    const overlay = await rejection(runtime!.networks.create({ name: "n", driver: "overlay", labels: {} }));
    expect(overlay).toBeInstanceOf(InvalidRequestError);
    expect((overlay as Error).message).toContain("bridge only");
    expect(await runtime!.networks.list()).toEqual([]);
    expect((await runtime!.ping()).kind).toBe("native");
  });

  it("starts a privileged container with the host's bounding set and devices; devices, group_add and cgroup_parent apply", async (context) => {
    requireOrSkip(context, nativeReady, NOT_READY);
    const { id } = await runtime!.containers.create({
      name: "berth-rt-priv",
      image: IMAGE,
      labels: {},
      command: ["sleep", "30"],
      networkMode: "none",
      privileged: true,
      groupAdd: ["4321"],
      cgroupParent: PARENT,
    });
    made.push(id);
    await runtime!.containers.start(id);
    const pid = (await runtime!.containers.inspect(id))?.pid;
    // Every capability Docker 20.10 knows (up to CAP_AUDIT_READ) that the host's bounding set holds.
    expect(capabilitiesIn(statusField(pid, "CapBnd"))).toEqual(
      capabilitiesIn(statusField(process.pid, "CapBnd")),
    );
    expect(statusField(pid, "Groups").split(" ")).toContain("4321");
    expect(readFileSync(`/proc/${pid}/cgroup`, "utf8")).toContain(`/${PARENT}/${id}`);
    // The host's device nodes (runc's HostDevices): /dev/kmsg is one every Linux host has.
    expect(existsSync(`/proc/${pid}/root/dev/kmsg`)).toBe(true);
    const dirs = cgroupDirs(id, PARENT);
    expect(dirs.filter((d) => existsSync(d)).length).toBeGreaterThan(0);
    await runtime!.containers.remove(id, { force: true });
    expect(dirs.filter((d) => existsSync(d))).toEqual([]);

    const device = await runtime!.containers.create({
      name: "berth-rt-dev",
      image: IMAGE,
      labels: {},
      command: ["sleep", "30"],
      networkMode: "none",
      devices: [{ source: "/dev/null", target: "/dev/berth-null", permissions: "rwm" }],
    });
    made.push(device.id);
    await runtime!.containers.start(device.id);
    const devicePid = (await runtime!.containers.inspect(device.id))?.pid;
    expect(existsSync(`/proc/${devicePid}/root/dev/berth-null`)).toBe(true);
    await runtime!.containers.remove(device.id, { force: true });
  });

  it("returns Docker's warnings from create for the host it runs on", async (context) => {
    requireOrSkip(context, nativeReady, NOT_READY);
    const paths = nativePaths({ BERTH_ROOT: path.join(dir, "root"), BERTH_RUN_ROOT: path.join(dir, "run") });
    // A host without swap accounting (memory.memsw.*), as many kernels boot.
    const deps = nativeContainerDeps(openImageStore(paths), { cgroupVersion: 1, memswAvailable: false });
    const containers = createNativeContainers({ paths, deps });
    const { id, warnings } = await containers.create({
      name: "berth-rt-warn",
      image: IMAGE,
      labels: {},
      networkMode: "none",
      resources: { memoryBytes: 32 * 1024 * 1024 },
    });
    made.push(id);
    expect(warnings).toEqual([
      "Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.",
    ]);
  });

  it("copies into and out of a bind mount at its source, and refuses to write into a read-only rootfs", async (context) => {
    requireOrSkip(context, nativeReady, NOT_READY);
    const source = path.join(dir, "bind");
    mkdirSync(source);
    const { id } = await runtime!.containers.create({
      name: "berth-rt-copy",
      image: IMAGE,
      labels: {},
      command: ["sleep", "30"],
      networkMode: "none",
      readOnlyRootfs: true,
      mounts: [{ type: "bind", source, target: "/data" }],
    });
    made.push(id);
    await runtime!.containers.start(id);
    const archive = async (name: string, text: string): Promise<Readable> => {
      const pack = tar.pack();
      pack.entry({ name }, text);
      pack.finalize();
      const chunks: Buffer[] = [];
      for await (const chunk of pack) chunks.push(chunk as Buffer);
      return Readable.from([Buffer.concat(chunks)]);
    };
    await runtime!.containers.copyTo(id, "/data", await archive("in.txt", "from the host"));
    // The container sees it, so the host's source has it (not the rootfs under the mount).
    expect(readFileSync(path.join(source, "in.txt"), "utf8")).toBe("from the host");
    const out = await runtime!.containers.copyFrom(id, "/data/in.txt");
    const names: string[] = [];
    for await (const entry of out.pipe(tar.extract())) {
      names.push(entry.header.name);
      entry.resume();
    }
    expect(names).toEqual(["in.txt"]);
    const refused = await rejection(runtime!.containers.copyTo(id, "/tmp", await archive("x", "x")));
    expect(refused).toBeInstanceOf(ConflictError);
    expect((refused as Error).message).toContain("read-only");
    await runtime!.containers.remove(id, { force: true });
  });

  it("pauses and unpauses, refusing to pause one not running or paused, and to unpause one not paused", async (context) => {
    requireOrSkip(context, nativeReady, NOT_READY);
    const { id } = await runtime!.containers.create({
      name: "berth-rt-pause",
      image: IMAGE,
      labels: {},
      command: ["sleep", "30"],
      networkMode: "none",
    });
    made.push(id);
    expect(await rejection(runtime!.containers.pause(id))).toBeInstanceOf(ConflictError);
    await runtime!.containers.start(id);
    await runtime!.containers.pause(id);
    expect((await runtime!.containers.inspect(id))?.status).toBe("paused");
    expect(await rejection(runtime!.containers.pause(id))).toBeInstanceOf(ConflictError);
    await runtime!.containers.unpause(id);
    expect(await rejection(runtime!.containers.unpause(id))).toBeInstanceOf(ConflictError);
    await runtime!.containers.remove(id, { force: true });
  });
});
