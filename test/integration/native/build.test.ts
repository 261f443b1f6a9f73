/**
 * Native builds beyond the conformance cases (as root): a RUN step's layer holds only what the
 * command changed, ARG/ENV substitution reaches COPY and the config, and --target stops at a stage.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import tar from "tar-stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNativeRuntime } from "../../../src/runtime/native/native-runtime.js";
import { openImageStore } from "../../../src/runtime/native/images/image-store.js";
import { nativePaths } from "../../../src/runtime/native/paths.js";
import type { Runtime } from "../../../src/runtime/runtime.js";
import { requireOrSkip } from "../engine.js";
import { importBase, scriptOutput } from "./build-harness.js";
import { mountsUnder, nativeReady, NOT_READY } from "./containers-harness.js";

const BASE = "berth-test/busybox:build";

async function layerNames(blob: Buffer): Promise<string[]> {
  const names: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const extract = tar.extract();
    extract.on("entry", (header, stream, next) => {
      names.push(header.name);
      stream.on("end", next);
      stream.resume();
    });
    extract.on("finish", resolve);
    extract.on("error", reject);
    extract.end(blob);
  });
  return names;
}

describe("native build", () => {
  let dir: string;
  let env: Record<string, string>;
  let runtime: Runtime;

  beforeAll(async () => {
    if (!nativeReady) return;
    dir = mkdtempSync("/var/tmp/berth-build-");
    env = { BERTH_ROOT: path.join(dir, "root"), BERTH_RUN_ROOT: path.join(dir, "run") };
    runtime = createNativeRuntime({ env });
    await importBase(runtime, BASE);
  });

  afterAll(async () => {
    if (!dir) return;
    expect(await runtime.containers.list({ all: true })).toEqual([]);
    expect(mountsUnder(dir)).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  });

  function context(files: Record<string, string>): string {
    const ctx = mkdtempSync(path.join(dir, "ctx-"));
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(ctx, name), text);
    return ctx;
  }

  it("commits only what a RUN changed, with ARG and ENV expanded as the classic builder does", async (ctx) => {
    requireOrSkip(ctx, nativeReady, NOT_READY);
    const context1 = context({
      Dockerfile: [
        `ARG BASE=${BASE}`,
        "FROM $BASE",
        "ARG DIR=/data",
        "ENV TARGET=${DIR:-/none}/out",
        "COPY a.txt ${TARGET}/",
        "RUN echo made > /made.txt",
        'CMD ["cat", "/made.txt"]',
      ].join("\n"),
      "a.txt": "a\n",
    });
    const { id } = await runtime.images.build({ context: context1, tags: ["berth-test/built:one"] });
    const store = openImageStore(nativePaths(env));
    const image = await store.resolve(id);
    expect(image.config.config?.Env).toContain("TARGET=/data/out");
    expect(image.config.config?.Cmd).toEqual(["cat", "/made.txt"]);
    const record = (await store.parts.records.get(id as `sha256:${string}`))!;
    const [copyLayer, runLayer] = record.layers.slice(-2);
    expect(await layerNames(await store.parts.blobs.read(copyLayer!.digest))).toEqual([
      "data/",
      "data/out/",
      "data/out/a.txt",
    ]);
    expect(await layerNames(await store.parts.blobs.read(runLayer!.digest))).toEqual(["made.txt"]);
    expect(image.config.history?.at(-2)?.created_by).toBe("|1 DIR=/data /bin/sh -c echo made > /made.txt");
  }, 60_000);

  it("builds the stages up to --target, FROM an earlier stage, and a RUN's deletion hides the file", async (ctx) => {
    requireOrSkip(ctx, nativeReady, NOT_READY);
    const ctxDir = context({
      Dockerfile: [
        `FROM ${BASE} AS one`,
        "RUN echo one > /one && rm /bin/wget",
        "FROM one AS two",
        "RUN echo two > /two",
        "FROM two AS three",
        "RUN echo three > /three",
      ].join("\n"),
    });
    const { id } = await runtime.images.build({
      context: ctxDir,
      tags: ["berth-test/built:two"],
      target: "TWO",
    });
    expect((await runtime.images.inspect("berth-test/built:two"))?.id).toBe(id);
    const lines = (await scriptOutput(runtime, id, "cat /one /two; ls /three /bin/wget 2>&1; true")).split(
      "\n",
    );
    expect(lines.slice(0, 2)).toEqual(["one", "two"]);
    expect(lines.slice(2).join("\n")).toMatch(/\/three.*No such file[\s\S]*\/bin\/wget.*No such file/);
    await expect(runtime.images.build({ context: ctxDir, tags: ["x:y"], target: "four" })).rejects.toThrow(
      "failed to reach build target four in Dockerfile",
    );
  }, 60_000);

  it("fails a RUN with its command, exit code and output, and removes its container", async (ctx) => {
    requireOrSkip(ctx, nativeReady, NOT_READY);
    const ctxDir = context({ Dockerfile: `FROM ${BASE}\nRUN echo boom >&2; exit 3\n` });
    await expect(
      runtime.images.build({ context: ctxDir, tags: ["berth-test/built:broken"] }),
    ).rejects.toMatchObject({
      message: "The command '/bin/sh -c echo boom >&2; exit 3' returned a non-zero code: 3",
      hint: "the step printed:\nboom",
    });
    expect(await runtime.containers.list({ all: true })).toEqual([]);
  }, 60_000);

  it("stops a RUN when the build is aborted, leaving no container", async (ctx) => {
    requireOrSkip(ctx, nativeReady, NOT_READY);
    const ctxDir = context({ Dockerfile: `FROM ${BASE}\nRUN sleep 30\n` });
    const started = Date.now();
    await expect(
      runtime.images.build({
        context: ctxDir,
        tags: ["berth-test/built:slow"],
        signal: AbortSignal.timeout(1500),
      }),
    ).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(await runtime.containers.list({ all: true })).toEqual([]);
  }, 60_000);
});
