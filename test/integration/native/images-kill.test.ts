/**
 * A pull killed half-way leaves nothing half-valid: a berth process pulling from a registry that
 * stops sending mid-layer is SIGKILLed while it holds the blob's lock and a partial temporary file;
 * the next pull breaks the stale lock, sweeps the temporary, and ends with the whole image. The
 * registry is a small server in this test (the manifest, config and layer of a busybox rootfs), so
 * the stall is certain; the pull is the real one, in a process of its own. A pull that stays in
 * this process meets the same stall and fails after the idle bound, naming the registry.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { build } from "rolldown";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256 } from "../../../src/runtime/native/images/digest.js";
import { openImageStore } from "../../../src/runtime/native/images/image-store.js";
import { MediaType } from "../../../src/runtime/native/images/media-types.js";
import { nativePaths } from "../../../src/runtime/native/paths.js";
import { requireOrSkip } from "../engine.js";
import { BUSYBOX_PATH, buildRootfsTar } from "../images.js";

const runcFound = existsSync("/usr/sbin/runc") || existsSync("/usr/bin/runc");
const native = process.getuid?.() === 0 && runcFound;

/** Polls `check` every 20 ms for at most `ms`. */
async function until(check: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("native pull killed half-way", () => {
  let base: string;
  let child: string;
  let server: http.Server | undefined;
  let stall = true;
  let layer: Buffer;
  let config: Buffer;
  let manifest: Buffer;
  let reference: string;
  const registry = {
    daemonConfigPath: "/nonexistent/daemon.json",
    dockerConfigPath: "/nonexistent/config.json",
  };
  const processes: ChildProcess[] = [];
  const stalled: http.ServerResponse[] = [];

  beforeAll(async () => {
    if (!native) return;
    base = mkdtempSync("/var/tmp/berth-images-kill-");
    child = path.join(base, "child.mjs");
    await build({
      input: path.join(import.meta.dirname, "images-child.ts"),
      platform: "node",
      external: [/^node:/],
      logLevel: "warn",
      output: { file: child, format: "esm" },
    });
    layer = await buildRootfsTar(readFileSync(BUSYBOX_PATH));
    config = Buffer.from(
      JSON.stringify({
        architecture: "amd64",
        os: "linux",
        rootfs: { type: "layers", diff_ids: [sha256(layer)] },
      }),
    );
    manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        config: { mediaType: MediaType.ociConfig, digest: sha256(config), size: config.length },
        layers: [{ mediaType: MediaType.ociLayer, digest: sha256(layer), size: layer.length }],
      }),
    );
    const blobs: Record<string, Buffer> = { [sha256(config)]: config, [sha256(layer)]: layer };
    server = http.createServer((req, res) => {
      const url = req.url ?? "";
      if (url === "/v2/") return void res.writeHead(200).end("{}");
      if (url.includes("/manifests/")) {
        return void res
          .writeHead(200, {
            "Content-Type": MediaType.ociManifest,
            "Docker-Content-Digest": sha256(manifest),
          })
          .end(manifest);
      }
      const blob = blobs[url.slice(url.lastIndexOf("/") + 1)];
      if (!blob) return void res.writeHead(404).end();
      res.writeHead(200, { "Content-Length": String(blob.length) });
      if (blob === layer && stall) {
        res.write(blob.subarray(0, blob.length >> 1)); // then nothing more, until the test ends
        stalled.push(res);
        return;
      }
      res.end(blob);
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    reference = `127.0.0.1:${(server.address() as AddressInfo).port}/berth-test/killed:1`;
  }, 60_000);

  afterAll(async () => {
    for (const process of processes) process.kill("SIGKILL");
    for (const response of stalled) response.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    if (base) rmSync(base, { recursive: true, force: true });
  });

  it("leaves no blob, no temporary and no held lock; the next pull completes the image", async (ctx) => {
    requireOrSkip(ctx, native, "native tests need root and runc");
    const env = { BERTH_ROOT: path.join(base, "root"), BERTH_RUN_ROOT: path.join(base, "run") };
    const paths = nativePaths(env);
    const sha = path.join(paths.blobs, "sha256");
    const pulling = spawn(process.execPath, [child, JSON.stringify(env), reference], { stdio: "ignore" });
    processes.push(pulling);
    // Killed once half the layer sits in a temporary file, under the blob's lock.
    const partial = (): string[] =>
      existsSync(sha)
        ? readdirSync(sha).filter(
            (name) => name.startsWith(".tmp-") && statSync(path.join(sha, name)).size >= layer.length >> 1,
          )
        : [];
    await until(() => partial().length === 1, 15_000);
    const lock = path.join(paths.locks, `blob-${sha256(layer).slice(7)}.lock`);
    expect(existsSync(lock)).toBe(true);
    pulling.kill("SIGKILL");
    await new Promise((resolve) => pulling.once("exit", resolve));
    expect(existsSync(path.join(sha, sha256(layer).slice(7)))).toBe(false);

    stall = false;
    const store = openImageStore(paths, {
      registry: {
        daemonConfigPath: "/nonexistent/daemon.json",
        dockerConfigPath: "/nonexistent/config.json",
      },
    });
    await store.pull(reference);
    expect((await store.resolve(reference)).id).toBe(sha256(config));
    expect(readdirSync(sha).filter((name) => name.startsWith(".tmp-"))).toEqual([]);
    expect(readdirSync(sha).sort()).toEqual(
      [config, layer, manifest].map((bytes) => sha256(bytes).slice(7)).sort(),
    );
    expect(existsSync(lock)).toBe(false);
  }, 60_000);

  it("a download that goes quiet fails after the idle bound, naming the registry, leaving only whole blobs", async (ctx) => {
    requireOrSkip(ctx, native, "native tests need root and runc");
    stall = true;
    const paths = nativePaths({
      BERTH_ROOT: path.join(base, "idle-root"),
      BERTH_RUN_ROOT: path.join(base, "idle-run"),
    });
    const store = openImageStore(paths, { registry, downloadIdleMs: 300 });
    const started = Date.now();
    await expect(store.pull(reference)).rejects.toThrow(
      new RegExp(`registry 127\\.0\\.0\\.1:\\d+ sent nothing for 0\\.3s while downloading ${sha256(layer)}`),
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    const sha = path.join(paths.blobs, "sha256");
    expect(readdirSync(sha).sort()).toEqual([config, manifest].map((bytes) => sha256(bytes).slice(7)).sort());
    expect(await store.inspect(reference)).toBeUndefined();
  });
});
