/**
 * `--runtime` must offer every registered backend and make the one named: by default (`auto`) native
 * where it can serve (Linux, root, runc and conmon), Docker where it cannot or DOCKER_HOST names an
 * engine, and either way the runtime a project already runs on; the host-port check follows the
 * backend.
 */
import { describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import {
  type AutoFacts,
  type EngineHolds,
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

  describe("auto", () => {
    const project = { name: "shop", labels: ["com.docker.compose.project=shop"] };
    /** Facts with looks that record whether they were taken. */
    const facts = (over: Partial<AutoFacts> & { docker?: EngineHolds; native?: boolean }) => {
      const looked: string[] = [];
      const all: AutoFacts = {
        dockerHostSet: false,
        nativeMissing: undefined,
        engineSocketMissing: undefined,
        project,
        dockerHolds: () => {
          looked.push("docker");
          return Promise.resolve(over.docker ?? "no-engine");
        },
        nativeHolds: () => {
          looked.push("native");
          return Promise.resolve(over.native ?? false);
        },
        ...over,
      };
      return { all, looked };
    };

    it("chooses native wherever it can serve, and says so", async () => {
      for (const docker of ["no-engine", "no"] as const) {
        const { all, looked } = facts({ docker });
        expect(await chooseAuto(all)).toEqual({
          name: "native",
          note: "using the native runtime (--runtime docker for the Docker Engine)",
        });
        expect(looked).toEqual(["docker"]); // native's records are read only when Docker holds it
      }
      // A command without a project (version, ls) looks nowhere.
      const { all, looked } = facts({ project: undefined, docker: "yes" });
      expect((await chooseAuto(all)).name).toBe("native");
      expect(looked).toEqual([]);
    });

    it("chooses Docker, saying nothing, where native cannot serve", async () => {
      const { all, looked } = facts({ nativeMissing: "it needs root (run berth as root)", docker: "no" });
      expect(await chooseAuto(all)).toEqual({ name: "docker" });
      expect(looked).toEqual([]);
    });

    it("says why neither can serve where native cannot and no engine socket exists", async () => {
      const { all } = facts({
        nativeMissing: "it needs root (run berth as root)",
        engineSocketMissing: "unix:///var/run/docker.sock",
      });
      const error = await chooseAuto(all).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(BerthError);
      expect((error as BerthError).message).toBe(
        "no container runtime here: no Docker Engine is at unix:///var/run/docker.sock, and the native runtime cannot run here: it needs root (run berth as root)",
      );
      expect((error as BerthError).hint).toBe(
        "run berth as root with runc and conmon installed, or start dockerd (or set DOCKER_HOST)",
      );
    });

    it("follows a project that runs on the Docker Engine there, and says where it runs and what to pass", async () => {
      expect(await chooseAuto(facts({ docker: "yes" }).all)).toEqual({
        name: "docker",
        note: 'project "shop" runs on the Docker Engine: using it (--runtime native runs it natively instead)',
      });
      // On both: the default, naming the other copy.
      expect(await chooseAuto(facts({ docker: "yes", native: true }).all)).toEqual({
        name: "native",
        note: 'using the native runtime; project "shop" also has containers on the Docker Engine (--runtime docker reaches those)',
      });
    });

    it("goes native when the engine does not answer in time, saying the project was not looked for there", async () => {
      expect(await chooseAuto(facts({ docker: "no-answer" }).all)).toEqual({
        name: "native",
        note: 'using the native runtime; the Docker Engine did not answer within 2 s, so project "shop" was not looked for there (--runtime docker waits for it)',
      });
    });

    it("takes DOCKER_HOST as a request for Docker, unless the project runs natively only", async () => {
      const plain = facts({ dockerHostSet: true, docker: "yes" });
      expect(await chooseAuto(plain.all)).toEqual({ name: "docker" });
      expect(plain.looked).toEqual(["native"]); // the engine is asked only when native holds it
      for (const docker of ["no", "no-engine", "no-answer"] as const) {
        expect(await chooseAuto(facts({ dockerHostSet: true, docker, native: true }).all)).toEqual({
          name: "native",
          note: 'project "shop" runs on the native runtime: using it (--runtime docker for the engine DOCKER_HOST names)',
        });
      }
      expect(await chooseAuto(facts({ dockerHostSet: true, docker: "yes", native: true }).all)).toEqual({
        name: "docker",
        note: 'project "shop" also has containers on the native runtime (--runtime native reaches those)',
      });
    });
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
