/** Container names: Docker's rules for them, the conflict it reports, and `rename`. */
import { ConflictError, InvalidRequestError } from "../../errors.js";
import type { NativePaths } from "../paths.js";
import { type ContainerContext, notFound } from "./context.js";
import { stillRuns } from "./lock.js";
import { renameInDns } from "./networking.js";
import { claimName, NAME_PATTERN, nameOwner, readRecord, releaseName } from "./records.js";

export function checkName(name: string): void {
  if (!NAME_PATTERN.test(name)) {
    throw new InvalidRequestError(
      `Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`,
      {
        status: 400,
      },
    );
  }
}

export function nameConflict(paths: NativePaths, name: string): ConflictError {
  return new ConflictError(
    `Conflict. The container name "/${name}" is already in use by container "${nameOwner(paths, name) ?? "?"}". ` +
      "You have to remove (or rename) that container to be able to reuse that name.",
    { status: 409 },
  );
}

/**
 * Claims `name` for `id`, taking it over from a holder that is gone, was never completed, or is
 * named otherwise now (a rename killed between its claim and its record's update).
 */
export function claimOrConflict(ctx: ContainerContext, name: string, id: string): void {
  const { paths } = ctx;
  if (claimName(paths, name, id)) return;
  const holder = nameOwner(paths, name);
  const held = holder === undefined ? undefined : readRecord(paths, holder);
  const stale =
    !held || held.name !== name || (held.state !== "created" && !(held.owner && stillRuns(held.owner)));
  if (stale && holder !== undefined) releaseName(paths, name, holder);
  if (!stale || !claimName(paths, name, id)) throw nameConflict(paths, name);
}

export async function rename(ctx: ContainerContext, nameOrId: string, newName: string): Promise<void> {
  const found = ctx.mustFind(nameOrId);
  checkName(newName);
  await ctx.locked(found.id, async () => {
    const record = readRecord(ctx.paths, found.id);
    if (!record || record.state !== "created") throw notFound(nameOrId);
    if (record.name === newName) {
      throw new ConflictError(`Renaming a container with the same name as its current name`);
    }
    claimOrConflict(ctx, newName, record.id);
    const next = ctx.update(record, { name: newName, spec: { ...record.spec, name: newName } });
    releaseName(ctx.paths, record.name, record.id);
    await renameInDns(ctx, next);
    ctx.event(next, { action: "rename", oldName: record.name });
  });
}
