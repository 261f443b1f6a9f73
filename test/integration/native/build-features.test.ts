/**
 * Native builds of the Dockerfiles developers write (as root): multi-stage COPY --from (name, index,
 * image) with unneeded stages skipped, wildcards, --chown names from the image's passwd/group,
 * --chmod, ADD of local archives and of a URL served on loopback, HEALTHCHECK, ONBUILD, and the
 * build cache (an unchanged rebuild runs no RUN; a changed file invalidates from its COPY on).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openImageStore } from "../../../src/runtime/native/images/image-store.js";
import { createNativeRuntime } from "../../../src/runtime/native/native-runtime.js";
import { nativePaths } from "../../../src/runtime/native/paths.js";
import type { BuildSpec, ProgressEvent, Runtime } from "../../../src/runtime/runtime.js";
import { requireOrSkip } from "../engine.js";
import { importBase, scriptOutput } from "./build-harness.js";
import { mountsUnder, nativeReady, NOT_READY } from "./containers-harness.js";

const BASE = "berth-test/busybox:build-features";

describe("native build: Dockerfile features", () => {
  let dir: string;
  let runtime: Runtime;
  let env: Record<string, string>;
  let server: Server | undefined;

  beforeAll(async () => {
    if (!nativeReady) return;
    dir = mkdtempSync("/var/tmp/berth-build-features-");
    env = { BERTH_ROOT: path.join(dir, "root"), BERTH_RUN_ROOT: path.join(dir, "run") };
    runtime = createNativeRuntime({ env });
    await importBase(runtime, BASE);
  }, 60_000);

  afterAll(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    if (!dir) return;
    expect(await runtime.containers.list({ all: true })).toEqual([]);
    expect(mountsUnder(dir)).toEqual([]);
    expect(mountsUnder(path.join(dir, "root", "build"))).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  });

  function context(files: Record<string, string | Buffer>): string {
    const ctx = mkdtempSync(path.join(dir, "ctx-"));
    for (const [name, content] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(ctx, name)), { recursive: true });
      writeFileSync(path.join(ctx, name), content);
    }
    return ctx;
  }

  async function build(
    spec: Partial<BuildSpec> & { context: string },
  ): Promise<{ id: string; events: string[] }> {
    const events: string[] = [];
    const { id } = await runtime.images.build({ tags: [], ...spec }, (e: ProgressEvent) =>
      events.push(e.status),
    );
    return { id, events };
  }

  /** What `sh -c script` prints in a container of `image`. */
  const run = (image: string, script: string): Promise<string> => scriptOutput(runtime, image, script);

  it("copies from earlier stages by name, index and image, with wildcards, owners and modes", async (ctx) => {
    requireOrSkip(ctx, nativeReady, NOT_READY);
    const ctxDir = context({
      Dockerfile: [
        `FROM ${BASE} AS build`,
        "RUN mkdir -p /out/sub && echo built > /out/app && echo deep > /out/sub/x && echo 'app:x:1000:1000::/:/bin/sh' >> /etc/passwd && echo 'app:x:1000:' >> /etc/group",
        "FROM build AS unused",
        "RUN exit 1",
        "FROM scratch AS assets",
        "COPY *.json /cfg/",
        "COPY src/*.ts /src/",
        "FROM build",
        "WORKDIR /app",
        "COPY --from=build /out ./",
        "COPY --from=2 /cfg /cfg",
        "COPY --from=assets /src/ /src/",
        `COPY --from=${BASE} /etc/group /copied-group`,
        "COPY --chown=app --chmod=0750 a.json b.json /owned/",
        'COPY --link ["src/one.ts", "/linked.ts"]',
      ].join("\n"),
      "a.json": "{}\n",
      "b.json": "[]\n",
      "c.txt": "no\n",
      "src/one.ts": "1\n",
      "src/two.ts": "2\n",
      "src/deep/three.ts": "3\n",
    });
    const { id, events } = await build({ context: ctxDir, tags: ["berth-test/features:multi"] });
    // The unneeded stage (whose RUN fails) was skipped.
    expect(events.some((e) => e.includes("RUN exit 1"))).toBe(false);
    const out = await run(
      id,
      "pwd; cat app sub/x; ls /cfg /src; stat -c '%n %a %u:%g' /owned /owned/a.json /owned/b.json; cat /linked.ts; head -1 /copied-group",
    );
    expect(out.split("\n")).toEqual([
      "/app",
      "built",
      "deep",
      "/cfg:",
      "a.json",
      "b.json",
      "",
      "/src:",
      "one.ts",
      "two.ts",
      "/owned 755 1000:1000",
      "/owned/a.json 750 1000:1000",
      "/owned/b.json 750 1000:1000",
      "1",
      "root:x:0:",
    ]);
  }, 120_000);

  it("fails as Docker does for a wildcard matching nothing, a missing file and many sources into a file", async (ctx) => {
    requireOrSkip(ctx, nativeReady, NOT_READY);
    const files = { "a.txt": "a", "b.txt": "b" };
    await expect(
      build({ context: context({ ...files, Dockerfile: `FROM ${BASE}\nCOPY *.nope /x/\n` }) }),
    ).rejects.toThrow("COPY failed: no source files were specified");
    await expect(
      build({ context: context({ ...files, Dockerfile: `FROM ${BASE}\nCOPY missing /x\n` }) }),
    ).rejects.toThrow(
      "COPY failed: file not found in build context or excluded by .dockerignore: stat missing: file does not exist",
    );
    await expect(
      build({ context: context({ ...files, Dockerfile: `FROM ${BASE}\nCOPY *.txt /x\n` }) }),
    ).rejects.toThrow(
      "When using COPY with more than one source file, the destination must be a directory and end with a /",
    );
    await expect(
      build({ context: context({ ...files, Dockerfile: `FROM ${BASE}\nCOPY --chown=ghost a.txt /x\n` }) }),
    ).rejects.toThrow("can't find uid for user ghost: no such user: ghost");
  }, 60_000);

  it("unpacks local archives on ADD and downloads URLs as Docker does", async (ctx) => {
    requireOrSkip(ctx, nativeReady, NOT_READY);
    const found = (command: string): boolean =>
      spawnSync("sh", ["-c", 'command -v "$0"', command]).status === 0;
    requireOrSkip(ctx, found("bzip2") && found("xz"), "bzip2 and xz-utils are needed for the archives");
    const src = mkdtempSync(path.join(dir, "tar-"));
    mkdirSync(path.join(src, "pkg"));
    writeFileSync(path.join(src, "pkg", "file"), "packed\n");
    const tarOf = (flag: string[]): Buffer =>
      execFileSync("tar", ["-c", ...flag, "--owner=7", "--group=8", "-C", src, "pkg"]);
    const modified = new Date("2021-02-03T04:05:06Z");
    server = createServer((req, res) => {
      if (req.url === "/files/remote.txt") {
        res.writeHead(200, { "Last-Modified": modified.toUTCString() });
        res.end("remote\n");
      } else {
        res.writeHead(404);
        res.end("nope");
      }
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    const ctxDir = context({
      Dockerfile: [
        `FROM ${BASE}`,
        "ADD plain.tar /plain/",
        "ADD gz.tgz /gz",
        "ADD bz.tar.bz2 xz.tar.xz /multi/",
        "COPY gz.tgz /notunpacked/",
        `ADD http://127.0.0.1:${port}/files/remote.txt /dl/`,
      ].join("\n"),
      "plain.tar": tarOf([]),
      "gz.tgz": tarOf(["-z"]),
      "bz.tar.bz2": tarOf(["-j"]),
      "xz.tar.xz": tarOf(["-J"]),
    });
    const { id } = await build({ context: ctxDir });
    const out = await run(
      id,
      "cat /plain/pkg/file /gz/pkg/file /multi/pkg/file; stat -c '%u:%g' /gz/pkg/file; ls /notunpacked; stat -c '%a %u:%g %Y' /dl/remote.txt; cat /dl/remote.txt",
    );
    expect(out.split("\n")).toEqual([
      "packed",
      "packed",
      "packed",
      "7:8",
      "gz.tgz",
      `600 0:0 ${modified.getTime() / 1000}`,
      "remote",
    ]);
    await expect(
      build({ context: context({ Dockerfile: `FROM ${BASE}\nADD http://127.0.0.1:${port}/missing /x\n` }) }),
    ).rejects.toThrow(`failed to GET http://127.0.0.1:${port}/missing with status 404`);
  }, 120_000);

  it("writes HEALTHCHECK and ONBUILD, and runs a base's triggers in the next build", async (ctx) => {
    requireOrSkip(ctx, nativeReady, NOT_READY);
    const base = context({
      Dockerfile: [
        `FROM ${BASE}`,
        "HEALTHCHECK --interval=5s --timeout=2s --start-period=1m --retries=3 CMD wget -q -O- http://localhost/ || exit 1",
        "ONBUILD COPY trigger.txt /from-trigger.txt",
        "ONBUILD RUN echo ran > /trigger-ran",
      ].join("\n"),
    });
    const { id: baseId } = await build({ context: base, tags: ["berth-test/features:onbuild"] });
    const store = openImageStore(nativePaths(env));
    const baseConfig = (await store.resolve(baseId)).config.config;
    expect(baseConfig?.Healthcheck).toEqual({
      Test: ["CMD-SHELL", "wget -q -O- http://localhost/ || exit 1"],
      Interval: 5e9,
      Timeout: 2e9,
      StartPeriod: 60e9,
      Retries: 3,
    });
    expect(baseConfig?.OnBuild).toEqual([
      "COPY trigger.txt /from-trigger.txt",
      "RUN echo ran > /trigger-ran",
    ]);
    const child = context({
      Dockerfile: "FROM berth-test/features:onbuild\nHEALTHCHECK NONE\n",
      "trigger.txt": "triggered\n",
    });
    const { id, events } = await build({ context: child });
    expect(events).toContain("# Executing 2 build triggers");
    const childConfig = (await store.resolve(id)).config.config;
    expect(childConfig?.OnBuild ?? []).toEqual([]);
    expect(childConfig?.Healthcheck).toEqual({ Test: ["NONE"] });
    expect(await run(id, "cat /from-trigger.txt /trigger-ran")).toBe("triggered\nran");
  }, 60_000);

  it("reuses every step of an unchanged rebuild, and rebuilds from a changed file's COPY on", async (ctx) => {
    requireOrSkip(ctx, nativeReady, NOT_READY);
    const ctxDir = context({
      Dockerfile: [
        `FROM ${BASE}`,
        "ENV A=1",
        "RUN echo first > /first",
        "COPY *.txt /data/",
        "RUN cat /data/*.txt > /joined",
        "LABEL done=yes",
      ].join("\n"),
      "a.txt": "a\n",
      "b.txt": "b\n",
    });
    const created = async (work: () => Promise<unknown>): Promise<number> => {
      const since = new Date();
      await work();
      const until = new Date(Date.now() + 1000);
      let count = 0;
      for await (const event of runtime.events({ types: ["container"], since, until }))
        if (event.action === "create") count++;
      return count;
    };
    let first!: { id: string; events: string[] };
    expect(await created(async () => (first = await build({ context: ctxDir })))).toBe(2);
    let second!: { id: string; events: string[] };
    expect(await created(async () => (second = await build({ context: ctxDir })))).toBe(0);
    expect(second.id).toBe(first.id);
    expect(second.events.filter((e) => e === " ---> Using cache")).toHaveLength(5);
    expect(second.events.some((e) => e.startsWith(" ---> Running in"))).toBe(false);

    // A touched file with the same content keeps the cache (times are not part of the key).
    writeFileSync(path.join(ctxDir, "b.txt"), "b\n");
    expect((await build({ context: ctxDir })).id).toBe(first.id);

    writeFileSync(path.join(ctxDir, "b.txt"), "changed\n");
    let third!: { id: string; events: string[] };
    expect(await created(async () => (third = await build({ context: ctxDir })))).toBe(1);
    expect(third.id).not.toBe(first.id);
    // ENV and the first RUN came from the cache; the COPY, the RUN after it and the LABEL did not.
    expect(third.events.filter((e) => e === " ---> Using cache")).toHaveLength(2);
    expect(await run(third.id, "cat /joined")).toBe("a\nchanged");

    // noCache runs everything again.
    let fourth!: { id: string; events: string[] };
    expect(await created(async () => (fourth = await build({ context: ctxDir, noCache: true })))).toBe(2);
    expect(fourth.events).not.toContain(" ---> Using cache");
  }, 120_000);
});
