/**
 * Stage 9: the startup graph. `depends_on` plus the implicit dependencies Compose derives from
 * `links`, `volumes_from` and `service:` namespaces (network_mode, ipc, pid, uts, cgroup) become a DAG.
 * A cycle is an error naming the whole loop; a dependency on a missing or profile-disabled service is
 * an error unless it is `required: false`, in which case it is dropped with a warning.
 */
import toposort from "toposort";
import { GraphError, type Location } from "../errors.js";

export type Condition = "service_started" | "service_healthy" | "service_completed_successfully";

export interface Dependency {
  readonly condition: Condition;
  readonly required: boolean;
  readonly restart: boolean;
}

/** The parts of a service the graph reads; the model's Service satisfies it. */
export interface GraphService {
  readonly depends_on?: Readonly<Record<string, Partial<Dependency> & { condition?: string }>> | undefined;
  readonly links?: readonly string[] | undefined;
  readonly volumes_from?: readonly string[] | undefined;
  readonly network_mode?: string | undefined;
  readonly ipc?: string | undefined;
  readonly pid?: string | undefined;
  readonly uts?: string | undefined;
  readonly cgroup?: string | undefined;
  readonly profiles?: readonly string[] | undefined;
}

export interface GraphOptions {
  /** Services that exist but are disabled by profiles (for a clearer message). */
  readonly disabled?: ReadonlySet<string> | undefined;
  /** Where `services.<name>.depends_on.<dep>` (etc.) was written, for error locations. */
  readonly locate?: ((service: string, dependency: string) => Location | undefined) | undefined;
  readonly onWarning?: ((message: string) => void) | undefined;
}

export class ServiceGraph {
  /** service → its dependencies (edges point from dependent to dependency). */
  constructor(
    private readonly edges: ReadonlyMap<string, ReadonlyMap<string, Dependency>>,
    private readonly order: readonly string[],
  ) {}

  /** Every service, dependencies before their dependents; ties in name order, so output repeats. */
  startOrder(): readonly string[] {
    return this.order;
  }

  /** The reverse: dependents before what they depend on (for stop/down). */
  stopOrder(): readonly string[] {
    return [...this.order].reverse();
  }

  dependenciesOf(service: string): ReadonlyMap<string, Dependency> {
    return this.edges.get(service) ?? new Map();
  }

  dependentsOf(service: string): string[] {
    const out: string[] = [];
    for (const [name, deps] of this.edges) if (deps.has(service)) out.push(name);
    return out.sort();
  }

  /** The service and everything it needs, transitively (what `up web` starts). */
  withDependencies(names: Iterable<string>): Set<string> {
    const seen = new Set<string>();
    const visit = (name: string): void => {
      if (seen.has(name)) return;
      seen.add(name);
      for (const dep of this.dependenciesOf(name).keys()) visit(dep);
    };
    for (const name of names) visit(name);
    return seen;
  }
}

const NAMESPACE_KEYS = ["network_mode", "ipc", "pid", "uts", "cgroup"] as const;

/** Dependencies of one service, explicit and implicit, in Compose's precedence (explicit wins). */
export function dependenciesOf(service: GraphService): Map<string, Dependency> {
  const deps = new Map<string, Dependency>();
  for (const [name, dep] of Object.entries(service.depends_on ?? {})) {
    deps.set(name, {
      condition: (dep.condition as Condition | undefined) ?? "service_started",
      required: dep.required ?? true,
      restart: dep.restart ?? false,
    });
  }
  const implicit = (name: string, restart: boolean): void => {
    if (!deps.has(name)) deps.set(name, { condition: "service_started", required: true, restart });
  };
  for (const link of service.links ?? []) implicit(link.split(":")[0] ?? link, true);
  for (const key of NAMESPACE_KEYS) {
    const value = service[key];
    if (value?.startsWith("service:")) implicit(value.slice("service:".length), true);
  }
  for (const from of service.volumes_from ?? []) {
    if (!from.startsWith("container:")) implicit(from.split(":")[0] ?? from, false);
  }
  return deps;
}

export function buildGraph(
  services: Readonly<Record<string, GraphService>>,
  options: GraphOptions = {},
): ServiceGraph {
  const names = Object.keys(services).sort();
  const edges = new Map<string, Map<string, Dependency>>();
  for (const name of names) {
    const service = services[name];
    if (!service) continue;
    const deps = new Map<string, Dependency>();
    for (const [dep, spec] of [...dependenciesOf(service)].sort((a, b) => a[0].localeCompare(b[0]))) {
      if (Object.hasOwn(services, dep)) {
        deps.set(dep, spec);
        continue;
      }
      const why = options.disabled?.has(dep)
        ? `service "${dep}", which is not enabled by any active profile`
        : `undefined service "${dep}"`;
      if (!spec.required) {
        options.onWarning?.(`service "${name}" depends on ${why}; ignoring it as it is not required`);
        continue;
      }
      throw new GraphError(`service "${name}" depends on ${why}`, options.locate?.(name, dep));
    }
    edges.set(name, deps);
  }

  const cycle = findCycle(names, edges);
  if (cycle) {
    const first = cycle[0] ?? "";
    const second = cycle[1] ?? first;
    throw new GraphError(`dependency cycle detected: ${cycle.join(" -> ")}`, options.locate?.(first, second));
  }

  // toposort orders [dependency, dependent] pairs; isolated services keep their place by name.
  const pairs: [string, string][] = [];
  for (const name of names) for (const dep of edges.get(name)?.keys() ?? []) pairs.push([dep, name]);
  return new ServiceGraph(edges, toposort.array(names, pairs));
}

/** The first cycle found walking services in name order, as `a, b, c, a`; undefined for a DAG. */
function findCycle(
  names: readonly string[],
  edges: ReadonlyMap<string, ReadonlyMap<string, Dependency>>,
): string[] | undefined {
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    const seen = state.get(name);
    if (seen === "done") return undefined;
    if (seen === "visiting") return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, "visiting");
    stack.push(name);
    for (const dep of edges.get(name)?.keys() ?? []) {
      const found = visit(dep);
      if (found) return found;
    }
    stack.pop();
    state.set(name, "done");
    return undefined;
  };
  for (const name of names) {
    const found = visit(name);
    if (found) return found;
  }
  return undefined;
}
