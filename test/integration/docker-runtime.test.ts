/**
 * The Docker backend against a real engine: every Runtime method, on objects each test creates under
 * a unique name and the label `berth.test=<run id>`, removed after each test; the last test checks that
 * nothing with the run label is left. Traffic goes only to the engine's socket, to containers the
 * tests create and to the local registry on 127.0.0.1:5000. Every wait is bounded.
 *
 * Without an engine the suite is skipped (and fails under CI=true): see ./engine.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import tar from "tar-stream";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createDockerRuntime } from "../../src/runtime/docker/docker-runtime.js";
import {
  ApiError,
  ConflictError,
  EngineUnavailableError,
  InvalidRequestError,
  NotFoundError,
  RuntimeError,
} from "../../src/runtime/errors.js";
import type {
  ContainerSpec,
  LogLine,
  LogOptions,
  ProgressEvent,
  Runtime,
  RuntimeEvent,
  StreamSession,
} from "../../src/runtime/runtime.js";
import { describeEngine, engineRuntime, requireOrSkip, RUN_ID, TEST_LABEL } from "./engine.js";
import { ensureTestImage, toBuffer } from "./images.js";

const LABEL_TERM = `${TEST_LABEL}=${RUN_ID}`;
const LABELS = { [TEST_LABEL]: RUN_ID } as const;
/** The local registry scripts/ci/dockerd.sh starts (loopback only). */
const REGISTRY = process.env.BERTH_TEST_REGISTRY ?? "127.0.0.1:5000";

let runtime: Runtime;
let image: string;
let counter = 0;
/** `berth-it-<run>-<n>-<what>`: unique per test process, recognisable in `docker ps -a`. */
const unique = (what: string): string => `berth-it-${RUN_ID}-${++counter}-${what}`;

// --- cleanup ----------------------------------------------------------------------------------

const made = {
  containers: [] as string[],
  networks: [] as string[],
  volumes: [] as string[],
  images: [] as string[],
};

async function ignoreNotFound(work: Promise<void>): Promise<void> {
  try {
    await work;
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
}

async function removeMade(): Promise<string[]> {
  const problems: string[] = [];
  const attempt = async (what: string, work: () => Promise<void>): Promise<void> => {
    try {
      await ignoreNotFound(work());
    } catch (error) {
      problems.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  for (const id of made.containers.splice(0)) {
    await attempt(`container ${id}`, () => runtime.containers.remove(id, { force: true, volumes: true }));
  }
  for (const id of made.networks.splice(0)) await attempt(`network ${id}`, () => runtime.networks.remove(id));
  for (const name of made.volumes.splice(0)) {
    await attempt(`volume ${name}`, () => runtime.volumes.remove(name, { force: true }));
  }
  for (const ref of made.images.splice(0)) {
    await attempt(`image ${ref}`, () => runtime.images.remove(ref, { force: true }));
  }
  return problems;
}

/** Everything still carrying the run label, as readable lines (empty when nothing leaked). */
async function leftovers(): Promise<string[]> {
  const [containers, networks, volumes, images] = await Promise.all([
    runtime.containers.list({ all: true, labels: [LABEL_TERM] }),
    runtime.networks.list({ labels: [LABEL_TERM] }),
    runtime.volumes.list({ labels: [LABEL_TERM] }),
    runtime.images.list({ labels: [LABEL_TERM] }),
  ]);
  return [
    ...containers.map((c) => `container ${c.name} (${c.id.slice(0, 12)}, ${c.status})`),
    ...networks.map((n) => `network ${n.name} (${n.id.slice(0, 12)})`),
    ...volumes.map((v) => `volume ${v.name}`),
    ...images.map((i) => `image ${i.repoTags.join(",") || i.id}`),
  ];
}

// --- helpers ----------------------------------------------------------------------------------

async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `check` every 100 ms until it returns true, at most `ms`. */
async function eventually(ms: number, what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  for (let i = 0; i < 1000 && Date.now() < deadline; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what}: not true within ${ms} ms`);
}

type Extra = Partial<Omit<ContainerSpec, "labels">> & { readonly labels?: Record<string, string> };

async function createContainer(extra: Extra = {}): Promise<string> {
  const { id } = await runtime.containers.create({
    image,
    ...extra,
    name: extra.name ?? unique("c"),
    labels: { ...LABELS, ...extra.labels },
  });
  made.containers.push(id);
  return id;
}

/** A started container that sleeps (PID 1 `sleep` ignores SIGTERM, so a stop waits its timeout). */
async function sleeper(extra: Extra = {}): Promise<string> {
  const id = await createContainer({ command: ["sleep", "60"], ...extra });
  await runtime.containers.start(id);
  return id;
}

async function waitExit(id: string, ms = 15_000): Promise<number> {
  const result = await runtime.containers.wait(id, { signal: AbortSignal.timeout(ms) });
  return result.exitCode;
}

async function collectLogs(id: string, options: LogOptions = {}): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  for await (const line of runtime.containers.logs(id, { signal: AbortSignal.timeout(15_000), ...options })) {
    lines.push(line);
  }
  return lines;
}

const lines = (logs: readonly LogLine[], stream: "stdout" | "stderr"): string[] =>
  logs.filter((l) => l.stream === stream).map((l) => l.line);

/** Runs `command` to its exit; returns the exit code and the log lines per stream. */
async function run(command: readonly string[], extra: Extra = {}) {
  const id = await createContainer({ command, ...extra });
  await runtime.containers.start(id);
  const exitCode = await waitExit(id);
  const logs = await collectLogs(id);
  return { id, exitCode, stdout: lines(logs, "stdout"), stderr: lines(logs, "stderr") };
}

/** Reads a session's output to its end, closing it after `ms` (then `timedOut`). */
async function drain(session: StreamSession, ms = 10_000) {
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    session.close();
  }, ms);
  const out: Record<"stdout" | "stderr", Buffer[]> = { stdout: [], stderr: [] };
  try {
    for await (const chunk of session.output) out[chunk.stream].push(Buffer.from(chunk.data));
  } catch (error) {
    if (!timedOut) throw error;
  } finally {
    clearTimeout(timer);
  }
  return {
    stdout: Buffer.concat(out.stdout).toString("utf8"),
    stderr: Buffer.concat(out.stderr).toString("utf8"),
    timedOut,
  };
}

async function tarOf(files: Readonly<Record<string, string>>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, content] of Object.entries(files)) {
    pack.entry({ name, mode: 0o644, mtime: new Date() }, content);
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(toBuffer(chunk));
  return Buffer.concat(chunks);
}

async function untar(stream: Readable): Promise<Map<string, string>> {
  const extract = tar.extract();
  const files = new Map<string, string>();
  stream.on("error", (error) => extract.destroy(error));
  stream.pipe(extract);
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(toBuffer(chunk));
    files.set(entry.header.name, Buffer.concat(chunks).toString("utf8"));
  }
  return files;
}

async function rejection(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection, got a result");
}

async function registryAnswers(): Promise<boolean> {
  try {
    const response = await fetch(`http://${REGISTRY}/v2/`, { signal: AbortSignal.timeout(2_000) });
    return response.status === 200;
  } catch {
    return false;
  }
}

function tempDir(files: Readonly<Record<string, string>>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "berth-it-"));
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), content);
  return dir;
}

