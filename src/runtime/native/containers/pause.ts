/** `pause`/`unpause`: runc freezes and thaws the container's cgroup. */
import { ConflictError } from "../../errors.js";
import { type ContainerContext, notFound } from "./context.js";
import { observe } from "./observe.js";
import { readRecord } from "./records.js";

export async function pause(ctx: ContainerContext, nameOrId: string): Promise<void> {
  const found = ctx.mustFind(nameOrId);
  await ctx.locked(found.id, async () => {
    const record = readRecord(ctx.paths, found.id);
    if (!record || record.state !== "created") throw notFound(nameOrId);
    const observed = observe(record, ctx.layoutOf(record.id));
    if (observed.kind !== "running") throw new ConflictError(`Container ${found.id} is not running`);
    if (observed.status === "paused") throw new ConflictError(`Container ${found.id} is already paused`);
    await ctx.runc.pause(record.id);
    ctx.event(ctx.update(record, { paused: true }), { action: "pause" });
  });
}

export async function unpause(ctx: ContainerContext, nameOrId: string): Promise<void> {
  const found = ctx.mustFind(nameOrId);
  await ctx.locked(found.id, async () => {
    const record = readRecord(ctx.paths, found.id);
    if (!record || record.state !== "created") throw notFound(nameOrId);
    const observed = observe(record, ctx.layoutOf(record.id));
    if (observed.kind !== "running" || observed.status !== "paused") {
      throw new ConflictError(`Container ${found.id} is not paused`);
    }
    await ctx.runc.resume(record.id);
    ctx.event(ctx.update(record, { paused: false }), { action: "unpause" });
  });
}
