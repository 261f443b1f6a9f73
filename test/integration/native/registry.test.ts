/**
 * The registry client against real registries (Debian's `docker-registry`, distribution 2.8):
 * - the open registry on 127.0.0.1:5000 that scripts/ci/dockerd.sh starts: push blobs and an OCI
 *   manifest, get them back by tag and by digest, HEAD, cross-repository mount, Docker's wording
 *   for what is missing, and the Accept header that keeps a Docker manifest from being downgraded;
 * - a second registry this file starts on another loopback port with htpasswd Basic auth (the
 *   bcrypt line below was made once, offline, for the password in it): anonymous is refused,
 *   config.json's `auths` and a credential helper both get in, a wrong password never shows;
 * - a port where nothing listens and one that never answers: one error naming the registry.
 * Everything pushed to the shared registry is deleted after; the second registry and its files go.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiError, NotFoundError } from "../../../src/runtime/errors.js";
import {
  createRegistryClient,
  digestOf,
  MEDIA_TYPES,
  parseReference,
  type RegistryClient,
  RegistryUnreachableError,
} from "../../../src/runtime/native/registry/index.js";
import { requireOrSkip, RUN_ID } from "../engine.js";

const OPEN_REGISTRY = "127.0.0.1:5000";
const USER = "berth";
const PASSWORD = "berth-test-pass";
/** bcrypt (cost 4) of PASSWORD; distribution's htpasswd accepts only bcrypt. */
const HTPASSWD = `${USER}:$2b$04$kKbYQM57W.TiKG.1vQDwIuQi44p0FzT0DODL2fz4TmwLDz59P6MGu\n`;
const REGISTRY_BIN = ["/usr/bin/docker-registry", "/usr/local/bin/docker-registry"].find((p) =>
  existsSync(p),
);

const scratch = mkdtempSync(path.join("/var/tmp", "berth-registry-test-"));
const noDaemonJson = path.join(scratch, "no-daemon.json");
const noDockerConfig = path.join(scratch, "no-config.json");

async function openRegistryAnswers(): Promise<boolean> {
  try {
    const res = await fetch(`http://${OPEN_REGISTRY}/v2/`, { signal: AbortSignal.timeout(3000) });
    return res.status === 200;
  } catch {
    return false;
  }
}
const openUp = await openRegistryAnswers();

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A one-layer OCI image: config, layer and manifest bytes with their digests. */
function testImage(): { config: Buffer; layer: Buffer; manifest: Buffer; manifestDigest: string } {
  const layer = randomBytes(2048);
  const config = Buffer.from(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      rootfs: { type: "layers", diff_ids: [digestOf(layer)] },
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: {
        mediaType: "application/vnd.oci.image.config.v1+json",
        digest: digestOf(config),
        size: config.length,
      },
      layers: [
        { mediaType: "application/vnd.oci.image.layer.v1.tar", digest: digestOf(layer), size: layer.length },
      ],
    }),
  );
  return { config, layer, manifest, manifestDigest: digestOf(manifest) };
}

async function pushImage(
  client: RegistryClient,
  name: string,
  tag: string,
  image = testImage(),
): Promise<typeof image> {
  for (const blob of [image.config, image.layer]) {
    await client.putBlob(name, digestOf(blob), Readable.from([blob]), blob.length);
  }
  await client.putManifest(name, tag, image.manifest, MEDIA_TYPES.ociManifest);
  return image;
}

/** What this file pushed to the shared registry: deleted in afterAll (the registry allows deletes). */
const pushed: { repo: string; manifests: Set<string>; blobs: Set<string> }[] = [];

afterAll(async () => {
  for (const { repo, manifests, blobs } of pushed) {
    for (const d of manifests)
      await fetch(`http://${OPEN_REGISTRY}/v2/${repo}/manifests/${d}`, { method: "DELETE" });
    for (const d of blobs) await fetch(`http://${OPEN_REGISTRY}/v2/${repo}/blobs/${d}`, { method: "DELETE" });
  }
  rmSync(scratch, { recursive: true, force: true });
});

