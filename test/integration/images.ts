/**
 * The tiny test image, made offline through the Runtime (never the docker CLI): a rootfs holding the
 * host's static busybox (`/bin/busybox`, Debian's busybox-static) and one symlink per applet the tests
 * use, imported with `images.importRootfs` as `berth-test/busybox:<hash>`. The tag is a hash of what
 * goes into the tarball, so it is stable across runs and imported only when missing.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { Readable } from "node:stream";
import tar from "tar-stream";
import type { Runtime } from "../../src/runtime/runtime.js";
import { engineRuntime } from "./engine.js";

export const BUSYBOX_PATH = process.env.BERTH_TEST_BUSYBOX ?? "/bin/busybox";
export const TEST_IMAGE_REPO = "berth-test/busybox";

/** Applets reachable by name (`/bin/<applet>` -> busybox). */
export const APPLETS: readonly string[] = [
  "sh",
  "echo",
  "cat",
  "sleep",
  "wget",
  "nc",
  "nslookup",
  "ls",
  "printf",
  "true",
  "false",
  "env",
  "id",
  "hostname",
  // Also used by the integration tests: stty (TTY size), ping, head/yes (volume of output), ps/top,
  // kill, mkdir/rm/touch/stat, wc, grep, tail, seq, timeout.
  "stty",
  "ping",
  "head",
  "yes",
  "ps",
  "top",
  "kill",
  "mkdir",
  "rm",
  "touch",
  "stat",
  "wc",
  "grep",
  "tail",
  "seq",
  "timeout",
];

const PASSWD = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
const GROUP = "root:x:0:\nnogroup:x:65534:\n";
const PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/** Config applied at import (Dockerfile instructions). */
const CHANGES: readonly string[] = [`ENV ${PATH_ENV}`, 'CMD ["/bin/sh"]'];
/** Bump when the layout below changes without busybox or the applet list changing. */
const LAYOUT_VERSION = "1";

/** A fixed mtime keeps the tarball (and so the image) byte-for-byte the same on every run. */
const MTIME = new Date("2024-01-01T00:00:00Z");

/** The rootfs tarball, built in memory (busybox is ~2 MB). */
export async function buildRootfsTar(busybox: Buffer): Promise<Buffer> {
  const pack = tar.pack();
  const add = (header: Partial<tar.Header> & { name: string }, content?: Buffer | string): void => {
    const full = { uid: 0, gid: 0, mtime: MTIME, ...header };
    if (content === undefined) pack.entry(full);
    else pack.entry(full, content);
  };
  for (const dir of ["bin", "dev", "etc", "proc", "root", "sys", "usr", "usr/bin", "var", "var/run"]) {
    add({ name: dir, type: "directory", mode: 0o755 });
  }
  add({ name: "tmp", type: "directory", mode: 0o1777 });
  add({ name: "bin/busybox", type: "file", mode: 0o755, size: busybox.length }, busybox);
  for (const applet of APPLETS)
    add({ name: `bin/${applet}`, type: "symlink", linkname: "busybox", mode: 0o777 });
  add({ name: "etc/passwd", type: "file", mode: 0o644 }, PASSWD);
  add({ name: "etc/group", type: "file", mode: 0o644 }, GROUP);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(toBuffer(chunk));
  return Buffer.concat(chunks);
}

/** tar-stream (streamx) yields untyped chunks; they are bytes. */
export function toBuffer(chunk: unknown): Buffer {
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (typeof chunk === "string") return Buffer.from(chunk);
  throw new TypeError(`expected bytes from tar-stream, got ${typeof chunk}`);
}

/** `berth-test/busybox:<hash>` for the busybox at BUSYBOX_PATH. */
export function testImageReference(busybox: Buffer = readFileSync(BUSYBOX_PATH)): string {
  const hash = createHash("sha256")
    .update(busybox)
    .update(`\0${APPLETS.join(",")}\0${CHANGES.join("\n")}\0${PASSWD}${GROUP}\0${LAYOUT_VERSION}`)
    .digest("hex");
  return `${TEST_IMAGE_REPO}:${hash.slice(0, 12)}`;
}

const ensured = new WeakMap<Runtime, Promise<string>>();

/**
 * Makes sure the test image exists and returns its reference. Imports it only when missing, so
 * suites call this in `beforeAll` freely. The image is kept after the tests (a cache, not a leak).
 */
export function ensureTestImage(runtime: Runtime, signal?: AbortSignal): Promise<string> {
  let pending = ensured.get(runtime);
  if (!pending) {
    pending = importTestImage(runtime, signal);
    pending.catch(() => ensured.delete(runtime));
    ensured.set(runtime, pending);
  }
  return pending;
}

async function importTestImage(runtime: Runtime, signal?: AbortSignal): Promise<string> {
  const busybox = readFileSync(BUSYBOX_PATH);
  const reference = testImageReference(busybox);
  if (await runtime.images.inspect(reference)) return reference;
  const rootfs = await buildRootfsTar(busybox);
  await runtime.images.importRootfs(Readable.from([rootfs]), { reference, changes: CHANGES, signal });
  return reference;
}

/**
 * A runtime for a suite and the test image in it, for one line of `beforeAll` (close the runtime in
 * `afterAll`): `beforeAll(async () => ({ runtime, image } = await openTestEngine()), 90_000)`.
 */
export async function openTestEngine(): Promise<{ runtime: Runtime; image: string }> {
  const runtime = engineRuntime();
  return { runtime, image: await ensureTestImage(runtime, AbortSignal.timeout(60_000)) };
}
