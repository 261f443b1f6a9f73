/**
 * Stage 11: cross-references the schema cannot see: every network, volume, secret and config a service names
 * must be declared at the top level, and every service needs an image or a build. Runs on the
 * normalized model, over the active services only (a disabled service may name things nobody declares).
 */
import { LoadError } from "../errors.js";
import type { Project, Service } from "./model.js";
import { locateReference, referenceAt } from "./references.js";
import type { SourceMap } from "./source-map.js";
import { parsePortSpec } from "./ports.js";
import { formatPath, isMapping, isSequence, type Mapping, type Node, type Path } from "./tree.js";

/** The merged tree (as the files wrote it) and where each of its values was written. */
export interface Written {
  readonly tree: Mapping;
  readonly sources: SourceMap;
}

export function checkConsistency(project: Project, written: Written): void {
  for (const name of Object.keys(project.services).sort()) {
    const service = project.services[name];
    if (service) checkService(project, name, service, written);
  }
  checkPublishedPorts(new Set(Object.keys(project.services)), written);
}

type Kind = "networks" | "volumes" | "secrets" | "configs";

function checkService(project: Project, name: string, service: Service, written: Written): void {
  if (service.image === undefined && service.build === undefined) {
    throw new LoadError(
      `service "${name}" has neither an image nor a build context specified`,
      written.sources.keyAt(["services", name]),
    );
  }
  /** An undefined reference: the error points at where the service names it. */
  const undefinedRef = (kind: Kind, what: string, ref: string): never => {
    const reference = referenceAt(written.tree, name, kind, ref);
    const location = reference
      ? locateReference(written.sources, reference)
      : written.sources.keyAt(["services", name, kind]);
    throw new LoadError(`service "${name}" refers to undefined ${what} "${ref}"`, location);
  };
  for (const network of Object.keys(service.networks ?? {})) {
    if (!Object.hasOwn(project.networks ?? {}, network)) undefinedRef("networks", "network", network);
  }
  for (const volume of service.volumes ?? []) {
    if (volume.type === "volume" && volume.source && !Object.hasOwn(project.volumes ?? {}, volume.source)) {
      undefinedRef("volumes", "volume", volume.source);
    }
  }
  for (const secret of service.secrets ?? []) {
    if (!Object.hasOwn(project.secrets ?? {}, secret.source))
      undefinedRef("secrets", "secret", secret.source);
  }
  for (const config of service.configs ?? []) {
    if (!Object.hasOwn(project.configs ?? {}, config.source))
      undefinedRef("configs", "config", config.source);
  }
  // compose-go's checkConsistency: only rebuild and restart make sense without a place to sync to.
  for (const trigger of service.develop?.watch ?? []) {
    if ((trigger.target ?? "") === "" && trigger.action !== "rebuild" && trigger.action !== "restart") {
      throw new LoadError(
        `services.${name}.develop.watch: target is required for non-rebuild actions`,
        written.sources.keyAt(["services", name, "develop", "watch"]),
      );
    }
  }
}

/** One fixed host port a port entry publishes. */
interface Binding {
  /** `""`: every interface (0.0.0.0 and ::). */
  readonly ip: string;
  readonly port: string;
  readonly protocol: string;
  /** The entry, or its `published` in the long syntax. */
  readonly at: Path;
}

/**
 * A host port can be published once per interface and protocol: a second binding would make the
 * engine refuse the second container ("port is already allocated"). Ranges on the host side
 * (`8000-8010:80`) let the engine pick a free port, so only fixed ports count; written entries are
 * read, in file order (the model has expanded container ranges), so the error points at the one
 * written second.
 */
function checkPublishedPorts(active: ReadonlySet<string>, written: Written): void {
  const services = written.tree["services"];
  if (!isMapping(services)) return;
  const seen = new Map<string, Binding[]>(); // by port/protocol
  for (const name of Object.keys(services)) {
    if (!active.has(name)) continue;
    const service = services[name];
    const ports = isMapping(service) ? service["ports"] : undefined;
    if (!isSequence(ports)) continue;
    for (let i = 0; i < ports.length; i++) {
      for (const binding of bindingsOf(ports[i] ?? null, ["services", name, "ports", i])) {
        const key = `${binding.port}/${binding.protocol}`;
        const same = seen.get(key) ?? [];
        const earlier = same.find((other) => overlaps(other.ip, binding.ip));
        if (earlier) {
          const shown = `${binding.ip === "" ? "" : `${binding.ip}:`}${binding.port}/${binding.protocol}`;
          throw new LoadError(
            `host port ${shown} is already published by ${formatPath(earlier.at.slice(0, 4))}`,
            written.sources.valueAt(binding.at),
            formatPath(binding.at.slice(0, 4)),
          );
        }
        same.push(binding);
        seen.set(key, same);
      }
    }
  }
}

function bindingsOf(entry: Node, at: Path): Binding[] {
  if (isMapping(entry)) {
    const published = entry["published"];
    const port = typeof published === "number" ? String(published) : published;
    if (typeof port !== "string" || !isFixedPort(port)) return [];
    const ip = typeof entry["host_ip"] === "string" ? entry["host_ip"] : "";
    const protocol =
      typeof entry["protocol"] === "string" && entry["protocol"] !== "" ? entry["protocol"] : "tcp";
    return [{ ip, port: String(Number(port)), protocol: protocol.toLowerCase(), at: [...at, "published"] }];
  }
  if (typeof entry !== "string" && typeof entry !== "number") return [];
  let parsed: ReturnType<typeof parsePortSpec>;
  try {
    parsed = parsePortSpec(String(entry));
  } catch {
    return []; // a bad spec is validate's to report
  }
  const out: Binding[] = [];
  for (const port of parsed) {
    if (port.published === undefined || !isFixedPort(port.published)) continue;
    out.push({ ip: port.host_ip ?? "", port: String(Number(port.published)), protocol: port.protocol, at });
  }
  return out;
}

/** A single host port; not a range, and not 0 (any free port). */
function isFixedPort(port: string): boolean {
  return /^\d+$/.test(port) && Number(port) !== 0;
}

function overlaps(a: string, b: string): boolean {
  return a === b || a === "" || b === "" || covers(a, b) || covers(b, a);
}

/** `0.0.0.0` is every IPv4 address, `::` every IPv6 one. */
function covers(wildcard: string, ip: string): boolean {
  if (wildcard === "0.0.0.0") return !ip.includes(":");
  if (wildcard === "::" || wildcard === "[::]") return ip.includes(":");
  return false;
}