describe("registry client: the open registry on 127.0.0.1:5000", () => {
  const repo = `berth-test/registry-${RUN_ID}`;
  const mirrorRepo = `berth-test/registry-mount-${RUN_ID}`;
  const name = `${OPEN_REGISTRY}/${repo}`;
  let client: RegistryClient;

  beforeAll(() => {
    client = createRegistryClient({ daemonConfigPath: noDaemonJson, dockerConfigPath: noDockerConfig });
  });
  afterAll(() => client.close());

  it("pushes blobs and an OCI manifest, and gets them back by tag and by digest", async (ctx) => {
    requireOrSkip(ctx, openUp, `no open registry on ${OPEN_REGISTRY} (scripts/ci/dockerd.sh start)`);
    const image = testImage();
    const layerDigest = digestOf(image.layer);
    pushed.push({
      repo,
      manifests: new Set([image.manifestDigest]),
      blobs: new Set([layerDigest, digestOf(image.config)]),
    });

    expect(await client.hasBlob(name, layerDigest)).toBe(false);
    expect(await client.putBlob(name, layerDigest, Readable.from([image.layer]), image.layer.length)).toEqual(
      {
        outcome: "uploaded",
      },
    );
    expect(await client.hasBlob(name, layerDigest)).toBe(true);
    // Already there: nothing is sent and the stream handed over is closed.
    const again = Readable.from([image.layer]);
    expect(await client.putBlob(name, layerDigest, again, image.layer.length)).toEqual({ outcome: "exists" });
    expect(again.destroyed).toBe(true);
    await client.putBlob(
      name,
      digestOf(image.config),
      () => Readable.from([image.config]),
      image.config.length,
    );

    expect(await client.putManifest(name, "v1", image.manifest, MEDIA_TYPES.ociManifest)).toEqual({
      digest: image.manifestDigest,
    });

    const byTag = await client.getManifest(`${name}:v1`);
    expect(byTag.bytes.equals(image.manifest)).toBe(true);
    expect(byTag.mediaType).toBe(MEDIA_TYPES.ociManifest);
    expect(byTag.digest).toBe(image.manifestDigest);

    const byDigest = await client.getManifest(parseReference(`${name}@${image.manifestDigest}`));
    expect(byDigest.bytes.equals(image.manifest)).toBe(true);
    expect(byDigest.digest).toBe(image.manifestDigest);

    expect((await readAll(await client.getBlob(name, layerDigest))).equals(image.layer)).toBe(true);
    expect(
      (
        await readAll(await client.getBlob(name, digestOf(image.config), { size: image.config.length }))
      ).equals(image.config),
    ).toBe(true);
  });

  it("mounts a blob from another repository of the same registry instead of uploading it", async (ctx) => {
    requireOrSkip(ctx, openUp, `no open registry on ${OPEN_REGISTRY} (scripts/ci/dockerd.sh start)`);
    const layer = randomBytes(512);
    const d = digestOf(layer);
    pushed.push({ repo, manifests: new Set(), blobs: new Set([d]) });
    pushed.push({ repo: mirrorRepo, manifests: new Set(), blobs: new Set([d]) });
    await client.putBlob(name, d, Readable.from([layer]), layer.length);
    let opened = false;
    const result = await client.putBlob(
      `${OPEN_REGISTRY}/${mirrorRepo}`,
      d,
      () => {
        opened = true;
        return Readable.from([layer]);
      },
      layer.length,
      { mountFrom: name },
    );
    expect(result).toEqual({ outcome: "mounted" });
    expect(opened).toBe(false);
    expect(await client.hasBlob(`${OPEN_REGISTRY}/${mirrorRepo}`, d)).toBe(true);
  });

  it("asks for the OCI and Docker types, so a Docker manifest comes back as pushed, not as schema 1", async (ctx) => {
    requireOrSkip(ctx, openUp, `no open registry on ${OPEN_REGISTRY} (scripts/ci/dockerd.sh start)`);
    const layer = randomBytes(256);
    const config = Buffer.from(
      JSON.stringify({
        architecture: "amd64",
        os: "linux",
        config: {},
        rootfs: { type: "layers", diff_ids: [digestOf(layer)] },
        history: [{}],
      }),
    );
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.dockerManifest,
        config: {
          mediaType: "application/vnd.docker.container.image.v1+json",
          size: config.length,
          digest: digestOf(config),
        },
        layers: [
          {
            mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip",
            size: layer.length,
            digest: digestOf(layer),
          },
        ],
      }),
    );
    pushed.push({
      repo,
      manifests: new Set([digestOf(manifest)]),
      blobs: new Set([digestOf(layer), digestOf(config)]),
    });
    await client.putBlob(name, digestOf(layer), Readable.from([layer]), layer.length);
    await client.putBlob(name, digestOf(config), Readable.from([config]), config.length);
    await client.putManifest(name, "docker-v2", manifest, MEDIA_TYPES.dockerManifest);

    const got = await client.getManifest(`${name}:docker-v2`);
    expect(got.mediaType).toBe(MEDIA_TYPES.dockerManifest);
    expect(got.bytes.equals(manifest)).toBe(true);
  });

  it("says what is missing as Docker does, as NotFound", async (ctx) => {
    requireOrSkip(ctx, openUp, `no open registry on ${OPEN_REGISTRY} (scripts/ci/dockerd.sh start)`);
    const missing = client.getManifest(`${OPEN_REGISTRY}/berth-test/never-pushed-${RUN_ID}:nope`);
    await expect(missing).rejects.toBeInstanceOf(NotFoundError);
    await expect(missing).rejects.toThrow(
      `manifest for ${OPEN_REGISTRY}/berth-test/never-pushed-${RUN_ID}:nope not found: manifest unknown: manifest unknown`,
    );
    const blob = client.getBlob(name, digestOf(Buffer.from(`missing ${RUN_ID}`)));
    await expect(blob).rejects.toBeInstanceOf(NotFoundError);
    await expect(blob).rejects.toThrow(
      /^blob sha256:[0-9a-f]{64} of 127\.0\.0\.1:5000\/berth-test\/registry-\w+: blob unknown/,
    );
  });
});

