#!/usr/bin/env node
// Makes the demo's image offline, with no registry and no build: a root filesystem holding the
// host's static busybox (Debian's busybox-static, /bin/busybox) and a /bin link for each of its
// applets — what base/Dockerfile builds — imported as REFERENCE into the runtime berth picks for the
// demo project (BERTH_RUNTIME, else --runtime auto's choice: native where it can serve). Does
// nothing when the image is already there.
//
//   node examples/demo/import-image.mjs berth-demo/busybox:1
//
// Needs `npm run build` (it uses the built runtime registry, dist/runtime/backends.js).
import { execFileSync } from "node:child_process";
import { Buffer } from "node:buffer";
import { readFileSync } from "node:fs";
import { Readable } from "node:stream";
import tar from "tar-stream";
import { resolveRuntime, RUNTIME_CHOICES } from "../../dist/runtime/backends.js";

const BUSYBOX = "/bin/busybox";
const PROJECT = "berth-demo";
const [reference] = process.argv.slice(2);
if (reference === undefined) {
  process.stderr.write("usage: import-image.mjs REFERENCE\n");
  process.exit(2);
}
const choice = process.env.BERTH_RUNTIME || "auto";
if (!RUNTIME_CHOICES.includes(choice)) {
  process.stderr.write(
    `import-image.mjs: BERTH_RUNTIME=${choice} is none of ${RUNTIME_CHOICES.join(", ")}\n`,
  );
  process.exit(2);
}

/** The rootfs tarball in memory (busybox is about 2 MB), with fixed owners and times. */
async function rootfs() {
  const busybox = readFileSync(BUSYBOX);
  const applets = execFileSync(BUSYBOX, ["--list"], { encoding: "utf8" })
    .split("\n")
    .filter((name) => /^[A-Za-z0-9._[-]+$/.test(name) && name !== "busybox");
  const pack = tar.pack();
  const mtime = new Date("2024-01-01T00:00:00Z");
  const add = (header, content) => pack.entry({ uid: 0, gid: 0, mtime, ...header }, content);
  for (const dir of ["bin", "dev", "etc", "proc", "root", "sys", "usr", "var", "var/run"]) {
    add({ name: dir, type: "directory", mode: 0o755 });
  }
  add({ name: "tmp", type: "directory", mode: 0o1777 });
  add({ name: "bin/busybox", type: "file", mode: 0o755, size: busybox.length }, busybox);
  for (const applet of applets)
    add({ name: `bin/${applet}`, type: "symlink", linkname: "busybox", mode: 0o777 });
  add({ name: "etc/passwd", type: "file", mode: 0o644 }, "root:x:0:0:root:/root:/bin/sh\n");
  add({ name: "etc/group", type: "file", mode: 0o644 }, "root:x:0:\n");
  pack.finalize();
  const chunks = [];
  for await (const chunk of pack) chunks.push(chunk);
  return Buffer.concat(chunks);
}

const labels = [`com.docker.compose.project=${PROJECT}`];
try {
  const { runtime } = await resolveRuntime(choice, process.env, { name: PROJECT, labels });
  try {
    if (await runtime.images.inspect(reference)) {
      process.stdout.write(`${reference}: already on the ${runtime.kind} runtime\n`);
    } else {
      const { id } = await runtime.images.importRootfs(Readable.from([await rootfs()]), {
        reference,
        changes: ["ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 'CMD ["sh"]'],
      });
      process.stdout.write(`${reference}: imported into the ${runtime.kind} runtime (${id.slice(0, 19)})\n`);
    }
  } finally {
    await runtime.close();
  }
} catch (error) {
  // One sentence (and the hint berth's errors carry), as berth reports errors.
  const hint = typeof error?.hint === "string" ? ` (${error.hint})` : "";
  process.stderr.write(
    `import-image.mjs: ${error instanceof Error ? error.message : String(error)}${hint}\n`,
  );
  process.exitCode = 1;
}
