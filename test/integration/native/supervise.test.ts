/**
 * The native supervisor, as root, on real containers (runc under conmon): restart policies applied
 * between commands (on-failure:3 gives up after 3 restarts; always restarts after an exit but not
 * after a stop by hand), healthchecks starting → healthy → unhealthy with a start period, and a
 * SIGKILLed supervisor that leaves its containers running and is taken over by the next one, which
 * resumes the probes; a `--rm` container removed at its exit and a log rotated at max-size with no
 * command running; a kill that cancels a restart only with the stop signal. Afterwards no container process, mount, cgroup or file is left, and the
 * supervisor has ended by itself once nothing needed it.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { build } from "rolldown";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NativeContainers } from "../../../src/runtime/native/containers/containers.js";
import { stillRuns } from "../../../src/runtime/native/containers/lock.js";
import { containerLayout, readRecord } from "../../../src/runtime/native/containers/records.js";
import { parseEvent } from "../../../src/runtime/native/events.js";
import {
  ENTRY_ENV,
  ensureSupervisor,
  runningSupervisor,
} from "../../../src/runtime/native/supervise/ensure.js";
import { readHealth } from "../../../src/runtime/native/supervise/state-files.js";
import type { ContainerSpec, RuntimeEvent } from "../../../src/runtime/runtime.js";
import { requireOrSkip } from "../engine.js";
import {
  nativeReady,
  NOT_READY,
  openNativeEnv,
  processesOf,
  removeMade,
  TEST_IMAGE,
  traces,
  until,
  type NativeEnv,
} from "./containers-harness.js";

let env: NativeEnv | undefined;
let containers: NativeContainers;
const made: string[] = [];

const spec = (name: string, extra: Partial<ContainerSpec>): ContainerSpec => ({
  name,
  image: TEST_IMAGE,
  labels: { "berth.test": "native-supervise" },
  networkMode: "none",
  ...extra,
});

async function run(container: ContainerSpec): Promise<string> {
  const { id } = await containers.create(container);
  made.push(id);
  await containers.start(id);
  return id;
}

function eventsOf(id: string): RuntimeEvent[] {
  let text = "";
  try {
    text = readFileSync(env!.paths.events, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .map(parseEvent)
    .filter((event): event is RuntimeEvent => event?.id === id);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe("native supervisor", () => {
  beforeAll(async () => {
    if (!nativeReady) return;
    env = await openNativeEnv();
    containers = env.containers();
    const entry = path.join(env.dir, "supervisor.mjs");
    await build({
      input: path.join(import.meta.dirname, "supervise-child.ts"),
      platform: "node",
      external: [/^node:/],
      logLevel: "warn",
      output: { file: entry, format: "esm" },
    });
    // The containers module starts the supervisor after a start; here it runs the tests' bundle.
    process.env[ENTRY_ENV] = entry;
  }, 60_000);

  afterAll(async () => {
    if (!env) return;
    const left = await removeMade(env, containers, made);
    // With nothing left to supervise, the supervisor ends by itself (idle 1.5 s, rescans every 0.5 s).
    let ended = true;
    const supervisor = runningSupervisor(env.paths);
    if (supervisor) {
      ended = false;
      for (let i = 0; i < 100 && !ended; i++) {
        await sleep(100);
        ended = !stillRuns(supervisor);
      }
      if (!ended) process.kill(supervisor.pid, "SIGKILL");
    }
    delete process.env[ENTRY_ENV];
    env.dispose();
    expect(left, "traces left after the tests").toEqual([]);
    expect(ended, "the supervisor ended by itself once idle").toBe(true);
  }, 60_000);

  it("on-failure:3 restarts a failing container exactly 3 times, then leaves it exited", async (context) => {
    requireOrSkip(context, nativeReady, NOT_READY);
    const id = await run(
      spec("berth-sv-onfailure", {
        command: ["sh", "-c", "exit 1"],
        restart: { name: "on-failure", maximumRetryCount: 3 },
      }),
    );
    expect(runningSupervisor(env!.paths), "a supervisor runs after the start").toBeDefined();
    // Delays 100 + 200 + 400 ms between the runs.
    await until(15_000, "3 restarts", () => readRecord(env!.paths, id)?.restartCount === 3);
    await until(5_000, "the last run's exit collected", async () => {
      const state = await containers.inspect(id);
      return state?.status === "exited" && eventsOf(id).filter((e) => e.action === "die").length === 4;
    });
    // Well past the next delay (800 ms): no fourth restart.
    await sleep(2_000);
    const state = await containers.inspect(id);
    expect(state).toMatchObject({ status: "exited", exitCode: 1, restartCount: 3, running: false });
    const lifecycle = eventsOf(id)
      .map((e) => e.action)
      .filter((action) => action === "start" || action === "die");
    expect(lifecycle).toEqual(["start", "die", "start", "die", "start", "die", "start", "die"]);

    // A start by hand gives the policy a fresh count (Docker resets RestartCount): 3 more restarts.
    await containers.start(id);
    await until(15_000, "3 more restarts, collected", async () => {
      const again = await containers.inspect(id);
      const dies = eventsOf(id).filter((e) => e.action === "die").length;
      return again?.status === "exited" && again.restartCount === 3 && dies === 8;
    });
  }, 40_000);

  it("always restarts after an exit, and not after a stop by hand", async (context) => {
    requireOrSkip(context, nativeReady, NOT_READY);
    const id = await run(
      spec("berth-sv-always", { command: ["sh", "-c", "sleep 0.3"], restart: { name: "always" } }),
    );
    await until(10_000, "restarted after exit 0", async () => {
      const state = await containers.inspect(id);
      return (state?.restartCount ?? 0) >= 1;
    });
    // A container that sleeps 0.3 s and is brought back: at some point it waits its delay as
    // `restarting`, or runs again.
    const seen = new Set<string>();
    await until(10_000, "seen running again after a restart", async () => {
      const state = await containers.inspect(id);
      if (state) seen.add(state.status);
      return state?.status === "running" && state.restartCount >= 2;
    });
    await containers.stop(id, { timeoutS: 0 });
    const stopped = await containers.inspect(id);
    expect(stopped?.status).toBe("exited");
    await sleep(2_000);
    const after = await containers.inspect(id);
    expect(after?.status).toBe("exited");
    expect(after?.restartCount).toBe(stopped?.restartCount);
    expect([...seen].filter((status) => !["running", "restarting", "exited"].includes(status))).toEqual([]);
  }, 30_000);

  it("removes a --rm container at its exit with nobody waiting for it (run --rm -d)", async (context) => {
    requireOrSkip(context, nativeReady, NOT_READY);
    const id = await run(spec("berth-sv-rm", { command: ["sh", "-c", "sleep 0.3"], autoRemove: true }));
    expect(runningSupervisor(env!.paths), "a supervisor runs after the start").toBeDefined();
    await until(10_000, "removed at its exit", () => readRecord(env!.paths, id) === undefined);
    expect(eventsOf(id).map((e) => e.action)).toEqual(["create", "start", "die", "destroy"]);
    expect(traces(env!, id)).toEqual([]);
  }, 30_000);

  it("rotates a log at max-size as the container writes, with no command running", async (context) => {
    requireOrSkip(context, nativeReady, NOT_READY);
    const id = await run(
      spec("berth-sv-rotate", {
        command: [
          "sh",
          "-c",
          "while true; do echo 0123456789012345678901234567890123456789; sleep 0.01; done",
        ],
        logging: { driver: "json-file", options: { "max-size": "2k", "max-file": "2" } },
      }),
    );
    const log = containerLayout(env!.paths, id).log;
    await until(10_000, "the log rotated", () => existsSync(`${log}.1`));
    await containers.remove(id, { force: true });
  }, 30_000);

  it("keeps a restart after a kill with another signal than the stop signal, and cancels it with the stop signal", async (context) => {
    requireOrSkip(context, nativeReady, NOT_READY);
    const id = await run(
      spec("berth-sv-kill", {
        command: ["sh", "-c", "trap 'exit 3' USR1 USR2; while true; do sleep 0.05; done"],
        stopSignal: "SIGUSR1",
        restart: { name: "always" },
      }),
    );
    // Docker's killWithSignal: a signal other than the container's own stop signal is no stop.
    await containers.kill(id, "SIGUSR2");
    await until(10_000, "restarted after the kill", async () => {
      const state = await containers.inspect(id);
      return state?.status === "running" && state.restartCount === 1;
    });
    await containers.kill(id, "usr1");
    await containers.wait(id, { signal: AbortSignal.timeout(10_000) });
    await sleep(1_500);
    const after = await containers.inspect(id);
    expect(after).toMatchObject({ status: "exited", exitCode: 3, restartCount: 1 });
  }, 30_000);

  it("shows a restart waiting its delay as restarting; a stop then cancels it", async (context) => {
    requireOrSkip(context, nativeReady, NOT_READY);
    const id = await run(
      spec("berth-sv-backoff", { command: ["sh", "-c", "exit 2"], restart: { name: "always" } }),
    );
    // Delays 100, 200, 400, 800, 1600 ms…: soon one is long enough to be seen.
    await until(15_000, "seen restarting", async () => {
      const state = await containers.inspect(id);
      return state?.status === "restarting" && state.restartCount >= 4;
    });
    const waiting = await containers.inspect(id);
    expect(waiting).toMatchObject({ running: true, exitCode: 2 });
    const listed = (await containers.list({ labels: ["berth.test=native-supervise"] })).find(
      (c) => c.id === id,
    );
    expect(listed?.statusText).toMatch(/^Restarting \(2\) /);
    await containers.stop(id, { timeoutS: 0 });
    const stopped = await containers.inspect(id);
    expect(stopped?.status).toBe("exited");
    // Longer than the delay that was pending (at most 60 s, here a few seconds at most).
    await sleep(3_500);
    const after = await containers.inspect(id);
    expect(after?.status).toBe("exited");
    expect(after?.restartCount).toBe(stopped?.restartCount);
  }, 30_000);

  it("answers an exit collected while no supervisor ran: the next command starts one", async (context) => {
    requireOrSkip(context, nativeReady, NOT_READY);
    const id = await run(
      spec("berth-sv-owed", { command: ["sh", "-c", "sleep 1"], restart: { name: "unless-stopped" } }),
    );
    const supervisor = runningSupervisor(env!.paths);
    expect(supervisor).toBeDefined();
    process.kill(supervisor!.pid, "SIGKILL");
    await until(5_000, "the supervisor gone", () => !stillRuns(supervisor!));
    // inspect collects the exit (die) and starts nothing.
    await until(10_000, "exited, collected", async () => (await containers.inspect(id))?.status === "exited");
    expect(runningSupervisor(env!.paths)).toBeUndefined();
    expect((await containers.inspect(id))?.restartCount).toBe(0);
    // A list (ps) starts a supervisor, which restarts it.
    await containers.list({ all: true });
    expect(runningSupervisor(env!.paths)).toBeDefined();
    await until(10_000, "restarted", async () => {
      const state = await containers.inspect(id);
      return state?.restartCount === 1 && state.status === "running";
    });
    await containers.remove(id, { force: true });
  }, 30_000);

  it("reports starting → healthy → unhealthy, a start period shielding early failures", async (context) => {
    requireOrSkip(context, nativeReady, NOT_READY);
    const id = await run(
      spec("berth-sv-health", {
        // The file the check looks for appears after 1 s; the start period (3 s) covers that.
        command: ["sh", "-c", "sleep 1; touch /tmp/ok; exec sleep 120"],
        healthcheck: {
          test: ["CMD-SHELL", "test -f /tmp/ok && echo ok"],
          intervalNs: 300e6,
          timeoutNs: 2e9,
          startPeriodNs: 3e9,
          startIntervalNs: 100e6,
          retries: 1,
        },
      }),
    );
    const first = await containers.inspect(id);
    expect(first?.health).toBe("starting");
    await until(10_000, "healthy", async () => (await containers.inspect(id))?.health === "healthy");
    const health = readHealth(env!.paths, id);
    // Failed probes ran before the file existed, yet with retries 1 it never turned unhealthy.
    expect(health?.log.some((probe) => probe.exitCode === 1)).toBe(true);
    expect(health?.log.at(-1)).toMatchObject({ exitCode: 0, output: "ok\n" });
    expect(
      (await containers.list({ labels: ["berth.test=native-supervise"] })).find((c) => c.id === id),
    ).toMatchObject({
      health: "healthy",
      statusText: expect.stringMatching(/^Up .* \(healthy\)$/) as unknown,
    });

    rmSync(path.join(containerLayout(env!.paths, id).rootfs, "tmp", "ok"));
    await until(10_000, "unhealthy", async () => {
      const unhealthy = eventsOf(id).some((e) => e.action === "health" && e.health === "unhealthy");
      return unhealthy && (await containers.inspect(id))?.health === "unhealthy";
    });
    const state = await containers.inspect(id);
    expect(state?.status).toBe("running");
    expect(state?.healthProbe?.exitCode).toBe(1);
    const changes = eventsOf(id).flatMap((e) => (e.action === "health" ? [e.health] : []));
    expect(changes).toEqual(["healthy", "unhealthy"]);
  }, 30_000);

  it("does not probe a paused container, and probes again once unpaused", async (context) => {
    requireOrSkip(context, nativeReady, NOT_READY);
    const id = await run(
      spec("berth-sv-paused", {
        command: ["sleep", "120"],
        healthcheck: { test: ["CMD", "true"], intervalNs: 200e6, timeoutNs: 1e9 },
      }),
    );
    await until(10_000, "healthy", async () => (await containers.inspect(id))?.health === "healthy");
    await containers.pause(id);
    // The scan that sees the pause comes within 0.5 s; a probe in flight then may still land.
    await sleep(1_000);
    const frozen = readHealth(env!.paths, id)?.log.at(-1)?.end;
    await sleep(1_000);
    expect(readHealth(env!.paths, id)?.log.at(-1)?.end).toBe(frozen);
    await containers.unpause(id);
    await until(10_000, "probing again", () => readHealth(env!.paths, id)?.log.at(-1)?.end !== frozen);
    expect((await containers.inspect(id))?.health).toBe("healthy");
    await containers.remove(id, { force: true });
  }, 30_000);

  it("kills a probe that outlives its timeout and counts it as a failure", async (context) => {
    requireOrSkip(context, nativeReady, NOT_READY);
    const id = await run(
      spec("berth-sv-timeout", {
        command: ["sleep", "120"],
        healthcheck: { test: ["CMD", "sleep", "7"], intervalNs: 200e6, timeoutNs: 300e6, retries: 1 },
      }),
    );
    // Three timed-out probes: left running, three `sleep 7` would be in the container now.
    await until(10_000, "unhealthy after 3 timeouts", async () => {
      const timeouts = readHealth(env!.paths, id)?.log.filter((p) => p.exitCode === -1).length ?? 0;
      return timeouts >= 3 && (await containers.inspect(id))?.health === "unhealthy";
    });
    const probe = (await containers.inspect(id))?.healthProbe;
    expect(probe).toMatchObject({ exitCode: -1, output: "Health check exceeded timeout (300ms)" });
    expect(probe!.end!.getTime() - probe!.start!.getTime()).toBeLessThan(3_000);
    // The probe's process was killed, not left to run its 7 s in the container.
    const probes = processesOf(id).filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8") === "sleep\u00007\u0000";
      } catch {
        return false;
      }
    });
    expect(probes.length).toBeLessThanOrEqual(1); // at most the probe running right now
    await containers.remove(id, { force: true });
  }, 30_000);

  it("a SIGKILLed supervisor leaves the containers running; the next one resumes the probes", async (context) => {
    requireOrSkip(context, nativeReady, NOT_READY);
    const id = made.find((each) => readRecord(env!.paths, each)?.name === "berth-sv-health");
    expect(id).toBeDefined();
    const supervisor = runningSupervisor(env!.paths);
    expect(supervisor).toBeDefined();
    process.kill(supervisor!.pid, "SIGKILL");
    await until(5_000, "the supervisor gone", () => !stillRuns(supervisor!));
    await sleep(1_000);
    const state = await containers.inspect(id!);
    expect(state?.status).toBe("running");
    expect(state?.pid !== undefined && stillRuns({ pid: state.pid, start: undefined })).toBe(true);
    // Nobody probes now: the newest result stays where it was.
    const frozen = readHealth(env!.paths, id!)?.log.at(-1)?.end;
    await sleep(800);
    expect(readHealth(env!.paths, id!)?.log.at(-1)?.end).toBe(frozen);

    const next = await ensureSupervisor(env!.paths);
    expect(next.started).toBe(true);
    expect(next.pid).not.toBe(supervisor!.pid);
    // Put the file back: the resumed probes see it and the container turns healthy again.
    writeFileSync(path.join(containerLayout(env!.paths, id!).rootfs, "tmp", "ok"), "");
    await until(10_000, "probes resumed, healthy again", async () => {
      const end = readHealth(env!.paths, id!)?.log.at(-1)?.end;
      const changes = eventsOf(id!).flatMap((e) => (e.action === "health" ? [e.health] : []));
      return end !== frozen && changes.length === 3;
    });
    expect((await containers.inspect(id!))?.health).toBe("healthy");
    const changes = eventsOf(id!).flatMap((e) => (e.action === "health" ? [e.health] : []));
    expect(changes).toEqual(["healthy", "unhealthy", "healthy"]);
  }, 30_000);
});