// --- the suite --------------------------------------------------------------------------------

describeEngine("Docker runtime against a real engine", () => {
  beforeAll(async () => {
    runtime = engineRuntime();
    image = await ensureTestImage(runtime, AbortSignal.timeout(60_000));
  }, 90_000);

  afterEach(async () => {
    const problems = await removeMade();
    expect(problems, "cleanup after the test").toEqual([]);
  }, 60_000);

  afterAll(async () => {
    if (!runtime) return;
    // A failed test may have left objects its cleanup missed: sweep by label so the next run starts
    // clean (the leak test below has already reported them).
    for (const c of await runtime.containers.list({ all: true, labels: [LABEL_TERM] })) {
      await ignoreNotFound(runtime.containers.remove(c.id, { force: true, volumes: true }));
    }
    for (const n of await runtime.networks.list({ labels: [LABEL_TERM] })) {
      await ignoreNotFound(runtime.networks.remove(n.id));
    }
    for (const v of await runtime.volumes.list({ labels: [LABEL_TERM] })) {
      await ignoreNotFound(runtime.volumes.remove(v.name, { force: true }));
    }
    for (const i of await runtime.images.list({ labels: [LABEL_TERM] })) {
      await ignoreNotFound(runtime.images.remove(i.id, { force: true }));
    }
    await runtime.close();
  }, 60_000);

  describe("ping", () => {
    it("reports a Docker engine speaking API 1.41 or newer", async () => {
      const info = await runtime.ping(AbortSignal.timeout(5_000));
      expect(info.kind).toBe("docker");
      expect(info.version).not.toBe("");
      expect(info.os).toBe("linux");
      const [major = 0, minor = 0] = (info.apiVersion ?? "0.0").split(".").map(Number);
      expect(major * 1000 + minor, `apiVersion ${info.apiVersion}`).toBeGreaterThanOrEqual(1041);
    });
  });

  describe("images", () => {
    it("inspects the imported test image and lists it by reference", async () => {
      const info = await runtime.images.inspect(image);
      expect(info).toBeDefined();
      expect(info?.id).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(info?.repoTags).toContain(image);
      expect(info?.config.cmd).toEqual(["/bin/sh"]);
      expect(info?.config.env.some((e) => e.startsWith("PATH="))).toBe(true);
      expect(info?.size).toBeGreaterThan(1_000_000);
      const listed = await runtime.images.list({ reference: image });
      expect(listed.map((i) => i.id)).toEqual([info?.id]);
      expect(await runtime.images.inspect(`berth-test/absent-${RUN_ID}:nope`)).toBeUndefined();
    });

    it("keeps the test image once imported (a second ensure imports nothing)", async () => {
      const before = await runtime.images.inspect(image);
      const again = createDockerRuntime();
      try {
        expect(await ensureTestImage(again)).toBe(image);
      } finally {
        await again.close();
      }
      expect((await runtime.images.inspect(image))?.created).toEqual(before?.created);
    });

    it("tags an image and removes only the tag", async () => {
      const target = `berth-test/tagged-${RUN_ID}:t1`;
      made.images.push(target);
      await runtime.images.tag(image, target);
      const original = await runtime.images.inspect(image);
      const tagged = await runtime.images.inspect(target);
      expect(tagged?.id).toBe(original?.id);
      expect(tagged?.repoTags).toEqual(expect.arrayContaining([image, target]));
      expect((await runtime.images.list({ reference: `berth-test/tagged-${RUN_ID}` })).length).toBe(1);
      await runtime.images.remove(target);
      expect(await runtime.images.inspect(target)).toBeUndefined();
      expect((await runtime.images.inspect(image))?.id).toBe(original?.id);
      expect(await rejection(runtime.images.remove(target))).toBeInstanceOf(NotFoundError);
    });

    it("imports a rootfs tarball with config changes and labels", async () => {
      const reference = `berth-test/imported-${RUN_ID}:v1`;
      made.images.push(reference);
      const rootfs = await tarOf({ "hello.txt": "hello\n" });
      const { id } = await runtime.images.importRootfs(Readable.from([rootfs]), {
        reference,
        changes: [
          `LABEL ${TEST_LABEL}=${RUN_ID}`,
          "ENV FOO=bar",
          "WORKDIR /work",
          'ENTRYPOINT ["/bin/sh", "-c"]',
          "EXPOSE 8080/tcp",
        ],
      });
      const info = await runtime.images.inspect(reference);
      expect(info?.id).toBe(id);
      expect(info?.labels).toEqual({ [TEST_LABEL]: RUN_ID });
      expect(info?.config.env).toContain("FOO=bar");
      expect(info?.config.workingDir).toBe("/work");
      expect(info?.config.entrypoint).toEqual(["/bin/sh", "-c"]);
      expect(info?.config.exposedPorts).toEqual(["8080/tcp"]);
      const byLabel = await runtime.images.list({ labels: [LABEL_TERM] });
      expect(byLabel.map((i) => i.id)).toContain(id);
    });

    it("rejects a pull from an unreachable registry with the engine's message", async () => {
      const error = await within(
        30_000,
        "pull 127.0.0.1:1/nothing:latest",
        rejection(runtime.images.pull("127.0.0.1:1/nothing:latest", { signal: AbortSignal.timeout(25_000) })),
      );
      expect(error instanceof ApiError || error instanceof NotFoundError, String(error)).toBe(true);
      const message = (error as RuntimeError).message;
      // The daemon's own words: it names the registry address and the refused connection.
      expect(message).toContain("127.0.0.1:1");
      expect(message).toMatch(/connection refused|dial tcp/);
    }, 35_000);

    it("pushes to and pulls from the local registry", async (context) => {
      requireOrSkip(context, await registryAnswers(), `no registry answers on http://${REGISTRY}/v2/`);
      const reference = `${REGISTRY}/berth-test/busybox-${RUN_ID}:v1`;
      made.images.push(reference);
      await runtime.images.tag(image, reference);
      const pushed: ProgressEvent[] = [];
      await runtime.images.push(reference, { signal: AbortSignal.timeout(30_000) }, (e) => pushed.push(e));
      expect(pushed.length).toBeGreaterThan(0);
      await runtime.images.remove(reference);
      expect(await runtime.images.inspect(reference)).toBeUndefined();

      const pulled: ProgressEvent[] = [];
      await runtime.images.pull(reference, { signal: AbortSignal.timeout(30_000) }, (e) => pulled.push(e));
      expect(pulled.length).toBeGreaterThan(0);
      const info = await runtime.images.inspect(reference);
      expect(info?.id).toBe((await runtime.images.inspect(image))?.id);
      expect(
        info?.repoDigests.some((d) => d.startsWith(`${REGISTRY}/berth-test/busybox-${RUN_ID}@sha256:`)),
      ).toBe(true);
    }, 60_000);

    it("builds with .dockerignore honoured", async () => {
      const context = tempDir({
        Dockerfile: `FROM ${image}\nCOPY . /ctx/\nRUN ls /ctx > /listing\nCMD ["ls", "-a", "/ctx"]\n`,
        ".dockerignore": "secret.txt\n*.log\n",
        "keep.txt": "kept\n",
        "secret.txt": "must not be sent\n",
        "debug.log": "must not be sent either\n",
      });
      const tag = `berth-test/built-${RUN_ID}:v1`;
      made.images.push(tag);
      try {
        const progress: ProgressEvent[] = [];
        const { id } = await runtime.images.build(
          { context, tags: [tag], labels: LABELS, signal: AbortSignal.timeout(60_000) },
          (e) => progress.push(e),
        );
        expect(progress.map((e) => e.status).join("\n")).toMatch(/COPY \. \/ctx\//);
        const info = await runtime.images.inspect(tag);
        expect(info?.id).toBe(id);
        expect(info?.labels[TEST_LABEL]).toBe(RUN_ID);
        const result = await run(["ls", "-a", "/ctx"], { image: tag });
        expect(result.exitCode).toBe(0);
        expect(result.stdout).toContain("keep.txt");
        expect(result.stdout).toContain("Dockerfile");
        expect(result.stdout).not.toContain("secret.txt");
        expect(result.stdout).not.toContain("debug.log");
      } finally {
        rmSync(context, { recursive: true, force: true });
      }
    }, 90_000);

    it("surfaces a failing RUN step as an error naming it, leaving no build container", async () => {
      // The LABEL reaches the intermediate containers, so a failed step's container left behind
      // (the classic builder keeps it unless asked with forcerm) is found by the run label.
      const context = tempDir({
        Dockerfile: `FROM ${image}\nLABEL ${TEST_LABEL}=${RUN_ID}\nRUN true\nRUN false\n`,
      });
      const tag = `berth-test/broken-${RUN_ID}:v1`;
      made.images.push(tag);
      try {
        const progress: ProgressEvent[] = [];
        const error = await rejection(
          runtime.images.build(
            { context, tags: [tag], labels: LABELS, signal: AbortSignal.timeout(60_000) },
            (e) => progress.push(e),
          ),
        );
        expect(error).toBeInstanceOf(RuntimeError);
        const message = (error as Error).message;
        expect(message).toMatch(/RUN false|\/bin\/sh -c false/);
        expect(message).toMatch(/non-zero code: 1|exit code: 1/);
        expect(progress.map((e) => e.status).join("\n")).toMatch(/RUN false/);
        expect(await runtime.images.inspect(tag)).toBeUndefined();
      } finally {
        rmSync(context, { recursive: true, force: true });
      }
      // The steps before the failure stay as build cache (untagged images carrying the label).
      for (const i of await runtime.images.list({ labels: [LABEL_TERM] })) {
        if (i.repoTags.length === 0 || i.repoTags.every((t) => t.startsWith("<none>")))
          made.images.push(i.id);
      }
      const leftover = await runtime.containers.list({ all: true, labels: [LABEL_TERM] });
      made.containers.unshift(...leftover.map((c) => c.id));
      expect(
        leftover.map((c) => `${c.name} (${c.image}, ${c.status})`),
        "containers left by the failed build",
      ).toEqual([]);
    }, 90_000);
  });

  describe("networks", () => {
    it("creates, inspects and lists by label and exact name, and refuses a duplicate", async () => {
      const name = unique("net");
      const { id } = await runtime.networks.create({ name, labels: LABELS, driver: "bridge" });
      made.networks.push(id);
      const info = await runtime.networks.inspect(name);
      expect(info?.id).toBe(id);
      expect(info?.name).toBe(name);
      expect(info?.driver).toBe("bridge");
      expect(info?.internal).toBe(false);
      expect(info?.labels).toEqual(LABELS);
      expect(info?.ipam.pools.length).toBeGreaterThan(0);
      expect((await runtime.networks.inspect(id))?.name).toBe(name);
      expect((await runtime.networks.list({ labels: [LABEL_TERM] })).map((n) => n.id)).toContain(id);
      expect((await runtime.networks.list({ name })).map((n) => n.id)).toEqual([id]);
      // Engines match names by substring; the Runtime does not.
      expect(await runtime.networks.list({ name: name.slice(0, -2) })).toEqual([]);
      expect(await rejection(runtime.networks.create({ name, labels: LABELS }))).toBeInstanceOf(
        ConflictError,
      );
      expect((await runtime.networks.list({ name })).length).toBe(1);
    });

    it("connects with aliases so a second container resolves the first, then disconnects and removes", async () => {
      const name = unique("net");
      // Internal (no route out) and no DNS search domains: the lookup stays on the engine's embedded
      // DNS and nothing is forwarded to the host's resolvers.
      const { id: networkId } = await runtime.networks.create({ name, labels: LABELS, internal: true });
      made.networks.push(networkId);
      const alias = `db-${RUN_ID}`;
      const server = await sleeper();
      await runtime.networks.connect(name, server, { aliases: [alias] });
      const state = await runtime.containers.inspect(server);
      const endpoint = state?.networks[name];
      expect(endpoint?.networkId).toBe(networkId);
      expect(endpoint?.aliases).toContain(alias);
      const ip = endpoint?.ipAddress ?? "";
      expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      const networkInfo = await runtime.networks.inspect(name);
      expect(networkInfo?.internal).toBe(true);
      expect(Object.keys(networkInfo?.containers ?? {})).toContain(server);

      // The embedded DNS answers for the alias; `ping -c1 -W2` proves the address is reachable.
      const client = await run(["sh", "-c", `nslookup ${alias} && ping -c1 -W2 ${alias}`], {
        networkMode: name,
        dnsSearch: ["."],
      });
      expect(client.exitCode, [...client.stdout, ...client.stderr].join("\n")).toBe(0);
      expect(client.stdout.join("\n")).toContain(ip);

      // In use: the engine refuses to remove the network.
      expect(await rejection(runtime.networks.remove(name))).toBeInstanceOf(ConflictError);
      await runtime.containers.remove(client.id);
      await runtime.networks.disconnect(name, server);
      expect((await runtime.containers.inspect(server))?.networks[name]).toBeUndefined();
      expect((await runtime.networks.inspect(name))?.containers).toEqual({});
      await runtime.networks.remove(name);
      expect(await runtime.networks.inspect(name)).toBeUndefined();
      expect(await rejection(runtime.networks.remove(name))).toBeInstanceOf(NotFoundError);
    }, 30_000);
  });

  describe("volumes", () => {
    it("creates with labels, inspects, lists, refuses removal in use, and removes", async () => {
      const name = unique("vol");
      made.volumes.push(name);
      const created = await runtime.volumes.create({ name, labels: LABELS });
      expect(created.name).toBe(name);
      expect(created.driver).toBe("local");
      expect(created.labels).toEqual(LABELS);
      const info = await runtime.volumes.inspect(name);
      expect(info?.mountpoint).toContain(name);
      expect((await runtime.volumes.list({ labels: [LABEL_TERM] })).map((v) => v.name)).toContain(name);
      expect((await runtime.volumes.list({ name })).map((v) => v.name)).toEqual([name]);

      // Data written through one container is read by the next.
      const writer = await run(["sh", "-c", "echo persisted > /data/file"], {
        mounts: [{ type: "volume", source: name, target: "/data" }],
      });
      expect(writer.exitCode).toBe(0);
      const reader = await run(["cat", "/data/file"], {
        mounts: [{ type: "volume", source: name, target: "/data", readOnly: true }],
      });
      expect(reader.stdout).toEqual(["persisted"]);

      expect(await rejection(runtime.volumes.remove(name))).toBeInstanceOf(ConflictError);
      await runtime.containers.remove(writer.id);
      await runtime.containers.remove(reader.id);
      await runtime.volumes.remove(name);
      expect(await runtime.volumes.inspect(name)).toBeUndefined();
      expect(await rejection(runtime.volumes.remove(name))).toBeInstanceOf(NotFoundError);
    });
  });

  describe("containers", () => {
    it("creates, starts, inspects, lists, restarts, pauses, renames and stops with a timeout", async () => {
      const name = unique("life");
      const id = await createContainer({
        name,
        command: ["sleep", "60"],
        env: { GREETING: "hello" },
        workingDir: "/tmp",
        hostname: "berth-host",
      });
      let state = await runtime.containers.inspect(name);
      expect(state?.id).toBe(id);
      expect(state?.name).toBe(name);
      expect(state?.image).toBe(image);
      expect(state?.imageId).toBe((await runtime.images.inspect(image))?.id);
      expect(state?.labels[TEST_LABEL]).toBe(RUN_ID);
      expect(state?.status).toBe("created");
      expect(state?.running).toBe(false);
      expect(state?.health).toBeUndefined();

      await runtime.containers.start(id);
      await runtime.containers.start(id); // already running: a no-op, not an error
      state = await runtime.containers.inspect(id);
      expect(state?.status).toBe("running");
      expect(state?.pid).toBeGreaterThan(0);
      const firstStart = state?.startedAt?.getTime() ?? 0;
      expect(firstStart).toBeGreaterThan(0);

      expect((await runtime.containers.list({ labels: [LABEL_TERM] })).map((c) => c.id)).toContain(id);
      const byName = await runtime.containers.list({ name, all: true });
      expect(byName.map((c) => c.name)).toEqual([name]);
      expect(byName[0]?.status).toBe("running");
      expect(await runtime.containers.list({ name: name.slice(0, -2), all: true })).toEqual([]);

      await runtime.containers.restart(id, { timeoutS: 1 });
      state = await runtime.containers.inspect(id);
      expect(state?.status).toBe("running");
      expect(state?.startedAt?.getTime() ?? 0).toBeGreaterThan(firstStart);

      await runtime.containers.pause(id);
      expect((await runtime.containers.inspect(id))?.status).toBe("paused");
      await runtime.containers.unpause(id);
      expect((await runtime.containers.inspect(id))?.status).toBe("running");

      const renamed = unique("renamed");
      await runtime.containers.rename(id, renamed);
      expect((await runtime.containers.inspect(renamed))?.id).toBe(id);
      expect(await runtime.containers.inspect(name)).toBeUndefined();

      const stopStart = Date.now();
      await runtime.containers.stop(renamed, { timeoutS: 1 });
      const took = Date.now() - stopStart;
      // PID 1 `sleep` ignores SIGTERM: the engine waits the 1 s timeout, then kills.
      expect(took).toBeGreaterThanOrEqual(900);
      expect(took).toBeLessThan(8_000);
      state = await runtime.containers.inspect(id);
      expect(state?.status).toBe("exited");
      expect(state?.exitCode).toBe(137);
      expect(state?.finishedAt?.getTime() ?? 0).toBeGreaterThanOrEqual(state?.startedAt?.getTime() ?? 0);
      await runtime.containers.stop(id); // already stopped: a no-op
    }, 30_000);

    it("kills with a chosen signal; killing a stopped container is a no-op", async () => {
      const id = await createContainer({
        command: ["sh", "-c", "trap 'exit 42' USR1; echo ready; while true; do sleep 0.1; done"],
      });
      await runtime.containers.start(id);
      await eventually(10_000, "trap installed", async () =>
        lines(await collectLogs(id), "stdout").includes("ready"),
      );
      await runtime.containers.kill(id, "SIGUSR1");
      expect(await waitExit(id)).toBe(42);
      // Killing a stopped container changes nothing: a no-op, as the Runtime's conventions ask.
      await runtime.containers.kill(id);
      expect((await runtime.containers.inspect(id))?.exitCode).toBe(42);
    });

    it("waits for the exit code, including a wait registered before start", async () => {
      const id = await createContainer({ command: ["sh", "-c", "sleep 0.2; exit 3"] });
      const nextExit = runtime.containers.wait(id, {
        condition: "next-exit",
        signal: AbortSignal.timeout(15_000),
      });
      await runtime.containers.start(id);
      expect((await within(15_000, "wait next-exit", nextExit)).exitCode).toBe(3);
      expect(await waitExit(id)).toBe(3);
      const state = await runtime.containers.inspect(id);
      expect(state?.status).toBe("exited");
      expect(state?.exitCode).toBe(3);
    });

    it("removes a running container only with force, with its anonymous volumes", async () => {
      const id = await sleeper({
        mounts: [{ type: "volume", target: "/scratch", labels: LABELS }],
      });
      const mount = (await runtime.containers.inspect(id))?.mounts.find((m) => m.target === "/scratch");
      const volume = mount?.name ?? "";
      expect(volume).not.toBe("");
      made.volumes.push(volume);
      expect((await runtime.volumes.inspect(volume))?.labels[TEST_LABEL]).toBe(RUN_ID);

      expect(await rejection(runtime.containers.remove(id))).toBeInstanceOf(ConflictError);
      await runtime.containers.remove(id, { force: true, volumes: true });
      expect(await runtime.containers.inspect(id)).toBeUndefined();
      expect(await runtime.volumes.inspect(volume)).toBeUndefined();
    });
  });

  describe("logs", () => {
    it("keeps stdout and stderr apart, each in order, with a final partial line", async () => {
      const result = await run([
        "sh",
        "-c",
        "echo out1; echo err1 >&2; echo out2; echo err2 >&2; echo out3; printf partial",
      ]);
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toEqual(["out1", "out2", "out3", "partial"]);
      expect(result.stderr).toEqual(["err1", "err2"]);
      const stdoutOnly = await collectLogs(result.id, { stdout: true, stderr: false });
      expect(stdoutOnly.every((l) => l.stream === "stdout")).toBe(true);
      expect(stdoutOnly.map((l) => l.line)).toEqual(["out1", "out2", "out3", "partial"]);
    });

    it("gives the last lines with tail and times with timestamps", async () => {
      const result = await run(["sh", "-c", "for i in 1 2 3 4 5; do echo line$i; done"]);
      expect(result.stdout).toEqual(["line1", "line2", "line3", "line4", "line5"]);
      const tail = await collectLogs(result.id, { tail: 2 });
      expect(tail.map((l) => l.line)).toEqual(["line4", "line5"]);
      expect(tail.every((l) => l.time === undefined)).toBe(true);

      const state = await runtime.containers.inspect(result.id);
      const from = (state?.startedAt?.getTime() ?? 0) - 1_000;
      const to = (state?.finishedAt?.getTime() ?? 0) + 1_000;
      const stamped = await collectLogs(result.id, { timestamps: true });
      expect(stamped.map((l) => l.line)).toEqual(result.stdout);
      for (const line of stamped) {
        const time = line.time?.getTime() ?? 0;
        expect(time).toBeGreaterThanOrEqual(from);
        expect(time).toBeLessThanOrEqual(to);
      }
    });

    it("follows until the container exits", async () => {
      const id = await createContainer({
        command: ["sh", "-c", "for i in 1 2 3; do echo f$i; sleep 0.3; done; echo bye >&2"],
      });
      await runtime.containers.start(id);
      const signal = AbortSignal.timeout(15_000);
      const seen: LogLine[] = [];
      for await (const line of runtime.containers.logs(id, { follow: true, signal })) seen.push(line);
      expect(signal.aborted, "the follow ended on its own, not by the 15 s bound").toBe(false);
      expect(lines(seen, "stdout")).toEqual(["f1", "f2", "f3"]);
      expect(lines(seen, "stderr")).toEqual(["bye"]);
    });

    it("rejects logs of a missing container with NotFound", async () => {
      const error = await rejection(collectLogs(`berth-it-${RUN_ID}-missing`));
      expect(error).toBeInstanceOf(NotFoundError);
    });
  });

  describe("attach", () => {
    it("sends stdin and receives stdout and stderr apart", async () => {
      const id = await createContainer({
        command: ["sh", "-c", "read line; echo got:$line; echo err:$line >&2"],
        stdinOpen: true,
      });
      const session = await runtime.containers.attach(id, {
        stdin: true,
        signal: AbortSignal.timeout(15_000),
      });
      expect(session.stdin).toBeDefined();
      await runtime.containers.start(id);
      session.stdin?.write("hello\n");
      const output = await drain(session);
      expect(output.timedOut).toBe(false);
      expect(output.stdout).toBe("got:hello\n");
      expect(output.stderr).toBe("err:hello\n");
      expect(await waitExit(id)).toBe(0);
    });
    it("resizes a TTY container (stty size reports it)", async () => {
      const id = await createContainer({
        command: ["sh", "-c", "read go; stty size"],
        tty: true,
        stdinOpen: true,
      });
      const session = await runtime.containers.attach(id, {
        stdin: true,
        signal: AbortSignal.timeout(15_000),
      });
      await runtime.containers.start(id);
      await runtime.containers.resize(id, { rows: 40, cols: 120 });
      expect((await runtime.containers.inspect(id))?.tty).toBe(true);
      session.stdin?.write("go\n");
      const output = await drain(session);
      expect(output.timedOut).toBe(false);
      expect(output.stderr).toBe(""); // a TTY has one stream
      expect(output.stdout).toMatch(/\b40 120\r?\n/);
      expect(await waitExit(id)).toBe(0);
    });
  });

  describe("exec", () => {
    it("ends when stdin is half-closed (echo hi | cat)", async () => {
      const id = await sleeper();
      const session = await runtime.containers.exec(id, { command: ["cat"], stdin: true });
      session.stdin?.write("hi\n");
      session.stdin?.end();
      const output = await drain(session);
      expect(output.timedOut, "cat saw EOF").toBe(false);
      expect(output.stdout).toBe("hi\n");
      expect(await within(10_000, "exec exit code", session.exitCode())).toBe(0);
    });

    it("reports exit codes and keeps stdout and stderr apart", async () => {
      const id = await sleeper();
      const session = await runtime.containers.exec(id, {
        command: ["sh", "-c", "echo o; echo e >&2; exit 7"],
      });
      const output = await drain(session);
      expect(output).toEqual({ stdout: "o\n", stderr: "e\n", timedOut: false });
      expect(await within(10_000, "exec exit code", session.exitCode())).toBe(7);
    });

    it("runs with env, user and working directory", async () => {
      const id = await sleeper();
      const session = await runtime.containers.exec(id, {
        command: ["sh", "-c", 'echo "$FOO|$(id -u):$(id -g)|$(pwd)"'],
        env: { FOO: "bar baz" },
        user: "1234:5678",
        workingDir: "/tmp",
      });
      const output = await drain(session);
      expect(output.stdout).toBe("bar baz|1234:5678|/tmp\n");
      expect(await within(10_000, "exec exit code", session.exitCode())).toBe(0);
    });

    it("resizes a TTY exec (stty size reports it)", async () => {
      const id = await sleeper();
      const session = await runtime.containers.exec(id, {
        command: ["sh", "-c", "read go; stty size"],
        tty: true,
        stdin: true,
      });
      await session.resize({ rows: 33, cols: 101 });
      session.stdin?.write("go\n");
      const output = await drain(session);
      expect(output.timedOut).toBe(false);
      expect(output.stderr).toBe(""); // a TTY has one stream
      expect(output.stdout).toMatch(/\b33 101\r?\n/);
      expect(await within(10_000, "exec exit code", session.exitCode())).toBe(0);
    });

    it("refuses exec in a missing or stopped container", async () => {
      expect(
        await rejection(runtime.containers.exec(`berth-it-${RUN_ID}-missing`, { command: ["true"] })),
      ).toBeInstanceOf(NotFoundError);
      const stopped = await run(["true"]);
      expect(await rejection(runtime.containers.exec(stopped.id, { command: ["true"] }))).toBeInstanceOf(
        ConflictError,
      );
    });
  });

  describe("top, stats, copy", () => {
    it("lists the processes of a running container", async () => {
      const id = await sleeper();
      const top = await runtime.containers.top(id);
      expect(top.titles).toContain("PID");
      expect(top.processes.some((p) => p.join(" ").includes("sleep 60"))).toBe(true);
      const custom = await runtime.containers.top(id, "-o pid,comm");
      expect(custom.titles).toEqual(["PID", "COMMAND"]);
      expect(custom.processes.map((p) => p[1])).toContain("sleep");
    });

    it("gives one stats sample, and a stream that stops when the loop does", async () => {
      const id = await sleeper();
      const samples = [];
      for await (const s of runtime.containers.stats(id, {
        stream: false,
        signal: AbortSignal.timeout(15_000),
      })) {
        samples.push(s);
      }
      expect(samples.length).toBe(1);
      const [sample] = samples;
      expect(sample?.memoryUsageBytes).toBeGreaterThan(0);
      expect(sample?.memoryLimitBytes).toBeGreaterThan(0);
      expect(sample?.pids).toBeGreaterThanOrEqual(1);
      expect(sample?.cpuPercent).toBeGreaterThanOrEqual(0);
      expect(Math.abs((sample?.time.getTime() ?? 0) - Date.now())).toBeLessThan(60_000);

      let streamed = 0;
      for await (const _ of runtime.containers.stats(id, {
        stream: true,
        signal: AbortSignal.timeout(15_000),
      })) {
        if (++streamed === 2) break;
      }
      expect(streamed).toBe(2);
    });

    it("copies a file in and back out (tar round trip)", async () => {
      const id = await sleeper();
      const content = `hello from berth ${RUN_ID}\n`;
      await runtime.containers.copyTo(id, "/tmp", Readable.from([await tarOf({ "hello.txt": content })]));
      const check = await runtime.containers.exec(id, { command: ["cat", "/tmp/hello.txt"] });
      expect((await drain(check)).stdout).toBe(content);
      const files = await untar(await runtime.containers.copyFrom(id, "/tmp/hello.txt"));
      expect([...files.keys()]).toEqual(["hello.txt"]);
      expect(files.get("hello.txt")).toBe(content);
      expect(await rejection(runtime.containers.copyFrom(id, "/tmp/absent.txt"))).toBeInstanceOf(
        NotFoundError,
      );
    });
  });

  describe("events", () => {
    it("sees start and die for a container, and abort ends the stream", async () => {
      const since = new Date(Date.now() - 2_000);
      const controller = new AbortController();
      const bound = setTimeout(() => controller.abort(), 15_000);
      const id = await createContainer({ command: ["sh", "-c", "exit 5"] });
      await runtime.containers.start(id);
      const seen: RuntimeEvent[] = [];
      try {
        for await (const event of runtime.events(
          { labels: [LABEL_TERM], types: ["container"], since },
          controller.signal,
        )) {
          if (event.id !== id) continue;
          seen.push(event);
          if (seen.some((e) => e.action === "die")) controller.abort();
        }
      } finally {
        clearTimeout(bound);
      }
      const actions = seen.map((e) => e.action);
      expect(actions).toEqual(expect.arrayContaining(["create", "start", "die"]));
      expect(actions.indexOf("start")).toBeLessThan(actions.indexOf("die"));
      const die = seen.find((e) => e.action === "die");
      expect(die?.exitCode).toBe(5);
      expect(die?.type).toBe("container");
      expect(die?.attributes[TEST_LABEL]).toBe(RUN_ID);
    });
  });

  describe("typed errors", () => {
    it("NotFound for a missing container; inspect gives undefined", async () => {
      const missing = `berth-it-${RUN_ID}-missing`;
      expect(await runtime.containers.inspect(missing)).toBeUndefined();
      // Thunks, not promises: each call starts only when awaited, so no rejection goes unhandled meanwhile.
      for (const call of [
        () => runtime.containers.start(missing),
        () => runtime.containers.stop(missing),
        () => runtime.containers.remove(missing),
        () => runtime.containers.wait(missing, { signal: AbortSignal.timeout(5_000) }),
      ]) {
        const error = await rejection(call());
        expect(error).toBeInstanceOf(NotFoundError);
        expect((error as NotFoundError).status).toBe(404);
      }
    });

    it("Conflict for a duplicate container name, with the engine's message", async () => {
      const name = unique("dup");
      await createContainer({ name, command: ["true"] });
      const error = await rejection(createContainer({ name, command: ["true"] }));
      expect(error).toBeInstanceOf(ConflictError);
      expect((error as ConflictError).message).toContain("already in use");
    });

    it("Invalid for a container name the engine refuses", async () => {
      const error = await rejection(createContainer({ name: "bad name!", command: ["true"] }));
      expect(error).toBeInstanceOf(InvalidRequestError);
    });

    it("EngineUnavailable for a socket that does not exist", async () => {
      const absent = createDockerRuntime({ host: "unix:///nonexistent.sock" });
      try {
        const error = await within(10_000, "ping", rejection(absent.ping(AbortSignal.timeout(5_000))));
        expect(error).toBeInstanceOf(EngineUnavailableError);
        expect((error as Error).message).toContain("/nonexistent.sock");
        expect(await rejection(absent.containers.list())).toBeInstanceOf(EngineUnavailableError);
      } finally {
        await absent.close();
      }
    });
  });

  describe("leaks", () => {
    it("leaves no container, network, volume or image with the run label", async () => {
      expect(await leftovers(), `objects labelled ${LABEL_TERM} left behind`).toEqual([]);
    });
  });
});
