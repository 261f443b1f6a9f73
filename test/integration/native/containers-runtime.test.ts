/**
 * The native Runtime as the CLI makes it (`--runtime native`: real config.json from the oci part),
 * as root: a process that over-allocates under a memory limit is OOM-killed and reported so
 * (oomKilled, exit 137, the oom and die events); `network_mode: host` shares the host's network
 * namespace and `none` has only loopback; a named network or a volume is refused with a sentence
 * saying they come with part 2.
 */
import { mkdtempSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidRequestError } from "../../../src/runtime/errors.js";
import { runtimeBackend } from "../../../src/runtime/backends.js";
import type { Runtime, RuntimeEvent } from "../../../src/runtime/runtime.js";
import { requireOrSkip } from "../engine.js";
import { BUSYBOX_PATH, buildRootfsTar } from "../images.js";
import { mountsUnder, nativeReady, NOT_READY, rejection } from "./containers-harness.js";

const IMAGE = "berth-test/busybox:runtime";
let dir = "";
let runtime: Runtime | undefined;
const made: string[] = [];

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

  it("refuses networks and volumes until part 2, saying so", async (context) => {
    requireOrSkip(context, nativeReady, NOT_READY);
    const network = await rejection(
      runtime!.containers.create({
        name: "berth-rt-netx",
        image: IMAGE,
        labels: {},
        networkMode: "proj_default",
      }),
    );
    expect(network).toBeInstanceOf(InvalidRequestError);
    expect((network as Error).message).toContain("part 2");
    const volume = await rejection(
      runtime!.containers.create({
        name: "berth-rt-vol",
        image: IMAGE,
        labels: {},
        mounts: [{ type: "volume", source: "data", target: "/data" }],
      }),
    );
    expect((volume as Error).message).toContain("part 2");
    expect(await rejection(runtime!.networks.create({ name: "n", labels: {} }))).toBeInstanceOf(
      InvalidRequestError,
    );
    expect(await runtime!.networks.list()).toEqual([]);
    expect(await runtime!.volumes.list()).toEqual([]);
    expect((await runtime!.ping()).kind).toBe("native");
  });
});
