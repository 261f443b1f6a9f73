/** Images: inspect, list by reference and label, tag, import a rootfs, push and pull, build. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect } from "vitest";
import { NotFoundError, RuntimeError } from "../../../src/runtime/errors.js";
import type { ProgressEvent } from "../../../src/runtime/runtime.js";
import { RUN_ID, TEST_LABEL } from "../engine.js";
import { type Harness, LABEL_TERM, LABELS, rejection, tarStream } from "./harness.js";

/** The local registry scripts/ci/dockerd.sh starts (loopback only). */
export const REGISTRY = process.env.BERTH_TEST_REGISTRY ?? "127.0.0.1:5000";

/** Whether the registry answers; the Docker backend's `unavailable("registry")`. */
export async function registryAnswers(): Promise<boolean> {
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

export function imageCases(h: Harness): void {
  describe("images", () => {
    h.case("inspects the imported test image and lists it by reference", [], async () => {
      const { runtime, image } = h;
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

    h.case("tags an image and removes only the tag", [], async () => {
      const { runtime, image } = h;
      const target = `berth-test/tagged-${RUN_ID}:t1`;
      h.made.images.push(target);
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

    h.case("imports a rootfs tarball with config changes and labels", [], async () => {
      const { runtime } = h;
      const reference = `berth-test/imported-${RUN_ID}:v1`;
      h.made.images.push(reference);
      const { id } = await runtime.images.importRootfs(await tarStream({ "hello.txt": "hello\n" }), {
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

    h.case(
      "pushes to and pulls from the registry",
      ["registry"],
      async () => {
        const { runtime, image } = h;
        const reference = `${REGISTRY}/berth-test/busybox-${RUN_ID}:v1`;
        h.made.images.push(reference);
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
      },
      60_000,
    );

    h.case(
      "builds with .dockerignore honoured",
      ["processes", "build"],
      async () => {
        const { runtime, image } = h;
        const context = tempDir({
          Dockerfile: `FROM ${image}\nCOPY . /ctx/\nRUN ls /ctx > /listing\nCMD ["ls", "-a", "/ctx"]\n`,
          ".dockerignore": "secret.txt\n*.log\n",
          "keep.txt": "kept\n",
          "secret.txt": "must not be sent\n",
          "debug.log": "must not be sent either\n",
        });
        const tag = `berth-test/built-${RUN_ID}:v1`;
        h.made.images.push(tag);
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
          const result = await h.run(["ls", "-a", "/ctx"], { image: tag });
          expect(result.exitCode).toBe(0);
          expect(result.stdout).toContain("keep.txt");
          expect(result.stdout).toContain("Dockerfile");
          expect(result.stdout).not.toContain("secret.txt");
          expect(result.stdout).not.toContain("debug.log");
        } finally {
          rmSync(context, { recursive: true, force: true });
        }
      },
      90_000,
    );

    h.case(
      "builds a multi-stage Dockerfile and answers the last stage's image",
      ["processes", "build"],
      async () => {
        const { runtime, image } = h;
        const context = tempDir({
          Dockerfile: [
            // Each stage labelled first, so every image the build leaves is found by the label.
            "FROM scratch AS files",
            `LABEL ${TEST_LABEL}=${RUN_ID}`,
            "COPY one.txt /one.txt",
            `FROM ${image} AS first`,
            `LABEL ${TEST_LABEL}=${RUN_ID}`,
            "RUN echo first > /first",
            `FROM ${image}`,
            `LABEL ${TEST_LABEL}=${RUN_ID}`,
            "COPY --from=files /one.txt /copied.txt",
            'CMD ["cat", "/copied.txt"]',
            "",
          ].join("\n"),
          "one.txt": "from the scratch stage\n",
        });
        const tag = `berth-test/multistage-${RUN_ID}:v1`;
        h.made.images.push(tag);
        try {
          const { id } = await runtime.images.build({
            context,
            tags: [tag],
            labels: LABELS,
            signal: AbortSignal.timeout(60_000),
          });
          expect((await runtime.images.inspect(tag))?.id).toBe(id);
          const result = await h.run(["cat", "/copied.txt"], { image: id });
          expect(result.stdout).toEqual(["from the scratch stage"]);
        } finally {
          rmSync(context, { recursive: true, force: true });
          // The other stages' images (and the steps' on Docker) stay untagged: removed by ID.
          for (const i of await runtime.images.list({ labels: [LABEL_TERM] })) {
            if (i.repoTags.length === 0 || i.repoTags.every((t) => t.startsWith("<none>")))
              h.made.images.push(i.id);
          }
        }
      },
      90_000,
    );

    h.case(
      "surfaces a failing RUN step as an error naming it, leaving no build container",
      ["processes", "build"],
      async () => {
        const { runtime, image } = h;
        // The LABEL reaches the intermediate containers, so a failed step's container left behind
        // (the classic builder keeps it unless asked with forcerm) is found by the run label.
        const context = tempDir({
          Dockerfile: `FROM ${image}\nLABEL ${TEST_LABEL}=${RUN_ID}\nRUN true\nRUN false\n`,
        });
        const tag = `berth-test/broken-${RUN_ID}:v1`;
        h.made.images.push(tag);
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
            h.made.images.push(i.id);
        }
        const leftover = await runtime.containers.list({ all: true, labels: [LABEL_TERM] });
        h.made.containers.unshift(...leftover.map((c) => c.id));
        expect(
          leftover.map((c) => `${c.name} (${c.image}, ${c.status})`),
          "containers left by the failed build",
        ).toEqual([]);
      },
      90_000,
    );
  });
}
