/**
 * Removes every trace of a container: its monitor, runc's state, its cgroups, its networking
 * (DNS names, namespace, veths, addresses, published ports), its rootfs mount, bundle and
 * directories, and its name. Each step tolerates what is already gone, so a removal
 * killed half-way is finished by the next command (./recover.ts).
 */
import { readdirSync, readFileSync, renameSync, unlinkSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ApiError, NotFoundError } from "../../errors.js";
import { removeCgroups } from "./cgroups.js";
import { type ContainerContext, errorMessage } from "./context.js";
import { stillRuns } from "./lock.js";
import { teardownNetworking } from "./networking.js";
import { deleteStoppedInProcess } from "./runc-delete.js";
import { type ContainerRecord, releaseNamesOf } from "./records.js";
import { mounted } from "./rootfs.js";
import { execMayRun } from "../exec-marker.js";
import { errnoCode } from "../../../errno.js";

export function removeFile(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // Not there.
  }
}

/**
 * Kills the `runc exec`s still aimed at the container (a healthcheck probe or an exec spawned just
 * before the removal may still be entering it): they would outlive it for a moment otherwise.
 * Each process's short `comm` is read first and only runc's cmdline after it: reading every
 * process's cmdline (its memory) made this, run twice per removal, the main thread's largest cost
 * in a `down` of 50 on a busy host.
 */
function killExecs(runcPath: string, runcRoot: string, id: string): void {
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return;
  }
  // A process's comm is its executable's name (15 bytes at most); runc's stages rename theirs.
  const comm = path.basename(runcPath).slice(0, 15);
  for (const pid of pids) {
    let argv: string[];
    try {
      const name = readFileSync(`/proc/${pid}/comm`, "utf8").trimEnd();
      if (name !== comm && !name.startsWith("runc:[")) continue;
      argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    } catch {
      continue; // gone meanwhile
    }
    if (argv.includes("exec") && argv.includes(id) && argv.includes(runcRoot)) {
      try {
        process.kill(Number(pid), "SIGKILL");
      } catch {
        // Gone meanwhile.
      }
    }
  }
}

/**
 * `removeVolumes` (rm -v) also removes its anonymous volumes: by default for a create that failed or
 * was killed and for an auto-removed container, as Docker's cleanup and autoremove do.
 */
export async function teardown(
  ctx: ContainerContext,
  record: ContainerRecord,
  removeVolumes = record.state === "creating" || record.spec.autoRemove === true,
): Promise<void> {
  const { paths, runc } = ctx;
  const layout = ctx.layoutOf(record.id);
  const problems: string[] = [];
  const run = record.run;
  if (run?.monitorPid !== undefined && stillRuns({ pid: run.monitorPid, start: run.monitorStart })) {
    try {
      process.kill(run.monitorPid, "SIGKILL");
    } catch {
      // Gone meanwhile.
    }
  }
  if (execMayRun(layout.bundle)) killExecs(runc.path, paths.runc, record.id);
  try {
    // A stopped container's runc state goes in-process; runc is called only for any other.
    const inProcess = await deleteStoppedInProcess(paths.runc, record.id);
    const state = inProcess === "runc" ? await runc.state(record.id) : undefined;
    if (state && state.status !== "stopped") {
      // Left running by a remove or create killed half-way: its processes go first.
      await runc.kill(record.id, "SIGKILL", { all: true }).catch(() => undefined);
      for (let i = 0; i < 40 && (await runc.state(record.id))?.status !== "stopped"; i++) await sleep(25);
    }
    if (state) await runc.delete(record.id);
  } catch (error) {
    if (!(error instanceof NotFoundError)) problems.push(errorMessage(error));
  }
  problems.push(
    ...(await removeCgroups(record.id, record.spec.cgroupParent)).map((dir) => `cgroup ${dir} is busy`),
  );
  try {
    // Once its processes are gone: nothing holds the namespace or answers at its addresses.
    await teardownNetworking(ctx, record.id);
  } catch (error) {
    problems.push(errorMessage(error));
  }
  try {
    await ctx.deps.volumes?.detach(record, removeVolumes);
  } catch (error) {
    problems.push(errorMessage(error));
  }
  if (mounted(layout.rootfs)) {
    try {
      await ctx.deps.unmountRootfs(layout.rootfs);
    } catch (error) {
      problems.push(errorMessage(error));
    }
  }
  if (execMayRun(layout.bundle)) killExecs(runc.path, paths.runc, record.id);
  removeFile(layout.exitFile);
  removeFile(layout.attachLink);
  // Off the main thread (the thread pool): removals at once go on meanwhile.
  await rm(layout.bundle, { recursive: true, force: true });
  // Names before the directory: while the record is there a killed removal is finished by the
  // next command, so nothing may outlive it.
  releaseNamesOf(paths, record.id);
  if (!mounted(layout.rootfs)) await removeContainerDir(layout.dir);
  if (problems.length > 0) {
    throw new ApiError(`could not remove everything of container ${record.name}: ${problems.join("; ")}`);
  }
}

/** What a container's directory is renamed to before it is deleted (not an ID: no listing sees it). */
const TOMBSTONE = ".removed";

/**
 * A container's directory goes by a rename first, then its deletion: a removal killed during the
 * deletion (which may take the record before upper/) leaves a tombstone the next command deletes,
 * never a directory without a record, which looks like a create in progress for a minute.
 */
async function removeContainerDir(dir: string): Promise<void> {
  const tomb = `${dir}${TOMBSTONE}`;
  await rm(tomb, { recursive: true, force: true });
  try {
    renameSync(dir, tomb);
  } catch (error) {
    if (errnoCode(error) === "ENOENT") return;
    throw error;
  }
  await rm(tomb, { recursive: true, force: true });
}

/** Tombstones a removal killed half-way left (./recover.ts). */
export async function removeTombstones(containersDir: string): Promise<void> {
  let names: string[];
  try {
    names = readdirSync(containersDir);
  } catch {
    return;
  }
  for (const name of names.filter((n) => n.endsWith(TOMBSTONE))) {
    await rm(path.join(containersDir, name), { recursive: true, force: true });
  }
}
