/**
 * What the dashboard knows about the stack, as plain immutable data, and the pure reducers that
 * fold each input into it: a container's inspected state, a stats sample, a runtime event, an
 * engine event from an action, an action's start and end. Nothing here does I/O or reads a clock:
 * times come in with the inputs, so every reducer is tested by feeding it values.
 */
import type { EngineEvent } from "../../engine/events.js";
import type { Condition } from "../../graph/graph.js";
import type {
  ContainerState,
  ContainerStatus,
  HealthProbe,
  HealthStatus,
  PortBinding,
  RuntimeEvent,
  Stats,
} from "../../runtime/runtime.js";
import { phaseOf } from "../progress.js";

/** A service as the compose file declares it (what the rows and the graph are ordered by). */
export interface ServiceDef {
  readonly name: string;
  readonly image: string;
  readonly build: boolean;
  readonly healthcheck: boolean;
  /** Replicas the file asks for (`deploy.replicas`, `scale`, else 1). */
  readonly replicas: number;
  readonly dependsOn: readonly { readonly service: string; readonly condition: Condition }[];
}

export interface ContainerInfo {
  readonly id: string;
  readonly name: string;
  readonly service: string;
  readonly number: number | undefined;
  readonly status: ContainerStatus;
  readonly health: HealthStatus | undefined;
  readonly probe: HealthProbe | undefined;
  readonly restartCount: number;
  /** Milliseconds since the epoch. */
  readonly startedAt: number | undefined;
  readonly finishedAt: number | undefined;
  readonly exitCode: number | undefined;
  readonly oomKilled: boolean;
  readonly image: string;
  readonly ports: readonly PortBinding[];
}

export interface Usage {
  readonly cpuPercent: number;
  readonly memoryBytes: number;
  readonly memoryLimitBytes: number;
}

export type EventLevel = "info" | "warn" | "error";

/** One line of the events strip. */
export interface StripEvent {
  readonly at: number;
  readonly subject: string;
  readonly text: string;
  readonly level: EventLevel;
}

/** The engine's latest word on one container (what an action is doing to it right now). */
export interface Progress {
  readonly status: EngineEvent["status"];
  readonly text: string | undefined;
  readonly at: number;
  readonly working: boolean;
}

/** Start and ready times of a service in the last `up` (for the critical path). */
export interface Timing {
  readonly started?: number | undefined;
  readonly ready?: number | undefined;
}

export interface UpTimeline {
  readonly startedAt: number;
  readonly finishedAt: number | undefined;
  /** "engine": this dashboard ran the `up`; "containers": read back from the containers' start times. */
  readonly source: "engine" | "containers";
  readonly services: Readonly<Record<string, Timing>>;
}

export interface Model {
  readonly project: string;
  /** In start order (dependencies first). */
  readonly services: readonly ServiceDef[];
  /** By container ID. */
  readonly containers: ReadonlyMap<string, ContainerInfo>;
  /** By container ID. */
  readonly usage: ReadonlyMap<string, Usage>;
  /** By container name. */
  readonly progress: ReadonlyMap<string, Progress>;
  /** What an action of this dashboard is doing to a service (`restarting`, `scaling to 3`). */
  readonly activity: ReadonlyMap<string, string>;
  /** Replicas asked for by this dashboard's `+`/`-`, by service (else the file's or the count). */
  readonly desired: ReadonlyMap<string, number>;
  /** Newest last, at most EVENT_LIMIT. */
  readonly events: readonly StripEvent[];
  readonly timeline: UpTimeline | undefined;
  /** An `up` of this dashboard is converging. */
  readonly upRunning: boolean;
  /** Why the last `up` of this dashboard failed. */
  readonly upError: string | undefined;
  /** A line over everything else: `Gracefully stopping...`. */
  readonly notice: string | undefined;
}

export const EVENT_LIMIT = 200;

export function emptyModel(project: string, services: readonly ServiceDef[]): Model {
  return {
    project,
    services,
    containers: new Map(),
    usage: new Map(),
    progress: new Map(),
    activity: new Map(),
    desired: new Map(),
    events: [],
    timeline: undefined,
    upRunning: false,
    upError: undefined,
    notice: undefined,
  };
}

// --- containers ---------------------------------------------------------------------------------

const SERVICE_LABEL = "com.docker.compose.service";
const NUMBER_LABEL = "com.docker.compose.container-number";
const ONEOFF_LABEL = "com.docker.compose.oneoff";