describe("registry client: a registry with htpasswd Basic auth", () => {
  const dir = path.join(scratch, "basic");
  let port = 0;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  beforeAll(async () => {
    if (REGISTRY_BIN === undefined) return;
    port = await freePort();
    rmSync(dir, { recursive: true, force: true });
    const { mkdirSync } = await import("node:fs");
    mkdirSync(path.join(dir, "data"), { recursive: true });
    writeFileSync(path.join(dir, "htpasswd"), HTPASSWD);
    writeFileSync(
      path.join(dir, "config.yml"),
      [
        "version: 0.1",
        "log:",
        "  level: error",
        "storage:",
        "  filesystem:",
        `    rootdirectory: ${path.join(dir, "data")}`,
        "http:",
        `  addr: 127.0.0.1:${port}`,
        "auth:",
        "  htpasswd:",
        "    realm: berth-test",
        `    path: ${path.join(dir, "htpasswd")}`,
        "",
      ].join("\n"),
    );
    const started = spawn(REGISTRY_BIN, ["serve", path.join(dir, "config.yml")], { stdio: "ignore" });
    child = started;
    exited = new Promise((resolve) => started.once("exit", () => resolve()));
    // Up when /v2/ challenges; bounded to 15 s.
    const deadline = Date.now() + 15_000;
    for (let i = 0; i < 150 && Date.now() < deadline; i++) {
      const status = await fetch(`http://127.0.0.1:${port}/v2/`).then(
        (r) => r.status,
        () => 0,
      );
      if (status === 401) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`docker-registry did not come up on 127.0.0.1:${port}`);
  }, 20_000);

  afterAll(async () => {
    if (child?.pid !== undefined && child.exitCode === null) {
      child.kill("SIGTERM");
      const killer = setTimeout(() => child?.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  function configWith(content: object): string {
    const file = path.join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify(content));
    return file;
  }

  it("is refused anonymously with the registry's own sentence", async (ctx) => {
    requireOrSkip(
      ctx,
      REGISTRY_BIN !== undefined,
      "docker-registry is not installed (apt-get install docker-registry)",
    );
    const client = createRegistryClient({ daemonConfigPath: noDaemonJson, dockerConfigPath: noDockerConfig });
    try {
      const refused = client.getManifest(`127.0.0.1:${port}/app:latest`);
      await expect(refused).rejects.toBeInstanceOf(ApiError);
      await expect(refused).rejects.toThrow(
        `manifest for 127.0.0.1:${port}/app:latest: unauthorized: authentication required`,
      );
    } finally {
      client.close();
    }
  });

  it("pushes and pulls with config.json's auths, and a wrong password never shows in the error", async (ctx) => {
    requireOrSkip(
      ctx,
      REGISTRY_BIN !== undefined,
      "docker-registry is not installed (apt-get install docker-registry)",
    );
    const auth = Buffer.from(`${USER}:${PASSWORD}`).toString("base64");
    const client = createRegistryClient({
      daemonConfigPath: noDaemonJson,
      dockerConfigPath: configWith({ auths: { [`127.0.0.1:${port}`]: { auth } } }),
    });
    try {
      const image = await pushImage(client, `127.0.0.1:${port}/berth/app`, "v1");
      const got = await client.getManifest(`127.0.0.1:${port}/berth/app:v1`);
      expect(got.digest).toBe(image.manifestDigest);
      expect(
        (await readAll(await client.getBlob(`127.0.0.1:${port}/berth/app`, digestOf(image.layer)))).equals(
          image.layer,
        ),
      ).toBe(true);
    } finally {
      client.close();
    }

    const wrong = "wrong-secret-pass";
    const bad = createRegistryClient({
      daemonConfigPath: noDaemonJson,
      dockerConfigPath: configWith({
        auths: { [`127.0.0.1:${port}`]: { auth: Buffer.from(`${USER}:${wrong}`).toString("base64") } },
      }),
    });
    try {
      const error = await bad.getManifest(`127.0.0.1:${port}/berth/app:v1`).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).status).toBe(401);
      expect(String((error as Error).message)).toMatch(/unauthorized: authentication required$/);
      expect(JSON.stringify(error) + String(error)).not.toContain(wrong);
    } finally {
      bad.close();
    }
  });

  it("gets credentials from a credential helper (credsStore)", async (ctx) => {
    requireOrSkip(
      ctx,
      REGISTRY_BIN !== undefined,
      "docker-registry is not installed (apt-get install docker-registry)",
    );
    const bin = path.join(dir, "bin");
    const { mkdirSync } = await import("node:fs");
    mkdirSync(bin, { recursive: true });
    const helper = path.join(bin, "docker-credential-berthtest");
    writeFileSync(
      helper,
      `#!/bin/sh\nread server\n[ "$server" = "127.0.0.1:${port}" ] || { echo "credentials not found in native keychain"; exit 1; }\necho '{"ServerURL":"127.0.0.1:${port}","Username":"${USER}","Secret":"${PASSWORD}"}'\n`,
    );
    chmodSync(helper, 0o755);
    const client = createRegistryClient({
      daemonConfigPath: noDaemonJson,
      dockerConfigPath: configWith({ credsStore: "berthtest" }),
      env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}` },
    });
    try {
      await pushImage(client, `127.0.0.1:${port}/berth/helper`, "v1");
      expect((await client.getManifest(`127.0.0.1:${port}/berth/helper:v1`)).mediaType).toBe(
        MEDIA_TYPES.ociManifest,
      );
    } finally {
      client.close();
    }
  });
});

describe("registry client: registries that cannot be reached", () => {
  it("names a registry where nothing listens", async () => {
    const port = await freePort();
    const client = createRegistryClient({ daemonConfigPath: noDaemonJson, dockerConfigPath: noDockerConfig });
    try {
      const failed = client.getManifest(`127.0.0.1:${port}/app:latest`);
      await expect(failed).rejects.toBeInstanceOf(RegistryUnreachableError);
      await expect(failed).rejects.toThrow(`cannot reach registry 127.0.0.1:${port}: connection refused`);
    } finally {
      client.close();
    }
  });

  it("stops waiting on a silent registry when the caller's signal aborts", async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => {
      sockets.add(socket);
      socket.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as net.AddressInfo).port;
    const client = createRegistryClient({ daemonConfigPath: noDaemonJson, dockerConfigPath: noDockerConfig });
    const started = Date.now();
    try {
      const failed = client.getManifest(`127.0.0.1:${port}/app:latest`, [], {
        signal: AbortSignal.timeout(200),
      });
      await expect(failed).rejects.toMatchObject({ name: "AbortError" });
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      client.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it("bounds the wait for a registry that accepts connections and never answers", async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => {
      sockets.add(socket);
      socket.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as net.AddressInfo).port;
    const client = createRegistryClient({
      daemonConfigPath: noDaemonJson,
      dockerConfigPath: noDockerConfig,
      timeoutMs: 300,
    });
    const started = Date.now();
    try {
      const failed = client.getManifest(`127.0.0.1:${port}/app:latest`);
      await expect(failed).rejects.toThrow(`cannot reach registry 127.0.0.1:${port}: no answer within 0.3 s`);
      // HTTPS, then HTTP: two bounded waits, nothing more.
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      client.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
