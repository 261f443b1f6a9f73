/**
 * The registry client's token flow, redirects and mirrors, at the protocol level, against a small
 * node:http registry this file runs on loopback. A real `docker-registry` with token auth needs TLS
 * certificates and a token service signing JWTs, so the Bearer flow is checked here instead: the
 * server answers 401 with `WWW-Authenticate: Bearer realm,service,scope`, issues tokens from its
 * realm and serves a manifest and a blob (the blob through a redirect to a second origin, as
 * registries do to object stores).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import type net from "node:net";
import { networkInterfaces } from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import { execa } from "execa";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ApiError } from "../../../src/runtime/errors.js";
import {
  createRegistryClient,
  digestOf,
  DigestMismatchError,
  MEDIA_TYPES,
  type RegistryClient,
  type RegistryClientOptions,
  RegistryUnreachableError,
} from "../../../src/runtime/native/registry/index.js";
import { requireOrSkip } from "../engine.js";

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly authorization: string | undefined;
  readonly body: string;
}

interface TestServer {
  readonly port: number;
  readonly seen: Seen[];
  close(): Promise<void>;
}

async function serve(
  handle: (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void,
): Promise<TestServer> {
  const seen: Seen[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      seen.push({
        method: req.method ?? "",
        url: req.url ?? "",
        authorization: req.headers.authorization,
        body,
      });
      handle(req, body, res);
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const scratch = mkdtempSync(path.join("/var/tmp", "berth-registry-protocol-"));
const noDaemonJson = path.join(scratch, "no-daemon.json");
const noDockerConfig = path.join(scratch, "no-config.json");

const manifest = Buffer.from(
  JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: {}, layers: [] }),
);
const blob = randomBytes(4096);
const blobDigest = digestOf(blob);

/** What the test registry does; each test sets what it needs. */
const behaviour = {
  /** `Basic base64(user:pass)` the realm demands, if any. */
  realmBasic: undefined as string | undefined,
  tokenField: "token" as "token" | "access_token",
  expiresIn: 60 as number | undefined,
  lieDigest: false,
  corruptBlob: false,
};
const issued = new Set<string>();
let tokenCount = 0;

let registry: TestServer;
let storage: TestServer;

function challenge(res: http.ServerResponse, repo: string): void {
  res.writeHead(401, {
    "Content-Type": "application/json",
    "WWW-Authenticate": `Bearer realm="http://127.0.0.1:${registry.port}/token",service="berth-test",scope="repository:${repo}:pull"`,
  });
  res.end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] }));
}

beforeAll(async () => {
  storage = await serve((_req, _body, res) => {
    const data = behaviour.corruptBlob ? randomBytes(blob.length) : blob;
    res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": String(data.length) });
    res.end(data);
  });
  registry = await serve((req, _body, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname === "/token") {
      if (behaviour.realmBasic !== undefined && req.headers.authorization !== behaviour.realmBasic) {
        res.writeHead(401, { "Content-Type": "application/json" });
        res.end(
          JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "incorrect username or password" }] }),
        );
        return;
      }
      const token = `tok-${++tokenCount}`;
      issued.add(token);
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(
        JSON.stringify({
          [behaviour.tokenField]: token,
          ...(behaviour.expiresIn ? { expires_in: behaviour.expiresIn } : {}),
        }),
      );
      return;
    }
    const match = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
    if (!match) {
      res.writeHead(404).end();
      return;
    }
    const [, repo = "", kind, ref] = match;
    const bearer = req.headers.authorization?.replace(/^Bearer /, "");
    if (bearer === undefined || !issued.has(bearer)) {
      challenge(res, repo);
      return;
    }
    if (kind === "manifests") {
      res.writeHead(200, {
        "Content-Type": MEDIA_TYPES.ociManifest,
        "Docker-Content-Digest": behaviour.lieDigest ? digestOf(Buffer.from("other")) : digestOf(manifest),
      });
      res.end(manifest);
      return;
    }
    res.writeHead(307, { Location: `http://127.0.0.1:${storage.port}/blob/${ref}?sig=1` });
    res.end();
  });
});

afterAll(async () => {
  await registry.close();
  await storage.close();
  rmSync(scratch, { recursive: true, force: true });
});

const clients: RegistryClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  Object.assign(behaviour, {
    realmBasic: undefined,
    tokenField: "token",
    expiresIn: 60,
    lieDigest: false,
    corruptBlob: false,
  });
  registry.seen.length = 0;
  storage.seen.length = 0;
});

function client(options: RegistryClientOptions = {}): RegistryClient {
  const made = createRegistryClient({
    daemonConfigPath: noDaemonJson,
    dockerConfigPath: noDockerConfig,
    ...options,
  });
  clients.push(made);
  return made;
}

function configFile(content: object): string {
  const file = path.join(scratch, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(content));
  return file;
}