/** The dashboard's view of an inspected container; undefined for one-off containers (`run`). */
export function containerInfo(state: ContainerState): ContainerInfo | undefined {
  const oneOff = state.labels[ONEOFF_LABEL];
  if (oneOff !== undefined && oneOff !== "False") return undefined;
  const number = Number(state.labels[NUMBER_LABEL]);
  return {
    id: state.id,
    name: state.name,
    service: state.labels[SERVICE_LABEL] ?? state.name,
    number: Number.isInteger(number) ? number : undefined,
    status: state.status,
    health: state.health,
    probe: state.healthProbe,
    restartCount: state.restartCount,
    startedAt: state.startedAt?.getTime(),
    finishedAt: state.finishedAt?.getTime(),
    exitCode: state.exitCode,
    oomKilled: state.oomKilled,
    image: state.image,
    ports: state.ports,
  };
}

export function putContainer(model: Model, info: ContainerInfo): Model {
  const containers = new Map(model.containers);
  // A recreated container takes its predecessor's name: the old entry goes with it.
  for (const [id, other] of containers) if (other.name === info.name && id !== info.id) containers.delete(id);
  containers.set(info.id, info);
  if (info.status === "running" || !model.usage.has(info.id)) return { ...model, containers };
  // A stopped container's last sample would read as current use.
  const usage = new Map(model.usage);
  usage.delete(info.id);
  return { ...model, containers, usage };
}

/** Fresh healthcheck results for a known container (the probe overlay asked for them). */
export function withProbe(
  model: Model,
  id: string,
  health: HealthStatus | undefined,
  probe: HealthProbe | undefined,
): Model {
  const known = model.containers.get(id);
  if (!known) return model;
  return putContainer(model, { ...known, health, probe });
}

export function dropContainer(model: Model, id: string): Model {
  if (!model.containers.has(id) && !model.usage.has(id)) return model;
  const containers = new Map(model.containers);
  containers.delete(id);
  const usage = new Map(model.usage);
  usage.delete(id);
  return { ...model, containers, usage };
}

/** Keeps exactly the listed containers (a resync after events may have been missed). */
export function keepContainers(model: Model, ids: ReadonlySet<string>): Model {
  let next = model;
  for (const id of model.containers.keys()) if (!ids.has(id)) next = dropContainer(next, id);
  return next;
}

export function putUsage(model: Model, id: string, stats: Stats): Model {
  const container = model.containers.get(id);
  if (container && container.status !== "running") return model;
  const usage = new Map(model.usage);
  usage.set(id, {
    cpuPercent: stats.cpuPercent,
    memoryBytes: stats.memoryUsageBytes,
    memoryLimitBytes: stats.memoryLimitBytes,
  });
  return { ...model, usage };
}

// --- events ---------------------------------------------------------------------------------------

export function pushEvent(model: Model, event: StripEvent): Model {
  const events = [...model.events, event];
  return { ...model, events: events.length > EVENT_LIMIT ? events.slice(-EVENT_LIMIT) : events };
}

/**
 * A runtime event: health changes update the container at once (before its re-inspection lands),
 * and the events a person cares about go to the strip. Healthcheck execs and attach/resize chatter
 * (`other`) are left out.
 */
export function applyRuntimeEvent(model: Model, event: RuntimeEvent): Model {
  const name = event.attributes["name"] ?? event.id.slice(0, 12);
  const at = event.time.getTime();
  let next = model;
  switch (event.action) {
    case "health": {
      const container = model.containers.get(event.id);
      if (container) next = putContainer(next, { ...container, health: event.health });
      const level: EventLevel = event.health === "unhealthy" ? "warn" : "info";
      return pushEvent(next, { at, subject: name, text: event.health, level });
    }
    case "create":
      return pushEvent(next, { at, subject: name, text: "created", level: "info" });
    case "start":
      return pushEvent(next, { at, subject: name, text: "started", level: "info" });
    case "restart":
      return pushEvent(next, { at, subject: name, text: "restarted", level: "info" });
    case "die": {
      const code = event.exitCode;
      const text = code !== undefined ? `died (exit ${code})` : "died";
      return pushEvent(next, { at, subject: name, text, level: code === 0 ? "info" : "warn" });
    }
    case "oom":
      return pushEvent(next, { at, subject: name, text: "out of memory (OOM killed)", level: "error" });
    case "destroy":
      next = dropContainer(next, event.id);
      return pushEvent(next, { at, subject: name, text: "removed", level: "info" });
    case "pause":
    case "unpause":
      return pushEvent(next, { at, subject: name, text: `${event.action}d`, level: "info" });
    default:
      return next;
  }
}

