/**
 * What a caller sees of a container: its `ContainerState` (inspect) and its `ContainerSummary`
 * (list), from its record, what was observed of its run, and what the supervisor says.
 */
import type { ContainerSpec, ContainerState, ContainerSummary, PortBinding } from "../../runtime.js";
import { statusText } from "../../status-text.js";
import type { ContainerNetworking } from "../network/index.js";
import type { NativePaths } from "../paths.js";
import { supervisedView } from "../supervise/state-files.js";
import { type Observed, statusOf } from "./observe.js";
import type { ContainerRecord } from "./records.js";
import { inspectedMounts, listedMounts } from "./volume-mounts.js";

function hostOrNone(spec: ContainerSpec): boolean {
  return spec.networkMode === "none" || spec.networkMode === "host";
}

/** The container's endpoints as inspect gives them (none, host: that mode's name; container:x: none). */
function networksOf(
  record: ContainerRecord,
  networking: ContainerNetworking | undefined,
): ContainerState["networks"] {
  // `none` and `host` are what Docker lists as the container's network (no address of its own).
  if (hostOrNone(record.spec)) {
    return { [record.spec.networkMode ?? ""]: { networkId: "", ipAddress: "", aliases: [] } };
  }
  return Object.fromEntries(
    (networking?.endpoints ?? []).map((e) => [
      e.network,
      { networkId: e.networkId, ipAddress: e.address, aliases: e.aliases },
    ]),
  );
}

/** The published ports the container has now (host addresses as Docker writes them). */
function livePorts(networking: ContainerNetworking | undefined): PortBinding[] {
  return (networking?.ports ?? []).map((p) => ({
    containerPort: p.containerPort,
    protocol: p.protocol,
    hostIp: p.hostIp === "" ? "0.0.0.0" : p.hostIp,
    hostPort: String(p.hostPort),
  }));
}

/**
 * `networking`: what the network layer holds of the container (its endpoints and the host ports it
 * was given). While it runs, inspect gives those ports; otherwise the ones asked for, as Docker's
 * HostConfig.PortBindings.
 */
export function stateOf(
  paths: NativePaths,
  record: ContainerRecord,
  observed: Observed,
  networking?: ContainerNetworking,
): ContainerState {
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
    networks: networksOf(record, networking),
    ports: status === "running" || status === "paused" ? livePorts(networking) : (record.spec.ports ?? []),
    mounts: inspectedMounts(paths, record.spec),
  };
}

function commandOf(record: ContainerRecord): string {
  const entrypoint = record.spec.entrypoint ?? record.imageConfig.Entrypoint ?? [];
  const command = record.spec.command ?? (record.spec.entrypoint ? [] : (record.imageConfig.Cmd ?? []));
  return [...entrypoint, ...command].join(" ");
}

/**
 * The ports `ps` lists, as Docker's list gives them: none for a container that is not running; for
 * one that is, its published ports and its other exposed ports (a container port alone).
 */
function listedPorts(record: ContainerRecord, state: ContainerState): PortBinding[] {
  if (state.status !== "running" && state.status !== "paused") return [];
  const published = record.spec.networkMode === "host" ? [] : [...state.ports];
  const seen = new Set(published.map((p) => `${p.containerPort}/${p.protocol}`));
  const exposed = [
    ...(record.spec.exposedPorts ?? []),
    ...Object.keys(record.imageConfig.ExposedPorts ?? {}),
  ];
  for (const key of exposed) {
    const [port = "", proto = "tcp"] = key.split("/");
    const protocol = proto === "udp" || proto === "sctp" ? proto : "tcp";
    if (!/^\d+$/.test(port) || seen.has(`${Number(port)}/${protocol}`)) continue;
    seen.add(`${Number(port)}/${protocol}`);
    published.push({ containerPort: Number(port), protocol });
  }
  return published;
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
    ports: listedPorts(record, state),
    command: commandOf(record),
    networks: Object.keys(state.networks).sort(),
    mounts: listedMounts(state.mounts),
  };
}
