/** `remove`: a running container only with force (stopped by SIGKILL first), then every trace of it. */
import { ConflictError } from "../../errors.js";
import { type ContainerContext, notFound } from "./context.js";
import { collectLocked } from "./exits.js";
import { self } from "./lock.js";
import { observe } from "./observe.js";
import { readRecord } from "./records.js";
import { stopLocked } from "./stop.js";
import { teardown } from "./teardown.js";

export async function remove(
  ctx: ContainerContext,
  nameOrId: string,
  options: { readonly force?: boolean; readonly volumes?: boolean } = {},
): Promise<void> {
  const found = ctx.mustFind(nameOrId);
  await ctx.locked(found.id, async () => {
    let record = readRecord(ctx.paths, found.id);
    if (!record || record.state === "creating") throw notFound(nameOrId);
    const observed = observe(record, ctx.layoutOf(record.id));
    if (observed.kind === "running" || observed.kind === "unstarted") {
      // A run created but never started (its starter was killed) is `created` to the user: no force needed.
      if (observed.kind === "running" && !options.force) {
        throw new ConflictError(
          `You cannot remove a ${observed.status} container ${record.id}. ` +
            "Stop the container before attempting removal or force remove",
          { status: 409 },
        );
      }
      record = await stopLocked(ctx, record, "SIGKILL", 0);
    } else if (observed.kind === "ended") {
      record = await collectLocked(ctx, record);
    }
    if (options.volumes === true) ctx.deps.volumes?.removeWith(record.id);
    record = ctx.update(record, { state: "removing", owner: self });
    await teardown(ctx, record, options.volumes === true);
    ctx.event(record, { action: "destroy" });
  });
}
