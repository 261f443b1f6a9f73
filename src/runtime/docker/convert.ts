/**
 * Engine JSON → berth types, for everything the engine describes (containers, images, networks,
 * volumes). Engines send null for empty maps and lists and the zero time for "never"; berth's
 * types say empty and undefined instead.
 */
import type {
  ContainerState,
  ContainerStatus,
  ContainerSummary,
  HealthProbe,
  HealthStatus,
  ImageInfo,
  ImageSummary,
  IpamPoolSpec,
  NetworkInfo,
  PortBinding,
  VolumeInfo,
} from "../runtime.js";
import type {
  WireContainerInspect,
  WireContainerSummary,
  WireImageInspect,
  WireImageSummary,
  WireIpamConfig,
  WireNetwork,
  WirePortBinding,
  WireVolume,
} from "./wire.js";

const STATUSES: ReadonlySet<string> = new Set([
  "created",
  "running",
  "paused",
  "restarting",
  "removing",
  "exited",
  "dead",
]);
const HEALTH: ReadonlySet<string> = new Set(["starting", "healthy", "unhealthy"]);

/** The newest entry of the engine's healthcheck log (it keeps the last five, oldest first). */
function lastProbe(
  log: NonNullable<NonNullable<WireContainerInspect["State"]>["Health"]>["Log"],
): HealthProbe | undefined {
  const last = log?.[log.length - 1];
  if (!last) return undefined;
  return {
    exitCode: last.ExitCode ?? -1,
    output: last.Output ?? "",
    start: toDate(last.Start),
    end: toDate(last.End),
  };
}

export function toContainerState(c: WireContainerInspect): ContainerState {
  const state = c.State ?? {};
  const status = containerStatus(state.Status, state);
  const running = state.Running === true;
  const health = state.Health?.Status ?? undefined;
  // Published ports: what the engine assigned while running, else what was asked for.
  const livePorts = c.NetworkSettings?.Ports;
  const ports =
    running && livePorts && Object.keys(livePorts).length > 0
      ? toPortBindings(livePorts)
      : toPortBindings(c.HostConfig?.PortBindings ?? {});
  const networks: Record<string, ContainerState["networks"][string]> = {};
  for (const [name, net] of Object.entries(c.NetworkSettings?.Networks ?? {})) {
    networks[name] = {
      networkId: net?.NetworkID ?? "",
      ipAddress: net?.IPAddress ?? "",
      aliases: net?.Aliases ?? [],
    };
  }
  return {
    id: c.Id,
    name: stripSlash(c.Name ?? ""),
    image: c.Config?.Image ?? "",
    imageId: c.Image ?? "",
    labels: c.Config?.Labels ?? {},
    created: toDate(c.Created) ?? new Date(0),
    status,
    running,
    // A never-started or running container has no exit code worth reporting (the engine says 0).
    exitCode:
      status === "exited" || status === "dead" || status === "restarting"
        ? (state.ExitCode ?? undefined)
        : undefined,
    pid: state.Pid ? state.Pid : undefined,
    startedAt: toDate(state.StartedAt),
    finishedAt: toDate(state.FinishedAt),
    health: health !== undefined && HEALTH.has(health) ? (health as HealthStatus) : undefined,
    healthProbe: lastProbe(state.Health?.Log),
    restartCount: c.RestartCount ?? 0,
    oomKilled: state.OOMKilled === true,
    error: state.Error || undefined,
    tty: c.Config?.Tty === true,
    stdinOpen: c.Config?.OpenStdin === true,
    networks,
    ports,
    mounts: (c.Mounts ?? []).map((m) => ({
      type: m.Type ?? "",
      source: m.Source ?? "",
      target: m.Destination ?? "",
      name: m.Name || undefined,
      readOnly: m.RW === false,
    })),
  };
}

function containerStatus(
  status: string | null | undefined,
  state: NonNullable<WireContainerInspect["State"]>,
): ContainerStatus {
  if (status && STATUSES.has(status)) return status as ContainerStatus;
  if (state.Dead) return "dead";
  if (state.Restarting) return "restarting";
  if (state.Paused) return "paused";
  if (state.Running) return "running";
  return toDate(state.StartedAt) ? "exited" : "created";
}

export function toContainerSummary(c: WireContainerSummary): ContainerSummary {
  const state = c.State ?? "";
  return {
    id: c.Id,
    name: primaryName(c.Names ?? []),
    image: c.Image ?? "",
    imageId: c.ImageID ?? "",
    labels: c.Labels ?? {},
    status: STATUSES.has(state) ? (state as ContainerStatus) : "created",
    statusText: c.Status ?? "",
    ...statusFields(c.Status ?? ""),
    created: new Date((c.Created ?? 0) * 1000),
    command: c.Command ?? undefined,
    ports: (c.Ports ?? [])
      .filter((p) => p.PrivatePort !== undefined && p.PrivatePort !== null)
      .map((p) => ({
        containerPort: p.PrivatePort ?? 0,
        protocol: protocol(p.Type),
        hostIp: p.IP || undefined,
        hostPort: p.PublicPort ? String(p.PublicPort) : undefined,
      })),
    mounts: (c.Mounts ?? []).map((m) => ({
      name: m.Name || undefined,
      source: m.Source ?? "",
      driver: m.Driver || undefined,
    })),
    networks: Object.keys(c.NetworkSettings?.Networks ?? {}).sort(),
  };
}

