/** `wait`: polls a container's state until the asked condition holds (bounded by the caller's signal). */
import { setTimeout as sleep } from "node:timers/promises";
import type { WaitOptions, WaitResult } from "../../runtime.js";
import { lastExitCode } from "../events.js";
import { type ContainerContext, notFound } from "./context.js";
import { current } from "./exits.js";
import { statusOf } from "./observe.js";
import { type ContainerRecord, readRecord } from "./records.js";

export async function waitFor(
  ctx: ContainerContext,
  first: ContainerRecord,
  nameOrId: string,
  waitOptions: WaitOptions,
): Promise<WaitResult> {
  const condition = waitOptions.condition ?? "not-running";
  const signal = waitOptions.signal;
  const startFinished = first.finishedAt;
  let lastExit = first.exitCode ?? 0;
  for (let i = 0; ; i++) {
    signal?.throwIfAborted();
    const record = readRecord(ctx.paths, first.id);
    if (!record || record.state === "removing") {
      if (condition === "removed") {
        // Removed (perhaps auto-removed as it exited, unseen here): its last `die` says how it ended.
        return { exitCode: lastExitCode(ctx.paths, first.id) ?? lastExit };
      }
      if (!record) throw notFound(nameOrId);
    } else {
      const found = await current(ctx, record);
      const status = statusOf(found.observed);
      lastExit = found.record.exitCode ?? lastExit;
      const stopped = status !== "running" && status !== "paused";
      const finishedSince =
        found.record.finishedAt !== undefined && found.record.finishedAt !== startFinished;
      if (condition === "not-running" && stopped) {
        return { exitCode: status === "exited" ? (found.record.exitCode ?? 0) : 0 };
      }
      if (condition === "next-exit" && finishedSince && stopped)
        return { exitCode: found.record.exitCode ?? 0 };
    }
    await sleep(i < 20 ? 25 : 100, undefined, signal ? { signal } : undefined);
  }
}
