/**
 * The services pane's rows, derived from the model (pure): one row per service in dependency
 * order, and under an expanded service one row per replica. A row reads the aggregate of the
 * service's replicas — its state, worst health, running/desired replicas, restarts, uptime of the
 * most recently started replica, published ports, summed CPU and memory — and, while it waits on a
 * dependency during an `up`, which dependency and condition it waits for.
 */
import type { Condition } from "../../graph/graph.js";
import { formatBytes, formatDuration, formatPercent, formatPorts } from "./format.js";
import { type ContainerInfo, desiredReplicas, type Model, type ServiceDef, serviceOfName } from "./model.js";

/** How a value reads: fine, worth a look, wrong, in progress, or not running and not wrong. */
export type Tone = "ok" | "warn" | "bad" | "busy" | "idle";

export interface Row {
  /** `svc:<service>` or `ctr:<service>/<container name>`: stable across frames, what the selection holds. */
  readonly id: string;
  readonly kind: "service" | "replica";
  readonly service: string;
  /** The replica's container (replica rows), or the service's first container. */
  readonly container: ContainerInfo | undefined;
  readonly label: string;
  /** For service rows with more than one container: whether its replicas are listed below it. */
  readonly expandable: boolean;
  readonly expanded: boolean;
  readonly state: string;
  readonly tone: Tone;
  readonly health: string;
  readonly healthTone: Tone;
  readonly replicas: string;
  readonly restarts: number;
  readonly uptime: string;
  readonly ports: string;
  readonly cpu: string;
  readonly mem: string;
  readonly image: string;
}

export function serviceRowId(service: string): string {
  return `svc:${service}`;
}

export function replicaRowId(service: string, container: string): string {
  return `ctr:${service}/${container}`;
}

/** The service a row id belongs to. */
export function serviceOfRowId(id: string): string {
  return id.startsWith("ctr:") ? id.slice(4, id.indexOf("/")) : id.slice(4);
}

const CONDITION_WORD: Readonly<Record<Condition, string>> = {
  service_started: "started",
  service_healthy: "healthy",
  service_completed_successfully: "completed",
};

export function conditionWord(condition: Condition): string {
  return CONDITION_WORD[condition];
}

export function containersOf(model: Model, service: string): ContainerInfo[] {
  return [...model.containers.values()]
    .filter((c) => c.service === service)
    .sort((a, b) => (a.number ?? 0) - (b.number ?? 0) || (a.name < b.name ? -1 : 1));
}

/** Whether a dependency's containers meet a `depends_on` condition now. */
export function conditionMet(model: Model, service: string, condition: Condition): boolean {
  const containers = containersOf(model, service);
  const running = containers.filter((c) => c.status === "running");
  switch (condition) {
    case "service_started":
      return running.length > 0;
    case "service_healthy":
      return running.length > 0 && running.every((c) => c.health === "healthy");
    case "service_completed_successfully":
      return containers.length > 0 && containers.every((c) => c.status === "exited" && c.exitCode === 0);
  }
}

/** `db (healthy)` for each dependency whose condition is not met. */
export function unmetDependencies(model: Model, def: ServiceDef): string[] {
  return def.dependsOn
    .filter((d) => !conditionMet(model, d.service, d.condition))
    .map((d) => `${d.service} (${conditionWord(d.condition)})`);
}

export function buildRows(model: Model, expanded: ReadonlySet<string>, now: number): Row[] {
  const rows: Row[] = [];
  for (const def of model.services) {
    const containers = containersOf(model, def.name);
    const open = expanded.has(def.name) && containers.length > 0;
    rows.push(serviceRow(model, def, containers, open, now));
    if (open) for (const c of containers) rows.push(replicaRow(model, def, c, now));
  }
  return rows;
}

function serviceRow(
  model: Model,
  def: ServiceDef,
  containers: readonly ContainerInfo[],
  expanded: boolean,
  now: number,
): Row {
  const running = containers.filter((c) => c.status === "running");
  const { state, tone } = serviceState(model, def, containers);
  const health = worstHealth(running, def.healthcheck);
  const usage = containers.map((c) => model.usage.get(c.id)).filter((u) => u !== undefined);
  const youngest = Math.max(...running.map((c) => c.startedAt ?? 0));
  return {
    id: serviceRowId(def.name),
    kind: "service",
    service: def.name,
    container: containers[0],
    label: def.name,
    expandable: containers.length > 1,
    expanded,
    state,
    tone,
    health: health.text,
    healthTone: health.tone,
    replicas: `${running.length}/${desiredReplicas(model, def.name)}`,
    restarts: containers.reduce((sum, c) => sum + c.restartCount, 0),
    uptime: running.length > 0 && youngest > 0 ? formatDuration(now - youngest) : "",
    ports: formatPorts(containers.flatMap((c) => c.ports)),
    cpu: usage.length > 0 ? formatPercent(usage.reduce((sum, u) => sum + u.cpuPercent, 0)) : "",
    mem: usage.length > 0 ? formatBytes(usage.reduce((sum, u) => sum + u.memoryBytes, 0)) : "",
    image: containers[0]?.image ?? def.image,
  };
}

