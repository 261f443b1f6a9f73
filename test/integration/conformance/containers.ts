/** Container lifecycle: create, start, inspect, list, restart, pause, rename, stop, kill, wait, remove. */
import { describe, expect, type TestContext } from "vitest";
import { ConflictError, InvalidRequestError, NotFoundError } from "../../../src/runtime/errors.js";
import type { Runtime, WaitResult } from "../../../src/runtime/runtime.js";
import { RUN_ID, TEST_LABEL } from "../engine.js";
import { eventually, type Harness, LABEL_TERM, LABELS, lines, rejection, within } from "./harness.js";

export function containerCases(h: Harness): void {
  describe("containers", () => {
    h.case(
      "creates, starts, inspects, lists, restarts, pauses, renames and stops with a timeout",
      [],
      async () => {
        const { runtime, image } = h;
        const name = h.unique("life");
        const id = await h.createContainer({
          name,
          command: ["sleep", "60"],
          env: { GREETING: "hello" },
          workingDir: "/tmp",
          hostname: "berth-host",
        });
        let state = await runtime.containers.inspect(name);
        expect(state?.id).toBe(id);
        expect(state?.name).toBe(name);
        expect(state?.image).toBe(image);
        expect(state?.imageId).toBe((await runtime.images.inspect(image))?.id);
        expect(state?.labels[TEST_LABEL]).toBe(RUN_ID);
        expect(state?.status).toBe("created");
        expect(state?.running).toBe(false);
        expect(state?.health).toBeUndefined();
        expect((await runtime.containers.list({ labels: [LABEL_TERM] })).map((c) => c.id)).not.toContain(id);

        await runtime.containers.start(id);
        await runtime.containers.start(id); // already running: a no-op, not an error
        state = await runtime.containers.inspect(id);
        expect(state?.status).toBe("running");
        expect(state?.running).toBe(true);
        expect(state?.pid).toBeGreaterThan(0);
        const firstStart = state?.startedAt?.getTime() ?? 0;
        expect(firstStart).toBeGreaterThan(0);

        expect((await runtime.containers.list({ labels: [LABEL_TERM] })).map((c) => c.id)).toContain(id);
        const byName = await runtime.containers.list({ name, all: true });
        expect(byName.map((c) => c.name)).toEqual([name]);
        expect(byName[0]?.status).toBe("running");
        expect(await runtime.containers.list({ name: name.slice(0, -2), all: true })).toEqual([]);
        expect(
          await runtime.containers.list({ labels: [LABEL_TERM, `${TEST_LABEL}=other`], all: true }),
        ).toEqual([]);

        await runtime.containers.restart(id, { timeoutS: 1 });
        state = await runtime.containers.inspect(id);
        expect(state?.status).toBe("running");
        expect(state?.startedAt?.getTime() ?? 0).toBeGreaterThan(firstStart);

        await runtime.containers.pause(id);
        expect((await runtime.containers.inspect(id))?.status).toBe("paused");
        await runtime.containers.unpause(id);
        expect((await runtime.containers.inspect(id))?.status).toBe("running");

        const renamed = h.unique("renamed");
        await runtime.containers.rename(id, renamed);
        expect((await runtime.containers.inspect(renamed))?.id).toBe(id);
        expect(await runtime.containers.inspect(name)).toBeUndefined();

        const stopStart = Date.now();
        await runtime.containers.stop(renamed, { timeoutS: 1 });
        const took = Date.now() - stopStart;
        // PID 1 `sleep` ignores SIGTERM: the runtime waits the 1 s timeout, then kills.
        expect(took).toBeGreaterThanOrEqual(900);
        expect(took).toBeLessThan(8_000);
        state = await runtime.containers.inspect(id);
        expect(state?.status).toBe("exited");
        expect(state?.running).toBe(false);
        expect(state?.exitCode).toBe(137);
        expect(state?.finishedAt?.getTime() ?? 0).toBeGreaterThanOrEqual(state?.startedAt?.getTime() ?? 0);
        await runtime.containers.stop(id); // already stopped: a no-op
        expect((await runtime.containers.list({ labels: [LABEL_TERM] })).map((c) => c.id)).not.toContain(id);
        const all = await runtime.containers.list({ labels: [LABEL_TERM], all: true });
        expect(all.find((c) => c.id === id)?.status).toBe("exited");
      },
      30_000,
    );

    h.case(
      "stops at once with SIGKILL as the stop signal, and kills; both no-ops once stopped",
      [],
      async () => {
        const { runtime } = h;
        const id = await h.sleeper();
        const started = Date.now();
        await runtime.containers.stop(id, { timeoutS: 30, signal: "SIGKILL" });
        expect(Date.now() - started).toBeLessThan(10_000);
        expect((await runtime.containers.inspect(id))?.exitCode).toBe(137);

        const other = await h.sleeper();
        await runtime.containers.kill(other);
        expect(await h.waitExit(other)).toBe(137);
        await runtime.containers.kill(other); // stopped: a no-op, as the Runtime's conventions ask
        await runtime.containers.stop(other, { signal: "SIGKILL" });
        expect((await runtime.containers.inspect(other))?.status).toBe("exited");
      },
    );

    h.case("kills with a chosen signal the process traps", ["processes"], async () => {
      const { runtime } = h;
      const id = await h.createContainer({
        command: ["sh", "-c", "trap 'exit 42' USR1; echo ready; while true; do sleep 0.1; done"],
      });
      await runtime.containers.start(id);
      await eventually(10_000, "trap installed", async () =>
        lines(await h.collectLogs(id), "stdout").includes("ready"),
      );
      await runtime.containers.kill(id, "SIGUSR1");
      expect(await h.waitExit(id)).toBe(42);
      await runtime.containers.kill(id);
      expect((await runtime.containers.inspect(id))?.exitCode).toBe(42);
    });

    h.case("resolves waits registered before the exit and before the removal", [], async () => {
      const { runtime } = h;
      const id = await h.sleeper();
      const signal = AbortSignal.timeout(15_000);
      const notRunning = runtime.containers.wait(id, { signal });
      const removed = runtime.containers.wait(id, { condition: "removed", signal });
      let settled = false;
      void notRunning.finally(() => (settled = true));
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(settled, "a running container's wait is pending").toBe(false);
      await runtime.containers.kill(id);
      expect((await within(15_000, "wait not-running", notRunning)).exitCode).toBe(137);
      // A stopped container's wait answers at once with its exit code.
      expect(await h.waitExit(id)).toBe(137);
      await runtime.containers.remove(id);
      expect((await within(15_000, "wait removed", removed)).exitCode).toBe(137);
    });

    h.case("waits for the exit code, including a wait registered before start", ["processes"], async () => {
      const { runtime } = h;
      const id = await h.createContainer({ command: ["sh", "-c", "sleep 0.2; exit 3"] });
      const nextExit = runtime.containers.wait(id, {
        condition: "next-exit",
        signal: AbortSignal.timeout(15_000),
      });
      await runtime.containers.start(id);
      expect((await within(15_000, "wait next-exit", nextExit)).exitCode).toBe(3);
      expect(await h.waitExit(id)).toBe(3);
      const state = await runtime.containers.inspect(id);
      expect(state?.status).toBe("exited");
      expect(state?.exitCode).toBe(3);
    });

    h.case(
      "an armed wait is watching once it resolves, so a start right after cannot race it",
      [],
      async (ctx) => {
        const { runtime } = h;
        const id = await h.createContainer({ command: ["sleep", "60"] });
        const armed = await armedWait(runtime, ctx, id, "next-exit");
        await runtime.containers.start(id);
        await runtime.containers.kill(id);
        expect((await within(15_000, "armed wait next-exit", armed.result)).exitCode).toBe(137);
      },
    );

    h.case(
      "an armed wait for the removal sees an auto-removed container that exits at once, with its exit code",
      ["processes"],
      async (ctx) => {
        const { runtime } = h;
        const id = await h.createContainer({ command: ["sh", "-c", "exit 7"], autoRemove: true });
        const armed = await armedWait(runtime, ctx, id, "removed");
        await runtime.containers.start(id);
        expect((await within(15_000, "armed wait removed", armed.result)).exitCode).toBe(7);
        expect(await runtime.containers.inspect(id)).toBeUndefined();
      },
    );

    h.case(
      "removes a running container only with force, with its anonymous volumes",
      ["volumes"],
      async () => {
        const { runtime } = h;
        const id = await h.sleeper({
          mounts: [{ type: "volume", target: "/scratch", labels: LABELS }],
        });
        const mount = (await runtime.containers.inspect(id))?.mounts.find((m) => m.target === "/scratch");
        const volume = mount?.name ?? "";
        expect(volume).not.toBe("");
        expect(mount?.type).toBe("volume");
        h.made.volumes.push(volume);
        expect((await runtime.volumes.inspect(volume))?.labels[TEST_LABEL]).toBe(RUN_ID);

        expect(await rejection(runtime.containers.remove(id))).toBeInstanceOf(ConflictError);
        await runtime.containers.remove(id, { force: true, volumes: true });
        expect(await runtime.containers.inspect(id)).toBeUndefined();
        expect(await runtime.volumes.inspect(volume)).toBeUndefined();
      },
    );
  });

  describe("typed errors", () => {
    h.case("NotFound for a missing container; inspect gives undefined", [], async () => {
      const { runtime } = h;
      const missing = `berth-it-${RUN_ID}-missing`;
      expect(await runtime.containers.inspect(missing)).toBeUndefined();
      // Thunks, not promises: each call starts only when awaited, so no rejection goes unhandled meanwhile.
      for (const call of [
        () => runtime.containers.start(missing),
        () => runtime.containers.stop(missing),
        () => runtime.containers.kill(missing),
        () => runtime.containers.remove(missing),
        () => runtime.containers.wait(missing, { signal: AbortSignal.timeout(5_000) }),
        () => runtime.containers.exec(missing, { command: ["true"] }),
        () => runtime.containers.copyFrom(missing, "/"),
      ]) {
        const error = await rejection(call());
        expect(error).toBeInstanceOf(NotFoundError);
        expect((error as NotFoundError).status).toBe(404);
      }
    });

    h.case("Conflict for a duplicate container name, naming it in use", [], async () => {
      const name = h.unique("dup");
      await h.createContainer({ name, command: ["true"] });
      const error = await rejection(h.createContainer({ name, command: ["true"] }));
      expect(error).toBeInstanceOf(ConflictError);
      expect((error as ConflictError).message).toContain("already in use");
    });

    h.case("Invalid for a container name the runtime refuses", [], async () => {
      const error = await rejection(h.createContainer({ name: "bad name!", command: ["true"] }));
      expect(error).toBeInstanceOf(InvalidRequestError);
    });
  });
}

/** A wait armed on `id` (its result to come); the case is skipped on a backend that cannot watch ahead. */
async function armedWait(
  runtime: Runtime,
  ctx: TestContext,
  id: string,
  condition: "next-exit" | "removed",
): Promise<{ readonly result: Promise<WaitResult> }> {
  const armed = await runtime.containers.armWait?.(id, { condition, signal: AbortSignal.timeout(15_000) });
  if (armed === undefined) ctx.skip("this backend cannot watch ahead (armWait is optional)");
  return armed;
}
