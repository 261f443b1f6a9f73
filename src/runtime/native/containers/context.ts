/**
 * What every part of the container lifecycle shares: the state paths, the other native parts
 * (./deps.ts), runc, the per-container lock, and the record lookups and writes with their events.
 */
import { NotFoundError } from "../../errors.js";
import type { RuntimeEvent } from "../../runtime.js";
import { appendEvent } from "../events.js";
import type { NativePaths } from "../paths.js";
import type { ContainerDeps } from "./deps.js";
import { withLock } from "./lock.js";
import type { ProcessIo } from "./process-target.js";
import {
  type ContainerLayout,
  containerLayout,
  type ContainerRecord,
  ID_PATTERN,
  listIds,
  nameOwner,
  readRecord,
  writeRecord,
} from "./records.js";
import { createRunc, type Runc } from "./runc.js";

export interface NativeContainersOptions {
  readonly paths: NativePaths;
  readonly deps: ContainerDeps;
  readonly runcPath?: string | undefined;
  readonly conmonPath?: string | undefined;
  readonly processIo?: ProcessIo | undefined;
}

/** An event's own part (its action and what goes with it), the common fields left out. */
export type EventBody = RuntimeEvent extends infer E
  ? E extends RuntimeEvent
    ? Omit<E, "type" | "id" | "attributes" | "time">
    : never
  : never;

export interface ContainerContext {
  readonly paths: NativePaths;
  readonly deps: ContainerDeps;
  readonly runc: Runc;
  readonly conmonPath: string | undefined;
  readonly processIo: ProcessIo | undefined;
  /**
   * In this process, who waits for a container's next run to exist (attach before start): each is
   * woken by the start and resolves once attached (or given up), which the start awaits.
   */
  readonly starting: Map<string, Set<() => Promise<void>>>;
  locked<T>(id: string, work: () => Promise<T>): Promise<T>;
  layoutOf(id: string): ContainerLayout;
  event(record: ContainerRecord, body: EventBody): void;
  /** The record of a visible container, by id, name or unique id prefix. */
  find(nameOrId: string): ContainerRecord | undefined;
  mustFind(nameOrId: string): ContainerRecord;
  update(record: ContainerRecord, changes: Partial<ContainerRecord>): ContainerRecord;
}

export function notFound(nameOrId: string): NotFoundError {
  return new NotFoundError(`No such container: ${nameOrId}`, { status: 404 });
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function containerContext(options: NativeContainersOptions): ContainerContext {
  const { paths } = options;
  const find = (nameOrId: string): ContainerRecord | undefined => {
    const visible = (record: ContainerRecord | undefined): ContainerRecord | undefined =>
      record && record.state !== "creating" ? record : undefined;
    if (ID_PATTERN.test(nameOrId)) return visible(readRecord(paths, nameOrId));
    const byName = nameOwner(paths, nameOrId.replace(/^\//, ""));
    if (byName !== undefined) {
      const record = visible(readRecord(paths, byName));
      if (record?.name === nameOrId.replace(/^\//, "")) return record;
    }
    if (/^[0-9a-f]{1,63}$/.test(nameOrId)) {
      const matches = listIds(paths).filter((id) => id.startsWith(nameOrId));
      if (matches.length === 1 && matches[0] !== undefined) return visible(readRecord(paths, matches[0]));
    }
    return undefined;
  };
  return {
    paths,
    deps: options.deps,
    runc: createRunc(paths.runc, options.runcPath),
    conmonPath: options.conmonPath,
    processIo: options.processIo,
    starting: new Map(),
    locked: (id, work) => withLock(paths.locks, `container-${id}`, work),
    layoutOf: (id) => containerLayout(paths, id),
    event: (record, body) => {
      appendEvent(paths, {
        type: "container",
        id: record.id,
        attributes: { ...record.labels, name: record.name, image: record.image },
        time: new Date(),
        ...body,
      });
    },
    find,
    mustFind: (nameOrId) => {
      const record = find(nameOrId);
      if (!record) throw notFound(nameOrId);
      return record;
    },
    update: (record, changes) => {
      const next = { ...record, ...changes } as ContainerRecord;
      writeRecord(paths, next);
      return next;
    },
  };
}
