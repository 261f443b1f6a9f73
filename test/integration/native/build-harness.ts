/**
 * What the native build tests share: the busybox base image imported into a runtime, and what a
 * script prints in a container of a built image (run to its exit, then removed).
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { Readable } from "node:stream";
import { expect } from "vitest";
import type { ContainerSpec, Runtime } from "../../../src/runtime/runtime.js";
import { BUSYBOX_PATH, buildRootfsTar } from "../images.js";

/** Imports the host's busybox as `reference`, with `CMD ["/bin/sh"]`, as a base to build FROM. */
export async function importBase(runtime: Runtime, reference: string): Promise<void> {
  const rootfs = await buildRootfsTar(readFileSync(BUSYBOX_PATH));
  await runtime.images.importRootfs(Readable.from([rootfs]), {
    reference,
    changes: ['CMD ["/bin/sh"]'],
  });
}

/** The lines `sh -c script` prints (both streams, in order) in a container of `image`; it must exit 0. */
export async function scriptOutput(
  runtime: Runtime,
  image: string,
  script: string,
  extra: Partial<ContainerSpec> = {},
): Promise<string> {
  const { id } = await runtime.containers.create({
    name: `berth-build-check-${randomBytes(4).toString("hex")}`,
    image,
    labels: {},
    entrypoint: ["/bin/sh", "-c"],
    command: [script],
    networkMode: "none",
    ...extra,
  });
  try {
    await runtime.containers.start(id);
    expect((await runtime.containers.wait(id)).exitCode).toBe(0);
    const lines: string[] = [];
    for await (const line of runtime.containers.logs(id, { stdout: true, stderr: true }))
      lines.push(line.line);
    return lines.join("\n");
  } finally {
    // With its anonymous volumes (an image VOLUME gives one).
    await runtime.containers.remove(id, { force: true, volumes: true });
  }
}
