/**
 * Finishing what a create or remove killed half-way left: a record still `creating` or `removing`
 * whose owner is gone is torn down (its `destroy` written for a removal); a create's staging
 * directory whose creator is gone and a removal's tombstone are deleted, and so is a directory
 * without a record older than a minute (none is made so: a root written by an older berth); then
 * the networking of containers that no longer exist (./networking.ts sweepNetworking).
 */
import { rmSync, statSync } from "node:fs";
import type { ContainerContext } from "./context.js";
import { stillRuns } from "./lock.js";
import { sweepNetworking } from "./networking.js";
import { listIds, readRecord, sweepStaging } from "./records.js";
import { removeTombstones, teardown } from "./teardown.js";

export async function recover(ctx: ContainerContext): Promise<void> {
  await removeTombstones(ctx.paths.containers).catch(() => undefined);
  sweepStaging(ctx.paths);
  for (const id of listIds(ctx.paths)) {
    const record = readRecord(ctx.paths, id);
    if (record === undefined) {
      // A directory without a record (left by an older berth's create killed before its write).
      const dir = ctx.layoutOf(id).dir;
      try {
        if (Date.now() - statSync(dir).mtimeMs > 60_000) rmSync(dir, { recursive: true, force: true });
      } catch {
        // Gone.
      }
      continue;
    }
    if (record.state === "created") continue;
    if (record.owner && stillRuns(record.owner)) continue;
    try {
      await ctx.locked(id, async () => {
        const current = readRecord(ctx.paths, id);
        if (!current || current.state === "created") return;
        if (current.owner && stillRuns(current.owner)) return;
        await teardown(ctx, current);
        if (current.state === "removing") ctx.event(current, { action: "destroy" });
      });
    } catch {
      // What cannot be cleaned up now (a busy mount) is tried again by the next command; it must
      // not fail this one.
    }
  }
  // Networking of containers gone.
  await sweepNetworking(ctx).catch(() => undefined);
  await ctx.deps.volumes?.sweep(listIds(ctx.paths)).catch(() => undefined);
}
