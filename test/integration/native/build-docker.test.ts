/**
 * The native builder against dockerd's classic builder (what the Docker backend's build uses): the
 * same multi-stage Dockerfile (a FROM scratch stage, a stage FROM the busybox test image) built by
 * both must give the same image config fields and the same files, modes, owners and times. Needs
 * root, runc and a Docker engine; without the engine it is skipped locally and fails under CI.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNativeRuntime } from "../../../src/runtime/native/native-runtime.js";
import { openImageStore } from "../../../src/runtime/native/images/image-store.js";
import { nativePaths } from "../../../src/runtime/native/paths.js";
import { fieldsOf } from "../../../src/json-shape.js";
import type { Runtime } from "../../../src/runtime/runtime.js";
import { engineRuntime, engineUp, requireOrSkip, RUN_ID, TEST_LABEL } from "../engine.js";
import { ensureTestImage } from "../images.js";
import { scriptOutput } from "./build-harness.js";
import { mountsUnder, nativeReady, NOT_READY } from "./containers-harness.js";

const TAG = `berth-test/build-compare:${RUN_ID}`;
/** Set by every stage, so the images the stages leave untagged on Docker are found and removed. */
const RUN_LABEL = `${TEST_LABEL}=${RUN_ID}-build-compare`;
const STAGE_LABEL = `LABEL ${RUN_LABEL}`;
const FIELDS = [
  "Env",
  "Cmd",
  "Entrypoint",
  "Healthcheck",
  "OnBuild",
  "WorkingDir",
  "User",
  "ExposedPorts",
  "Labels",
  "StopSignal",
  "Volumes",
];
const CHECK = [
  "cd /",
  "for p in /app /app/src /app/src/a /app/src/sub /app/src/sub/b /app/src/link /cfg /cfg/x.json /fromown /fromown/f /chowned /chowned/a /existing /existing/a /linkcopy /deep /deep/er /deep/er/top.txt /unpacked /unpacked/pkg /unpacked/pkg/file /wd; do stat -c '%n %a %u:%g %F' $p; done",
  "stat -c '%n %Y' /app/src/a /chowned/a /linkcopy /unpacked/pkg/file /deep/er/top.txt",
  "readlink /app/src/link; cat /app/src/a /unpacked/pkg/file",
].join("; ");

/** The image's container config as dockerd reports it (raw Engine API). */
function dockerConfig(id: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: "/var/run/docker.sock", path: `/v1.41/images/${id}/json` }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ ...fieldsOf(fieldsOf(JSON.parse(Buffer.concat(chunks).toString())).Config) }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

/** What the check script prints as root in a container of `image` (labelled, so Docker's is found). */
const output = (runtime: Runtime, image: string, script: string): Promise<string> =>
  scriptOutput(runtime, image, script, { user: "0", labels: { [TEST_LABEL]: RUN_ID } });

