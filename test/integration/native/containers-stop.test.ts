/**
 * A stop's signal reaches the container's init without a `runc kill` process (runc is run through a
 * wrapper that logs its subcommands), and the stop still collects the exit the signal caused. The
 * harness checks that nothing of the container is left.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createNativeContainers,
  type NativeContainers,
} from "../../../src/runtime/native/containers/containers.js";
import { requireOrSkip } from "../engine.js";
import {
  closeNativeEnv,
  nativeReady,
  NOT_READY,
  openNativeEnv,
  TEST_IMAGE,
  type NativeEnv,
} from "./containers-harness.js";

let env: NativeEnv | undefined;
let containers: NativeContainers;
let log: string;
const made: string[] = [];

describe("native containers: stop", () => {
  beforeAll(async () => {
    if (!nativeReady) return;
    env = await openNativeEnv();
    const bin = path.join(env.dir, "bin");
    mkdirSync(bin, { recursive: true });
    log = path.join(env.dir, "runc.log");
    const wrapper = path.join(bin, "runc");
    // Every runc the runtime (and conmon) runs, by its subcommand, then the real one.
    writeFileSync(
      wrapper,
      `#!/bin/sh\nfor a in "$@"; do case "$a" in kill|delete|create|start|state) echo "$a" >> ${log};; esac; done\nexec /usr/sbin/runc "$@"\n`,
    );
    chmodSync(wrapper, 0o755);
    containers = createNativeContainers({ paths: env.paths, deps: env.deps, runcPath: wrapper });
  });

  afterAll(async () => {
    if (!env) return;
    expect(await closeNativeEnv(env, containers, made)).toEqual([]);
  });

  it("signals the init itself and collects the exit it causes", async (context) => {
    requireOrSkip(context, nativeReady, NOT_READY);
    const { id } = await containers.create({
      name: "stop-direct",
      image: TEST_IMAGE,
      command: ["sh", "-c", "trap 'exit 3' TERM; sleep 3600 & wait"],
      labels: { "berth.test": "native-stop" },
    });
    made.push(id);
    await containers.start(id);
    writeFileSync(log, "");
    await containers.stop(id, { timeoutS: 20 });
    const state = await containers.inspect(id);
    expect(state?.status).toBe("exited");
    expect(state?.exitCode).toBe(3);
    // The TERM went by kill(2): no `runc kill` (before: one per stop, a process per container in a down).
    expect(readFileSync(log, "utf8").split("\n")).not.toContain("kill");
  });
});
