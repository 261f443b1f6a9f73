/**
 * What the Docker backend does beyond the conformance suite (./runtime-conformance.test.ts): the API
 * version it negotiates, the engine's own words in its errors, an engine that is not there, and the
 * test image kept between runs. Nothing here makes an object on the engine.
 *
 * Without an engine the suite is skipped (and fails under CI=true): see ./engine.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDockerRuntime } from "../../src/runtime/docker/docker-runtime.js";
import type { RuntimeError } from "../../src/runtime/errors.js";
import { ApiError, EngineUnavailableError, NotFoundError } from "../../src/runtime/errors.js";
import type { Runtime } from "../../src/runtime/runtime.js";
import { rejection, within } from "./conformance/harness.js";
import { describeEngine } from "./engine.js";
import { ensureTestImage, openTestEngine } from "./images.js";

let runtime: Runtime;
let image: string;

describeEngine("Docker runtime against a real engine", () => {
  beforeAll(async () => ({ runtime, image } = await openTestEngine()), 90_000);

  afterAll(async () => {
    await runtime?.close();
  });

  describe("ping", () => {
    it("reports a Docker engine speaking API 1.41 or newer", async () => {
      const info = await runtime.ping(AbortSignal.timeout(5_000));
      expect(info.kind).toBe("docker");
      expect(info.version).not.toBe("");
      expect(info.os).toBe("linux");
      const [major = 0, minor = 0] = (info.apiVersion ?? "0.0").split(".").map(Number);
      expect(major * 1000 + minor, `apiVersion ${info.apiVersion}`).toBeGreaterThanOrEqual(1041);
    });
  });

  describe("images", () => {
    it("keeps the test image once imported (a second ensure imports nothing)", async () => {
      const before = await runtime.images.inspect(image);
      const again = createDockerRuntime();
      try {
        expect(await ensureTestImage(again)).toBe(image);
      } finally {
        await again.close();
      }
      expect((await runtime.images.inspect(image))?.created).toEqual(before?.created);
    });

    it("rejects a pull from an unreachable registry with the engine's message", async () => {
      const error = await within(
        30_000,
        "pull 127.0.0.1:1/nothing:latest",
        rejection(runtime.images.pull("127.0.0.1:1/nothing:latest", { signal: AbortSignal.timeout(25_000) })),
      );
      expect(error instanceof ApiError || error instanceof NotFoundError, String(error)).toBe(true);
      const message = (error as RuntimeError).message;
      // The daemon's own words: it names the registry address and the refused connection.
      expect(message).toContain("127.0.0.1:1");
      expect(message).toMatch(/connection refused|dial tcp/);
    }, 35_000);
  });

  describe("typed errors", () => {
    it("EngineUnavailable for a socket that does not exist", async () => {
      const absent = createDockerRuntime({ host: "unix:///nonexistent.sock" });
      try {
        const error = await within(10_000, "ping", rejection(absent.ping(AbortSignal.timeout(5_000))));
        expect(error).toBeInstanceOf(EngineUnavailableError);
        expect((error as Error).message).toContain("/nonexistent.sock");
        expect(await rejection(absent.containers.list())).toBeInstanceOf(EngineUnavailableError);
      } finally {
        await absent.close();
      }
    });
  });
});