function replicaRow(model: Model, def: ServiceDef, c: ContainerInfo, now: number): Row {
  const progress = model.progress.get(c.name);
  const own = progress?.working ? progressState(progress.status) : undefined;
  const { state, tone } = own ?? containerState([c]);
  const health = worstHealth(c.status === "running" ? [c] : [], def.healthcheck);
  const usage = model.usage.get(c.id);
  return {
    id: replicaRowId(def.name, c.name),
    kind: "replica",
    service: def.name,
    container: c,
    label: shortName(model.project, c.name),
    expandable: false,
    expanded: false,
    state,
    tone,
    health: health.text,
    healthTone: health.tone,
    replicas: c.number !== undefined ? `#${c.number}` : "",
    restarts: c.restartCount,
    uptime: c.status === "running" && c.startedAt ? formatDuration(now - c.startedAt) : "",
    ports: formatPorts(c.ports),
    cpu: usage ? formatPercent(usage.cpuPercent) : "",
    mem: usage ? formatBytes(usage.memoryBytes) : "",
    image: c.image,
  };
}

/** `web-1` for `webapp-web-1`: the project prefix says nothing inside the project's own dashboard. */
export function shortName(project: string, name: string): string {
  return name.startsWith(`${project}-`) ? name.slice(project.length + 1) : name;
}

interface StateText {
  readonly state: string;
  readonly tone: Tone;
}

function serviceState(model: Model, def: ServiceDef, containers: readonly ContainerInfo[]): StateText {
  const activity = model.activity.get(def.name);
  if (activity !== undefined) return { state: activity, tone: "busy" };
  const running = containers.some((c) => c.status === "running");
  if (!running && (model.upRunning || containers.some((c) => c.status === "created"))) {
    const unmet = unmetDependencies(model, def);
    // While an up runs the service waits; after one (it failed, or was stopped) it is held back.
    if (unmet.length > 0 && model.upRunning)
      return { state: `waiting for ${unmet.join(", ")}`, tone: "busy" };
    if (unmet.length > 0) return { state: `created, needs ${unmet.join(", ")}`, tone: "warn" };
  }
  for (const [name, progress] of model.progress) {
    // `Waiting` is reported on the container being waited for, not on the one waiting.
    if (!progress.working || progress.status === "Waiting") continue;
    if (serviceOfName(model, name) === def.name) return progressState(progress.status);
  }
  if (containers.length === 0) return { state: model.upRunning ? "pending" : "not created", tone: "idle" };
  const aggregate = containerState(containers);
  if (aggregate.state === "running" && containers.some((c) => c.status !== "running")) {
    return { state: "running", tone: "warn" };
  }
  return aggregate;
}

function progressState(status: string): StateText {
  return { state: status.toLowerCase(), tone: "busy" };
}

/** The state the containers share, or the most telling one when they differ. */
function containerState(containers: readonly ContainerInfo[]): StateText {
  const has = (status: ContainerInfo["status"]): boolean => containers.some((c) => c.status === status);
  if (has("restarting")) return { state: "restarting", tone: "bad" };
  if (has("dead")) return { state: "dead", tone: "bad" };
  if (has("removing")) return { state: "removing", tone: "busy" };
  if (has("running")) return { state: "running", tone: "ok" };
  if (has("paused")) return { state: "paused", tone: "warn" };
  const exited = containers.filter((c) => c.status === "exited");
  if (exited.length > 0) {
    const failed = exited.find((c) => (c.exitCode ?? 0) !== 0);
    const oom = exited.some((c) => c.oomKilled);
    const code = failed?.exitCode ?? 0;
    return { state: `exited (${code})${oom ? " OOM" : ""}`, tone: failed || oom ? "bad" : "idle" };
  }
  return { state: "created", tone: "idle" };
}

function worstHealth(
  running: readonly ContainerInfo[],
  declared: boolean,
): { readonly text: string; readonly tone: Tone } {
  const states = running.map((c) => c.health).filter((h) => h !== undefined);
  if (states.length === 0)
    return declared && running.length > 0 ? { text: "starting", tone: "busy" } : { text: "", tone: "idle" };
  if (states.includes("unhealthy")) return { text: "unhealthy", tone: "bad" };
  if (states.includes("starting")) return { text: "starting", tone: "busy" };
  return { text: "healthy", tone: "ok" };
}
