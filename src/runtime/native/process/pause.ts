/**
 * pause and unpause: runc freezes the container's cgroup (v1 freezer, v2 cgroup.freeze). Docker's
 * refusals are kept: pausing a container that is not running, or is paused already, and unpausing
 * one that is not paused are conflicts.
 */
import { ConflictError } from "../../errors.js";
import { createRunc, RUNC_PATH } from "../containers/runc.js";
import { isFrozen, running } from "./freezer.js";
import type { ProcessHandle } from "./handle.js";

export async function pause(handle: ProcessHandle): Promise<void> {
  if (!(await running(handle))) throw new ConflictError(`container ${handle.id} is not running`);
  if (await isFrozen(handle.cgroupPaths)) throw new ConflictError(`container ${handle.id} is already paused`);
  await createRunc(handle.runcRoot, handle.runc ?? RUNC_PATH).pause(handle.id);
}

export async function unpause(handle: ProcessHandle): Promise<void> {
  if (!(await isFrozen(handle.cgroupPaths))) throw new ConflictError(`container ${handle.id} is not paused`);
  await createRunc(handle.runcRoot, handle.runc ?? RUNC_PATH).resume(handle.id);
}