const tokenRequests = (): Seen[] => registry.seen.filter((s) => s.url.startsWith("/token"));

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe("registry client: Bearer token flow", () => {
  it("asks the realm anonymously with service and scope, and reuses the token until it expires", async () => {
    let now = 1_000_000;
    const c = client({ now: () => now });
    const ref = `127.0.0.1:${registry.port}/team/app:1`;
    const got = await c.getManifest(ref);
    expect(got.bytes.equals(manifest)).toBe(true);
    expect(got.digest).toBe(digestOf(manifest));

    expect(tokenRequests()).toHaveLength(1);
    const asked = new URL(tokenRequests()[0]?.url ?? "", "http://x");
    expect(asked.searchParams.get("service")).toBe("berth-test");
    expect(asked.searchParams.getAll("scope")).toEqual(["repository:team/app:pull"]);
    expect(tokenRequests()[0]?.authorization).toBeUndefined();
    const manifestRequests = registry.seen.filter((s) => s.url.includes("/manifests/"));
    expect(manifestRequests.map((s) => s.authorization)).toEqual([
      undefined,
      "Bearer tok-" + String(tokenCount),
    ]);

    await c.getManifest(ref);
    expect(tokenRequests()).toHaveLength(1);
    // 60 s is the shortest life distribution's client assumes; past it, a new token.
    now += 61_000;
    await c.getManifest(ref);
    expect(tokenRequests()).toHaveLength(2);
  });

  it("sends config.json's credentials to the realm as Basic with account, and reads access_token", async () => {
    const basic = `Basic ${Buffer.from("alice:s3cret").toString("base64")}`;
    behaviour.realmBasic = basic;
    behaviour.tokenField = "access_token";
    behaviour.expiresIn = undefined;
    const c = client({
      dockerConfigPath: configFile({
        auths: { [`127.0.0.1:${registry.port}`]: { auth: Buffer.from("alice:s3cret").toString("base64") } },
      }),
    });
    await c.getManifest(`127.0.0.1:${registry.port}/team/app:1`);
    expect(tokenRequests()[0]?.authorization).toBe(basic);
    expect(new URL(tokenRequests()[0]?.url ?? "", "http://x").searchParams.get("account")).toBe("alice");
  });

  it("uses an identity token as an OAuth2 refresh token (POST to the realm)", async () => {
    behaviour.tokenField = "access_token";
    const c = client({
      dockerConfigPath: configFile({
        auths: { [`127.0.0.1:${registry.port}`]: { identitytoken: "refresh-me" } },
      }),
    });
    await c.getManifest(`127.0.0.1:${registry.port}/team/app:1`);
    const post = tokenRequests()[0];
    expect(post?.method).toBe("POST");
    const form = new URLSearchParams(post?.body ?? "");
    expect(Object.fromEntries(form)).toEqual({
      grant_type: "refresh_token",
      refresh_token: "refresh-me",
      client_id: "berth",
      service: "berth-test",
      scope: "repository:team/app:pull",
    });
  });

  it("reports a realm that refuses the credentials, without the password", async () => {
    behaviour.realmBasic = `Basic ${Buffer.from("alice:right").toString("base64")}`;
    const c = client({
      dockerConfigPath: configFile({
        auths: { [`127.0.0.1:${registry.port}`]: { auth: Buffer.from("alice:wrong-pw").toString("base64") } },
      }),
    });
    const error = await c.getManifest(`127.0.0.1:${registry.port}/team/app:1`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as Error).message).toBe(
      `registry 127.0.0.1:${registry.port}: token from http://127.0.0.1:${registry.port}/token: unauthorized: incorrect username or password`,
    );
    expect((error as Error).message).not.toContain("wrong-pw");
  });
});

describe("registry client: blobs and digests", () => {
  it("follows a blob redirect to another origin without the registry's Authorization, and checks the bytes", async () => {
    const c = client();
    const stream = await c.getBlob(`127.0.0.1:${registry.port}/team/app`, blobDigest, { size: blob.length });
    expect((await readAll(stream)).equals(blob)).toBe(true);
    const atRegistry = registry.seen.filter((s) => s.url.includes("/blobs/"));
    expect(atRegistry.at(-1)?.authorization).toMatch(/^Bearer tok-/);
    expect(storage.seen).toHaveLength(1);
    expect(storage.seen[0]?.authorization).toBeUndefined();
  });

  it("fails the stream when the bytes are not the digest's", async () => {
    behaviour.corruptBlob = true;
    const stream = await client().getBlob(`127.0.0.1:${registry.port}/team/app`, blobDigest);
    await expect(readAll(stream)).rejects.toBeInstanceOf(DigestMismatchError);
  });

  it("refuses a manifest whose Docker-Content-Digest does not match its bytes", async () => {
    behaviour.lieDigest = true;
    await expect(client().getManifest(`127.0.0.1:${registry.port}/team/app:1`)).rejects.toBeInstanceOf(
      DigestMismatchError,
    );
  });
});

