/**
 * What a caller sees of a container: its `ContainerState` (inspect) and its `ContainerSummary`
 * (list), from its record, what was observed of its run, and what the supervisor says.
 */
import type { ContainerSpec, ContainerState, ContainerSummary } from "../../runtime.js";
import { statusText } from "../../status-text.js";
import type { NativePaths } from "../paths.js";
import { supervisedView } from "../supervise/state-files.js";
import { type Observed, statusOf } from "./observe.js";
import type { ContainerRecord } from "./records.js";
import { inspectedMounts, listedMounts } from "./volume-mounts.js";

function hostOrNone(spec: ContainerSpec): boolean {
  return spec.networkMode === "none" || spec.networkMode === "host";
}

export function stateOf(paths: NativePaths, record: ContainerRecord, observed: Observed): ContainerState {
  // What the supervisor (../supervise) says: this run's health, a restart waiting its delay.
  const supervised = supervisedView(paths, record);
  const waiting = observed.kind === "idle" || observed.kind === "unstarted";
  const status = waiting && supervised.restarting ? "restarting" : statusOf(observed);
  const exited = status === "exited" || status === "restarting";
  const exitCode = observed.kind === "ended" ? (observed.exitCode ?? 255) : record.exitCode;
  const finishedAt = observed.kind === "ended" ? observed.finishedAt : record.finishedAt;
  const monitorGone = observed.kind === "running" && !observed.monitor;
  return {
    id: record.id,
    name: record.name,
    image: record.image,
    imageId: record.imageId,
    labels: record.labels,
    created: new Date(record.created),
    status,
    running: status === "running" || status === "paused" || status === "restarting",
    exitCode: exited ? (exitCode ?? 0) : undefined,
    pid: observed.kind === "running" || observed.kind === "unstarted" ? observed.pid : undefined,
    startedAt: record.startedAt === undefined ? undefined : new Date(record.startedAt),
    finishedAt: finishedAt === undefined ? undefined : new Date(finishedAt),
    health: supervised.health,
    healthProbe: supervised.healthProbe,
    restartCount: record.restartCount,
    oomKilled: record.oomKilled,
    error: monitorGone ? "the container's monitor is gone: its output is no longer logged" : record.error,
    tty: record.spec.tty === true,
    stdinOpen: record.spec.stdinOpen === true,
    // `none` and `host` are what Docker lists as the container's network (no address of its own).
    networks: hostOrNone(record.spec)
      ? { [record.spec.networkMode ?? ""]: { networkId: "", ipAddress: "", aliases: [] } }
      : {},
    ports: record.spec.ports ?? [],
    mounts: inspectedMounts(paths, record.spec),
  };
}

function commandOf(record: ContainerRecord): string {
  const entrypoint = record.spec.entrypoint ?? record.imageConfig.Entrypoint ?? [];
  const command = record.spec.command ?? (record.spec.entrypoint ? [] : (record.imageConfig.Cmd ?? []));
  return [...entrypoint, ...command].join(" ");
}

export function summaryOf(record: ContainerRecord, state: ContainerState, now: Date): ContainerSummary {
  return {
    id: state.id,
    name: state.name,
    image: state.image,
    imageId: state.imageId,
    labels: state.labels,
    status: state.status,
    statusText: statusText(state, now),
    health: state.running ? state.health : undefined,
    exitCode: state.status === "exited" ? state.exitCode : undefined,
    created: state.created,
    ports: state.ports,
    command: commandOf(record),
    networks: Object.keys(state.networks),
    mounts: listedMounts(state.mounts),
  };
}
