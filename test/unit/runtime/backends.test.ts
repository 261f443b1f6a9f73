/**
 * `--runtime` must offer every registered backend and make the one named: by default (`auto`) the
 * Docker Engine when one answers, else native where it can serve (Linux, root, runc and conmon),
 * else Docker's own error; the host-port check follows the backend.
 */
import { describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import {
  type AutoFacts,
  chooseAuto,
  choiceSharesHostNetwork,
  createRuntime,
  DEFAULT_RUNTIME,
  type HostFacts,
  nativeMissing,
  RUNTIME_CHOICES,
  RUNTIME_NAMES,
  runtimeBackend,
} from "../../../src/runtime/backends.js";
import { BerthError } from "../../../src/errors.js";
import type { Runtime } from "../../../src/runtime/runtime.js";

describe("runtime backends", () => {
  it("lists docker and native, and auto (the default) to choose between them", () => {
    expect(RUNTIME_NAMES).toEqual(["docker", "native"]);
    expect(RUNTIME_CHOICES).toEqual(["auto", "docker", "native"]);
    expect(DEFAULT_RUNTIME).toBe("auto");
  });

  it("auto: Docker when DOCKER_HOST is set or an engine answers; native only where no engine is there", async () => {
    const gone = (code: string): Promise<never> =>
      Promise.reject(new Error("cannot connect", { cause: Object.assign(new Error(code), { code }) }));
    const facts = (over: Partial<AutoFacts>): AutoFacts => ({
      dockerHostSet: false,
      probeEngine: () => Promise.resolve(),
      nativeCanServe: true,
      ...over,
    });
    expect(await chooseAuto(facts({}))).toBe("docker");
    expect(await chooseAuto(facts({ probeEngine: () => gone("ENOENT") }))).toBe("native");
    expect(await chooseAuto(facts({ probeEngine: () => gone("ECONNREFUSED") }))).toBe("native");
    // An engine named on purpose, one that is there but does not answer in time, or no native here.
    expect(await chooseAuto(facts({ dockerHostSet: true, probeEngine: () => gone("ENOENT") }))).toBe(
      "docker",
    );
    expect(await chooseAuto(facts({ probeEngine: () => Promise.reject(new Error("did not answer")) }))).toBe(
      "docker",
    );
    expect(await chooseAuto(facts({ probeEngine: () => gone("ENOENT"), nativeCanServe: false }))).toBe(
      "docker",
    );
  });

  it("auto with DOCKER_HOST makes the Docker runtime, even when nothing answers there", async () => {
    const runtime = await createRuntime("auto", { DOCKER_HOST: "unix:///nonexistent.sock" });
    expect(runtime.kind).toBe("docker");
    await runtime.close();
  });

  it("makes a Docker runtime without connecting to anything", async () => {
    const runtime = await runtimeBackend("docker").create({ DOCKER_HOST: "unix:///nonexistent.sock" });
    expect(runtime.kind).toBe("docker");
    await runtime.close();
  });

  it("says why native cannot serve: not Linux, not root, runc or conmon missing", () => {
    const host = (over: Partial<HostFacts>, missing: readonly string[] = []): HostFacts => ({
      platform: "linux",
      uid: 0,
      exists: (path) => !missing.includes(path),
      ...over,
    });
    expect(nativeMissing(host({}))).toBeUndefined();
    expect(nativeMissing(host({ platform: "darwin" }))).toBe("it runs on Linux only (this is darwin)");
    expect(nativeMissing(host({ uid: 1000 }))).toBe("it needs root (run berth as root)");
    expect(nativeMissing(host({}, ["/usr/sbin/runc"]))).toBe(
      "runc is not installed (/usr/sbin/runc; Debian package runc)",
    );
    expect(nativeMissing(host({}, ["/usr/bin/conmon"]))).toBe(
      "conmon is not installed (/usr/bin/conmon; Debian package conmon)",
    );
  });

  it("makes the native runtime where it can serve, and refuses with the reason elsewhere", async () => {
    const outcome = await runtimeBackend("native")
      .create({ BERTH_ROOT: "/nonexistent/berth", BERTH_RUN_ROOT: "/nonexistent/berth-run" })
      .then(
        (runtime) => runtime,
        (err: unknown) => err,
      );
    const missing = nativeMissing({
      platform: process.platform,
      uid: process.getuid?.(),
      exists: existsSync,
    });
    if (missing === undefined) {
      expect((outcome as Runtime).kind).toBe("native");
      await (outcome as Runtime).close();
    } else {
      expect(outcome).toBeInstanceOf(BerthError);
      expect((outcome as BerthError).message).toBe(`the native runtime cannot run here: ${missing}`);
      expect((outcome as BerthError).hint).toBe("use --runtime docker, which talks to the Docker Engine");
    }
  });

  it("checks host ports for a local engine only", () => {
    const docker = runtimeBackend("docker");
    expect(docker.sharesHostNetwork({})).toBe(true);
    expect(docker.sharesHostNetwork({ DOCKER_HOST: "unix:///run/user/1000/docker.sock" })).toBe(true);
    expect(docker.sharesHostNetwork({ DOCKER_HOST: "tcp://10.0.0.5:2375" })).toBe(false);
    expect(docker.sharesHostNetwork({ DOCKER_HOST: "ssh://me@host" })).toBe(false);
    expect(runtimeBackend("native").sharesHostNetwork({})).toBe(true);
    expect(choiceSharesHostNetwork("auto", {})).toBe(true);
    expect(choiceSharesHostNetwork("auto", { DOCKER_HOST: "tcp://10.0.0.5:2375" })).toBe(false);
  });
});