describe("registry client: registry-mirrors", () => {
  it("pulls Docker Hub names through the first mirror that answers", async () => {
    const dead = await serve(() => undefined);
    const deadPort = dead.port;
    await dead.close();
    const daemonJson = path.join(scratch, "daemon.json");
    writeFileSync(
      daemonJson,
      JSON.stringify({
        "registry-mirrors": [`http://127.0.0.1:${deadPort}`, `http://127.0.0.1:${registry.port}`],
      }),
    );
    const c = client({ daemonConfigPath: daemonJson });
    const got = await c.getManifest("busybox:latest");
    expect(got.bytes.equals(manifest)).toBe(true);
    expect(
      registry.seen.filter((s) => s.url === "/v2/library/busybox/manifests/latest").length,
    ).toBeGreaterThan(0);
  });
});

describe("registry client: Basic auth", () => {
  it("answers a Basic challenge once, then sends the credentials with every request", async () => {
    const basic = `Basic ${Buffer.from("bob:pw").toString("base64")}`;
    const server = await serve((req, _body, res) => {
      if (req.headers.authorization !== basic) {
        res.writeHead(401, {
          "WWW-Authenticate": 'Basic realm="berth-test"',
          "Content-Type": "application/json",
        });
        res.end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] }));
        return;
      }
      if (req.url?.includes("/manifests/")) {
        res.writeHead(200, { "Content-Type": MEDIA_TYPES.ociManifest }).end(manifest);
        return;
      }
      res.writeHead(404).end();
    });
    try {
      const c = client({
        dockerConfigPath: configFile({
          auths: { [`127.0.0.1:${server.port}`]: { auth: Buffer.from("bob:pw").toString("base64") } },
        }),
      });
      await c.getManifest(`127.0.0.1:${server.port}/app:1`);
      await c.getManifest(`127.0.0.1:${server.port}/app:2`);
      expect(await c.hasBlob(`127.0.0.1:${server.port}/app`, blobDigest)).toBe(false);
      expect(server.seen.map((s) => s.authorization)).toEqual([undefined, basic, basic, basic]);
    } finally {
      await server.close();
    }
  });
});

/** A non-loopback IPv4 address of this host: registries there are not insecure by default. */
const externalAddress = Object.values(networkInterfaces())
  .flat()
  .find((i) => i !== undefined && i.family === "IPv4" && !i.internal)?.address;

describe("registry client: TLS", () => {
  let server: https.Server | undefined;
  let port = 0;
  const requests: string[] = [];

  beforeAll(async () => {
    if (externalAddress === undefined) return;
    const key = path.join(scratch, "key.pem");
    const cert = path.join(scratch, "cert.pem");
    await execa("openssl", [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-days",
      "1",
      "-subj",
      "/CN=berth-test",
      "-addext",
      `subjectAltName=IP:127.0.0.1,IP:${externalAddress}`,
    ]);
    const { readFileSync } = await import("node:fs");
    const tls = https.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
      requests.push(req.url ?? "");
      res.writeHead(200, { "Content-Type": MEDIA_TYPES.ociManifest }).end(manifest);
    });
    server = tls;
    await new Promise<void>((resolve) => tls.listen(0, "0.0.0.0", resolve));
    port = (tls.address() as net.AddressInfo).port;
  });

  afterAll(async () => {
    const tls = server;
    if (tls === undefined) return;
    tls.closeAllConnections();
    await new Promise<void>((resolve) => tls.close(() => resolve()));
  });

  it("speaks HTTPS without verification to a loopback registry, as dockerd does", async (ctx) => {
    requireOrSkip(ctx, externalAddress !== undefined, "no non-loopback IPv4 address on this host");
    const got = await client().getManifest(`127.0.0.1:${port}/app:1`);
    expect(got.bytes.equals(manifest)).toBe(true);
  });

  it("refuses a self-signed certificate elsewhere, naming the registry", async (ctx) => {
    requireOrSkip(ctx, externalAddress !== undefined, "no non-loopback IPv4 address on this host");
    const failed = client().getManifest(`${externalAddress}:${port}/app:1`);
    await expect(failed).rejects.toBeInstanceOf(RegistryUnreachableError);
    await expect(failed).rejects.toThrow(
      `cannot reach registry ${externalAddress}:${port}: TLS: self-signed certificate`,
    );
  });

  it("accepts it once the registry is listed in insecure-registries", async (ctx) => {
    requireOrSkip(ctx, externalAddress !== undefined, "no non-loopback IPv4 address on this host");
    const daemonJson = path.join(scratch, "daemon-insecure.json");
    writeFileSync(daemonJson, JSON.stringify({ "insecure-registries": [`${externalAddress}:${port}`] }));
    const got = await client({ daemonConfigPath: daemonJson }).getManifest(
      `${externalAddress}:${port}/app:1`,
    );
    expect(got.bytes.equals(manifest)).toBe(true);
  });
});