/**
 * An engine event from an action or the `up`: it marks what the engine is doing to a container
 * (a working status shows in the row until a done one follows), errors and warnings go to the
 * strip, and starts and readiness are timed for the critical path.
 */
export function applyEngineEvent(model: Model, event: EngineEvent): Model {
  let next = model;
  if (event.resource === "container") {
    const progress = new Map(model.progress);
    progress.set(event.id, {
      status: event.status,
      text: event.text,
      at: event.at,
      working: phaseOf(event.status) === "working",
    });
    next = { ...next, progress };
    next = timeEvent(next, event);
  }
  if (event.status === "Error") {
    next = pushEvent(next, { at: event.at, subject: event.id, text: event.text ?? "failed", level: "error" });
  } else if (event.status === "Warning") {
    next = pushEvent(next, { at: event.at, subject: event.id, text: event.text ?? "warning", level: "warn" });
  }
  return next;
}

/** The service a container name belongs to: a known container's, else `<project>-<service>-<n>`. */
export function serviceOfName(model: Model, name: string): string | undefined {
  for (const c of model.containers.values()) if (c.name === name) return c.service;
  const prefix = `${model.project}-`;
  if (!name.startsWith(prefix)) return undefined;
  const rest = name.slice(prefix.length).replace(/-\d+$/, "");
  return model.services.some((s) => s.name === rest) ? rest : undefined;
}

function timeEvent(model: Model, event: EngineEvent): Model {
  const timeline = model.timeline;
  if (!timeline || timeline.source !== "engine" || timeline.finishedAt !== undefined) return model;
  const service = serviceOfName(model, event.id);
  if (service === undefined) return model;
  const timing = timeline.services[service] ?? {};
  let updated: Timing | undefined;
  if (event.status === "Started") {
    updated = {
      started: timing.started === undefined ? event.at : Math.min(timing.started, event.at),
      ready: Math.max(timing.ready ?? 0, event.at),
    };
  } else if (event.status === "Healthy" || event.status === "Exited") {
    updated = { ...timing, ready: Math.max(timing.ready ?? 0, event.at) };
  }
  if (!updated) return model;
  return {
    ...model,
    timeline: { ...timeline, services: { ...timeline.services, [service]: updated } },
  };
}

// --- actions and the up -------------------------------------------------------------------------

export function setActivity(model: Model, service: string, label: string | undefined): Model {
  const activity = new Map(model.activity);
  if (label === undefined) activity.delete(service);
  else activity.set(service, label);
  return { ...model, activity };
}

/** `undefined` forgets the request (once the action is over, the containers say how many there are). */
export function setDesired(model: Model, service: string, replicas: number | undefined): Model {
  const desired = new Map(model.desired);
  if (replicas === undefined) desired.delete(service);
  else desired.set(service, replicas);
  return { ...model, desired };
}

export function setNotice(model: Model, notice: string | undefined): Model {
  return { ...model, notice };
}

export function upStarted(model: Model, at: number): Model {
  return {
    ...model,
    upRunning: true,
    upError: undefined,
    timeline: { startedAt: at, finishedAt: undefined, source: "engine", services: {} },
  };
}

export function upFinished(model: Model, at: number, error?: string): Model {
  const timeline = model.timeline ? { ...model.timeline, finishedAt: at } : undefined;
  return { ...model, upRunning: false, upError: error, timeline };
}

/**
 * Without an `up` of its own (`berth dashboard`), the timeline is read back from the containers:
 * each service started when its first replica did, and counts as ready then.
 */
export function timelineFromContainers(model: Model): UpTimeline | undefined {
  const services: Record<string, Timing> = {};
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const c of model.containers.values()) {
    if (c.startedAt === undefined || c.startedAt <= 0) continue;
    const timing = services[c.service];
    const started = Math.min(timing?.started ?? Number.POSITIVE_INFINITY, c.startedAt);
    services[c.service] = { started, ready: started };
    first = Math.min(first, started);
    last = Math.max(last, started);
  }
  if (!Number.isFinite(first)) return undefined;
  return { startedAt: first, finishedAt: last, source: "containers", services };
}

/** Replicas the service should have: what this dashboard asked for, else what exists, else the file's. */
export function desiredReplicas(model: Model, service: string): number {
  const asked = model.desired.get(service);
  if (asked !== undefined) return asked;
  let count = 0;
  for (const c of model.containers.values()) if (c.service === service) count++;
  if (count > 0) return count;
  return model.services.find((s) => s.name === service)?.replicas ?? 1;
}