describe("native build compared with dockerd's", () => {
  let dir: string;
  let env: Record<string, string>;
  let native: Runtime;
  let docker: Runtime | undefined;

  beforeAll(() => {
    if (!nativeReady) return;
    dir = mkdtempSync("/var/tmp/berth-build-docker-");
    env = { BERTH_ROOT: path.join(dir, "root"), BERTH_RUN_ROOT: path.join(dir, "run") };
    native = createNativeRuntime({ env });
    if (engineUp) docker = engineRuntime();
  });

  afterAll(async () => {
    if (docker) {
      await docker.images.remove(TAG, { force: true }).catch(() => undefined);
      // The other stages' images stay untagged on Docker: found by the label each stage sets.
      for (const image of await docker.images.list({ labels: [RUN_LABEL] }))
        await docker.images.remove(image.id, { force: true }).catch(() => undefined);
      expect(await docker.images.list({ labels: [RUN_LABEL] })).toEqual([]);
      await docker.close();
    }
    if (!dir) return;
    expect(await native.containers.list({ all: true })).toEqual([]);
    expect(mountsUnder(dir)).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  });

  it("gives the same config fields and files as dockerd for a multi-stage Dockerfile", async (ctx) => {
    requireOrSkip(ctx, nativeReady, NOT_READY);
    requireOrSkip(ctx, docker !== undefined, "no Docker engine to compare with");
    const base = await ensureTestImage(native);
    expect(await ensureTestImage(docker!)).toBe(base);
    const ctxDir = mkdtempSync(path.join(dir, "ctx-"));
    const file = (name: string, content: string | Buffer, mode = 0o644): void => {
      mkdirSync(path.dirname(path.join(ctxDir, name)), { recursive: true });
      writeFileSync(path.join(ctxDir, name), content, { mode });
      utimesSync(path.join(ctxDir, name), new Date("2020-01-01Z"), new Date("2020-01-01Z"));
    };
    file("src/a", "a\n", 0o640);
    file("src/sub/b", "b\n", 0o600);
    symlinkSync("a", path.join(ctxDir, "src/link"));
    file("x.json", "{}\n");
    file("top.txt", "top\n");
    const pkg = mkdtempSync(path.join(dir, "pkg-"));
    mkdirSync(path.join(pkg, "pkg"));
    writeFileSync(path.join(pkg, "pkg", "file"), "packed\n");
    utimesSync(path.join(pkg, "pkg", "file"), new Date("2019-05-05Z"), new Date("2019-05-05Z"));
    file("pkg.tgz", execFileSync("tar", ["-cz", "--owner=7", "--group=8", "-C", pkg, "pkg"]));
    file(
      "Dockerfile",
      [
        "ARG IMG",
        "FROM scratch AS files",
        STAGE_LABEL,
        "COPY src /src",
        "COPY *.json /cfg/",
        "FROM ${IMG} AS base",
        STAGE_LABEL,
        "RUN mkdir /own && echo o > /own/f && chown -R 65534:65534 /own && mkdir /existing && chmod 700 /existing",
        "FROM base",
        'ENV A=1 B="two words"',
        "WORKDIR /app",
        "COPY --from=files /src ./src",
        "COPY --from=0 /cfg/ /cfg/",
        "COPY --from=base /own /fromown",
        "COPY --chown=nobody:nogroup src /chowned",
        "COPY src /existing",
        "COPY src/link /linkcopy",
        "COPY top.txt /deep/er/",
        "ADD pkg.tgz /unpacked/",
        "WORKDIR /wd",
        "USER nobody",
        "EXPOSE 8080 53/udp",
        "VOLUME /data",
        'LABEL a=b c="d e"',
        "STOPSIGNAL SIGINT",
        "HEALTHCHECK --interval=5s --timeout=2s --retries=2 CMD true",
        "ONBUILD RUN echo x",
        'ENTRYPOINT ["/bin/sh", "-c"]',
        'CMD ["echo hi"]',
      ].join("\n"),
    );
    const spec = { context: ctxDir, tags: [TAG], args: { IMG: base } };
    const nativeId = (await native.images.build(spec)).id;
    const dockerId = (await docker!.images.build(spec)).id;
    expect((await docker!.images.inspect(TAG))?.id).toBe(dockerId);
    const nativeConfig = (await openImageStore(nativePaths(env)).resolve(nativeId)).config.config ?? {};
    const dockerCfg = await dockerConfig(dockerId);
    const pick = (c: object): Record<string, unknown> =>
      Object.fromEntries(FIELDS.map((f) => [f, (c as Record<string, unknown>)[f] ?? null]));
    expect(pick(nativeConfig)).toEqual(pick(dockerCfg));
    const nativeFiles = await output(native, nativeId, CHECK);
    const dockerFiles = await output(docker!, dockerId, CHECK);
    // Directories made during the build carry the build's time on both sides; they are not compared.
    expect(nativeFiles).toBe(dockerFiles);
    expect(nativeFiles.split("\n")).toEqual(
      expect.arrayContaining([
        "/fromown/f 644 65534:65534 regular file",
        "/chowned/a 640 65534:65534 regular file",
        "/existing 700 0:0 directory",
        "/unpacked/pkg/file 644 7:8 regular file",
        "/linkcopy 640 0:0 regular file",
        "a",
        "packed",
      ]),
    );
  }, 180_000);
});
