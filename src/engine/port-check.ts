/**
 * The host-port pre-check of `up`: before any container is created, every TCP/UDP host port the
 * new containers publish is bound for a moment by berth itself. A port another process holds fails
 * the whole `up` at once, naming the service, the port and the holder ("node (pid 4242)"), instead of
 * the engine failing on replica 2 after replica 1 already runs (docker/compose#4950, #7188).
 *
 * Only meaningful when the engine shares this host's network stack (a local unix socket): the
 * caller decides that. Ports that this project's own running containers publish are skipped when the
 * plan stops or removes those containers first (a recreate frees them); a container the plan keeps
 * keeps its ports, and a new replica asking for the same one (`scale web=2` with a fixed host
 * port) fails naming that container. A range (`8000-8004:80`) passes when it has at least as many
 * usable ports (free, or already the project's) as new containers publish it; the engine picks
 * which. Every loop is bounded by the ports asked for (at most 65535 per range).
 */
import { canBind, findHolder, type PortProtocol } from "../host/ports.js";
import type { Runtime } from "../runtime/runtime.js";
import { PortInUseError } from "./errors.js";
import { projectFilter, SERVICE_LABEL } from "./labels.js";
import type { Plan } from "./plan.js";

type Protocol = PortProtocol;

/** One published host port or range, and how many new containers of which services claim it. */
interface Claim {
  readonly hostIp: string;
  readonly protocol: Protocol;
  readonly low: number;
  readonly high: number;
  readonly services: Set<string>;
  count: number;
}

/** Rejects with a PortInUseError when a host port the plan's new containers publish is taken. */
export async function checkHostPorts(runtime: Runtime, project: string, plan: Plan): Promise<void> {
  const claims = claimsOf(plan);
  if (claims.length === 0) return;
  const ports = await projectPorts(runtime, project, containersFreedBy(plan));
  for (const claim of claims) await checkClaim(claim, ports);
}

/** The containers (by ID or name, as the plan names them) that the plan stops or removes. */
function containersFreedBy(plan: Plan): Set<string> {
  const freed = new Set<string>();
  for (const node of plan.nodes) {
    if (node.op.kind === "StopContainer" || node.op.kind === "RemoveContainer") freed.add(node.op.container);
  }
  return freed;
}

function claimsOf(plan: Plan): Claim[] {
  const claims = new Map<string, Claim>();
  for (const node of plan.nodes) {
    if (node.op.kind !== "CreateContainer") continue;
    const service = node.op.spec.labels[SERVICE_LABEL] ?? node.op.display;
    for (const port of node.op.spec.ports ?? []) {
      if (port.protocol === "sctp" || !port.hostPort) continue;
      const range = parseRange(port.hostPort);
      if (!range) continue;
      const hostIp = port.hostIp ?? "";
      const key = `${hostIp}|${port.hostPort}|${port.protocol}`;
      let claim = claims.get(key);
      if (!claim) {
        claim = { hostIp, protocol: port.protocol, ...range, services: new Set(), count: 0 };
        claims.set(key, claim);
      }
      claim.services.add(service);
      claim.count++;
    }
  }
  return [...claims.values()];
}

function parseRange(text: string): { low: number; high: number } | undefined {
  const match = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!match) return undefined;
  const low = Number(match[1]);
  const high = match[2] === undefined ? low : Number(match[2]);
  if (low < 1 || high > 65535 || high < low) return undefined;
  return { low, high };
}

/** The host ports (`tcp/8080`) this project's running containers publish: freed by the plan, or kept (by whom, on which address). */
interface ProjectPorts {
  readonly freed: ReadonlySet<string>;
  readonly kept: ReadonlyMap<string, readonly { readonly container: string; readonly hostIp: string }[]>;
}

async function projectPorts(
  runtime: Runtime,
  project: string,
  freedContainers: ReadonlySet<string>,
): Promise<ProjectPorts> {
  const running = await runtime.containers.list({ labels: projectFilter(project) });
  const freed = new Set<string>();
  const kept = new Map<string, { container: string; hostIp: string }[]>();
  for (const container of running) {
    const goes = freedContainers.has(container.id) || freedContainers.has(container.name);
    for (const port of container.ports) {
      if (!port.hostPort) continue;
      const key = `${port.protocol}/${port.hostPort}`;
      if (goes) freed.add(key);
      else
        kept.set(key, [...(kept.get(key) ?? []), { container: container.name, hostIp: port.hostIp ?? "" }]);
    }
  }
  return { freed, kept };
}

/** Whether two bindings of one port clash: the same address, or either one every address. */
function sameAddress(a: string, b: string): boolean {
  const wildcard = (ip: string): boolean => ip === "" || ip === "0.0.0.0" || ip === "::";
  return a === b || wildcard(a) || wildcard(b);
}

async function checkClaim(claim: Claim, ports: ProjectPorts): Promise<void> {
  let usable = 0;
  let busy: number | undefined;
  let keeper: string | undefined;
  for (let port = claim.low; port <= claim.high && usable < claim.count; port++) {
    const key = `${claim.protocol}/${port}`;
    // A container this project keeps holds its port even where no process shows it bound
    // (the engine without its userland proxy): ask it first.
    const keptBy = ports.kept.get(key)?.find((k) => sameAddress(k.hostIp, claim.hostIp))?.container;
    if (
      keptBy === undefined &&
      (ports.freed.has(key) || (await canBind(claim.protocol, claim.hostIp, port)))
    ) {
      usable++;
    } else if (busy === undefined) {
      busy = port;
      keeper = keptBy;
    }
  }
  if (usable >= claim.count) return;
  const services = [...claim.services].sort();
  const subject =
    services.length === 1
      ? `service "${services[0]}"`
      : `services ${services.map((s) => `"${s}"`).join(", ")}`;
  if (busy === undefined) {
    // Every port is free, but fewer than the new containers asking for them (`scale web=2` of a
    // service publishing one fixed host port): the engine would fail the second one.
    const what =
      claim.low === claim.high
        ? `host port ${claim.hostIp ? `${formatIp(claim.hostIp)}:` : ""}${claim.low}/${claim.protocol}`
        : `the ${usable} ports of host port range ${claim.low}-${claim.high}/${claim.protocol}`;
    throw new PortInUseError(`${subject}: ${claim.count} new containers would publish ${what}`, {
      service: services[0],
      port: claim.low,
      holder: undefined,
      hint: 'a host port takes one container: publish a range, or let the engine pick (`- "80"`)',
    });
  }

  const holder = keeper === undefined ? await findHolder(claim.protocol, busy) : undefined;
  const by =
    keeper !== undefined
      ? `this project's container ${keeper}`
      : holder
        ? `${holder.command} (pid ${holder.pid})`
        : "another process";
  const where = `${claim.hostIp ? `${formatIp(claim.hostIp)}:` : ""}${busy}/${claim.protocol}`;
  const message =
    claim.low === claim.high
      ? `${subject}: host port ${where} is already in use by ${by}`
      : `${subject}: host port range ${claim.low}-${claim.high}/${claim.protocol} has ${usable} usable ` +
        `port${usable === 1 ? "" : "s"} for ${claim.count} containers; ${where} is already in use by ${by}`;
  throw new PortInUseError(message, {
    service: services[0],
    port: busy,
    holder,
    hint: "stop what holds the port, or publish another one",
  });
}

function formatIp(ip: string): string {
  return ip.includes(":") ? `[${ip}]` : ip;
}
