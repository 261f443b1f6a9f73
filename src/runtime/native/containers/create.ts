/**
 * `create`: a record (`creating` until complete), the name claimed, the rootfs mounted, the user
 * resolved in it, its networking made (namespace, addresses, ports, DNS names) and the bundle
 * written. A failure undoes all of it; a create killed half-way is
 * finished by the next command's recover (./recover.ts).
 */
import os from "node:os";
import { NotFoundError } from "../../errors.js";
import type { ContainerSpec } from "../../runtime.js";
import type { ContainerContext } from "./context.js";
import { self } from "./lock.js";
import { checkName, claimOrConflict } from "./names.js";
import { setupNetworking } from "./networking.js";
import { type ContainerRecord, createRecord, nameOwner, newId, releaseName } from "./records.js";
import { recover } from "./recover.js";
import { ensureRootfs, writeBundle } from "./rootfs.js";
import { teardown } from "./teardown.js";

export async function create(
  ctx: ContainerContext,
  spec: ContainerSpec,
): Promise<{ id: string; warnings: readonly string[] }> {
  const { paths, deps } = ctx;
  await recover(ctx);
  const id = newId();
  const name = spec.name === "" || spec.name === undefined ? `berth_${id.slice(0, 12)}` : spec.name;
  checkName(name);
  const image = await deps.resolveImage(spec.image).catch((error: unknown) => {
    if (error instanceof NotFoundError) {
      throw new NotFoundError(`No such image: ${spec.image}`, { status: 404, cause: error });
    }
    throw error;
  });
  const hostname = spec.hostname ?? (spec.networkMode === "host" ? os.hostname() : id.slice(0, 12));
  let record: ContainerRecord = {
    version: 1,
    id,
    name,
    state: "creating",
    owner: self,
    spec: { ...spec, name },
    image: spec.image,
    imageId: image.id,
    imageConfig: image.config,
    layerDirs: image.layerDirs,
    labels: { ...(image.config.Labels ?? {}), ...spec.labels },
    hostname,
    user: { uid: 0, gid: 0, additionalGids: [] },
    created: new Date().toISOString(),
    oomKilled: false,
    restartCount: 0,
  };
  createRecord(paths, record);
  let warnings: readonly string[] = [];
  try {
    claimOrConflict(ctx, name, id);
    await ensureRootfs(ctx, record);
    const layout = ctx.layoutOf(id);
    const user = await deps.resolveUser(
      spec.user ?? (image.config.User || undefined),
      layout.rootfs,
      spec.groupAdd,
    );
    record = { ...record, user };
    // Volumes made and filled from the rootfs; the record keeps the mounts with every volume named.
    const mounts = await deps.volumes?.attach(
      { id, spec: record.spec, imageVolumes: Object.keys(image.config.Volumes ?? {}) },
      layout.rootfs,
    );
    if (mounts !== undefined && mounts.length > 0) record = { ...record, spec: { ...record.spec, mounts } };
    const network = await setupNetworking(ctx, record);
    record = { ...record, hostname: network.hostname ?? record.hostname, netnsPath: network.netnsPath };
    warnings = await writeBundle(ctx, record, network);
    record = ctx.update(record, { state: "created", owner: undefined });
  } catch (error) {
    await teardown(ctx, record).catch(() => undefined);
    if (nameOwner(paths, name) === id) releaseName(paths, name, id);
    throw error;
  }
  ctx.event(record, { action: "create" });
  return { id, warnings };
}