/**
 * Health and exit code from a listed container's status text, the only place the engine's list
 * puts them (`State.String()`): `Up 3 minutes (healthy)`, `Up 2 seconds (health: starting)`,
 * `Exited (3) 5 seconds ago`. A paused or restarting container shows no health, as in Compose.
 */
function statusFields(text: string): Pick<ContainerSummary, "health" | "exitCode"> {
  const health = /^Up .*\((healthy|unhealthy|health: starting)\)$/.exec(text)?.[1];
  const exitCode = /^Exited \((-?\d+)\)/.exec(text)?.[1];
  return {
    health:
      health === undefined
        ? undefined
        : health === "health: starting"
          ? "starting"
          : (health as HealthStatus),
    exitCode: exitCode === undefined ? undefined : Number(exitCode),
  };
}

/**
 * A container's own name among `Names`: legacy links add `/other/alias` entries, so the one
 * with a single leading slash is the name.
 */
export function primaryName(names: readonly string[]): string {
  const own = names.find((n) => n.lastIndexOf("/") === 0) ?? names[0] ?? "";
  return stripSlash(own);
}

function stripSlash(name: string): string {
  return name.startsWith("/") ? name.slice(1) : name;
}

function toPortBindings(map: Readonly<Record<string, WirePortBinding[] | null | undefined>>): PortBinding[] {
  const out: PortBinding[] = [];
  for (const [key, bindings] of Object.entries(map)) {
    const [port = "", proto] = key.split("/");
    const containerPort = Number(port);
    if (!Number.isInteger(containerPort)) continue;
    for (const b of bindings ?? []) {
      out.push({
        containerPort,
        protocol: protocol(proto),
        hostIp: b.HostIp || undefined,
        hostPort: b.HostPort || undefined,
      });
    }
  }
  return out;
}

function protocol(value: string | null | undefined): PortBinding["protocol"] {
  return value === "udp" || value === "sctp" ? value : "tcp";
}

/** Engines write `0001-01-01T00:00:00Z` for "never"; that and junk become undefined. */
export function toDate(value: string | null | undefined): Date | undefined {
  if (!value || value.startsWith("0001-01-01")) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

export function toImageInfo(i: WireImageInspect): ImageInfo {
  const config = i.Config ?? {};
  return {
    id: i.Id,
    repoTags: i.RepoTags ?? [],
    repoDigests: i.RepoDigests ?? [],
    created: toDate(i.Created) ?? new Date(0),
    lastTagTime: toDate(i.Metadata?.LastTagTime),
    size: i.Size ?? 0,
    labels: config.Labels ?? {},
    platform: i.Os ? [i.Os, i.Architecture, i.Variant].filter((p) => p).join("/") : undefined,
    config: {
      env: config.Env ?? [],
      cmd: config.Cmd ?? undefined,
      entrypoint: config.Entrypoint ?? undefined,
      workingDir: config.WorkingDir || undefined,
      user: config.User || undefined,
      exposedPorts: Object.keys(config.ExposedPorts ?? {}),
      volumes: Object.keys(config.Volumes ?? {}),
      stopSignal: config.StopSignal || undefined,
    },
  };
}

export function toImageSummary(i: WireImageSummary): ImageSummary {
  return {
    id: i.Id,
    // Untagged images are listed with a `<none>:<none>` placeholder, which is no tag.
    repoTags: (i.RepoTags ?? []).filter((t) => t !== "<none>:<none>"),
    size: i.Size ?? 0,
    labels: i.Labels ?? {},
    created: new Date((i.Created ?? 0) * 1000),
  };
}

export function toNetworkInfo(n: WireNetwork): NetworkInfo {
  const containers: Record<string, { name: string; ipv4Address?: string | undefined }> = {};
  for (const [id, c] of Object.entries(n.Containers ?? {})) {
    containers[id] = { name: c?.Name ?? "", ipv4Address: c?.IPv4Address || undefined };
  }
  return {
    id: n.Id,
    name: n.Name,
    driver: n.Driver ?? "",
    internal: n.Internal === true,
    attachable: n.Attachable === true,
    enableIPv6: n.EnableIPv6 === true,
    labels: n.Labels ?? {},
    ipam: { driver: n.IPAM?.Driver ?? "default", pools: (n.IPAM?.Config ?? []).map(toPool) },
    containers,
    created: toDate(n.Created) ?? new Date(0),
  };
}

function toPool(c: WireIpamConfig): IpamPoolSpec {
  return {
    subnet: c.Subnet || undefined,
    ipRange: c.IPRange || undefined,
    gateway: c.Gateway || undefined,
    auxAddresses: c.AuxiliaryAddresses ?? undefined,
  };
}

export function toVolumeInfo(v: WireVolume): VolumeInfo {
  return {
    name: v.Name,
    driver: v.Driver ?? "local",
    mountpoint: v.Mountpoint ?? "",
    labels: v.Labels ?? {},
    options: v.Options ?? {},
    created: toDate(v.CreatedAt),
  };
}
