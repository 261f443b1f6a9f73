/**
 * `--runtime` must offer every registered backend and make the one named: docker by default,
 * native refused with the same sentence until it exists; the host-port check follows the backend.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_RUNTIME, RUNTIME_NAMES, runtimeBackend } from "../../../src/runtime/backends.js";
import { BerthError } from "../../../src/errors.js";

describe("runtime backends", () => {
  it("lists docker (the default) and native", () => {
    expect(RUNTIME_NAMES).toEqual(["docker", "native"]);
    expect(DEFAULT_RUNTIME).toBe("docker");
  });

  it("makes a Docker runtime without connecting to anything", async () => {
    const runtime = await runtimeBackend("docker").create({ DOCKER_HOST: "unix:///nonexistent.sock" });
    expect(runtime.kind).toBe("docker");
    await runtime.close();
  });

  it("refuses native with a sentence and a hint", async () => {
    const error = await runtimeBackend("native")
      .create({})
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(error).toBeInstanceOf(BerthError);
    expect((error as BerthError).message).toBe("the native runtime is not available yet");
    expect((error as BerthError).hint).toBe(
      "use --runtime docker (the default), which talks to the Docker Engine",
    );
  });

  it("checks host ports for a local engine only", () => {
    const docker = runtimeBackend("docker");
    expect(docker.sharesHostNetwork({})).toBe(true);
    expect(docker.sharesHostNetwork({ DOCKER_HOST: "unix:///run/user/1000/docker.sock" })).toBe(true);
    expect(docker.sharesHostNetwork({ DOCKER_HOST: "tcp://10.0.0.5:2375" })).toBe(false);
    expect(docker.sharesHostNetwork({ DOCKER_HOST: "ssh://me@host" })).toBe(false);
    expect(runtimeBackend("native").sharesHostNetwork({})).toBe(true);
  });
});
