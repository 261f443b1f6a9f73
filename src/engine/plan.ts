/**
 * A Plan is a DAG of operations, each one Runtime call (or one bounded wait), produced by pure code
 * (reconcile.ts for `up`, lifecycle.ts for `down`/`stop`/`start`/`restart`) and walked by execute.ts.
 * Nodes are numbered in the order they were added, which is a topological order: a node only
 * depends on nodes with smaller numbers.
 *
 * `toString()` prints one line per node, so reconcile tests compare plans as text:
 *
 *     [1] network:default CreateNetwork demo_default (not found)
 *     [4] <- #1,#3 container:web:1 CreateContainer demo-web-1 (no existing container)
 *
 * that is `[id]`, the prerequisites (`<- #a,#b`, sorted), the resource (`network:<key>`,
 * `volume:<key>`, `image:<reference>`, `container:<service>:<number>`, `service:<name>`), the
 * operation, its subject and, in brackets, why it is needed. (Docker Compose's `plan.go` prints the
 * same facts as `[1,3] -> #4 service:web:1, CreateContainer, no existing container`.)
 */
import type { Dependency } from "../graph/graph.js";
import type { BuildSpec, ContainerSpec, NetworkSpec, VolumeSpec } from "../runtime/runtime.js";
import type { EngineResource } from "./events.js";

/** A file to copy into the container after create and before start (a secret or config value). */
export interface FileCopy {
  /** Absolute path inside the container. */
  readonly target: string;
  readonly content: string;
  /** Permission bits; Compose's default is 0o444. */
  readonly mode: number;
  readonly uid?: number;
  readonly gid?: number;
}

/**
 * What a wait node waits for: the three `depends_on` conditions, plus `running_or_healthy`, what
 * `up --wait` asks of every service (healthy when it has a healthcheck, else running).
 */
export type WaitCondition =
  "service_started" | "service_healthy" | "service_completed_successfully" | "running_or_healthy";

/**
 * Container operations name the container by ID when it was observed, and by name when an earlier
 * node creates it (names are unique in the engine, and a recreate's temporary name is too).
 * `display` is the name events report: the final name even while a recreate works on a temporary one.
 * `recreate` marks the steps of a recreate: the create reports `Recreate`, the rename `Recreated`,
 * and the stop and remove of the old container in between report nothing of their own.
 */
export type Operation =
  | { readonly kind: "CreateNetwork"; readonly name: string; readonly spec: NetworkSpec }
  | {
      readonly kind: "RemoveNetwork";
      readonly name: string;
      /** The network's ID: names can be ambiguous (see ObservedState.duplicateNetworks). */
      readonly id?: string | undefined;
    }
  | { readonly kind: "CreateVolume"; readonly name: string; readonly spec: VolumeSpec }
  | { readonly kind: "RemoveVolume"; readonly name: string }
  | { readonly kind: "PullImage"; readonly reference: string; readonly platform?: string | undefined }
  | { readonly kind: "BuildImage"; readonly reference: string; readonly spec: BuildSpec }
  | { readonly kind: "RemoveImage"; readonly reference: string }
  | {
      readonly kind: "CreateContainer";
      readonly name: string;
      readonly display: string;
      readonly spec: ContainerSpec;
      readonly copies: readonly FileCopy[];
      /** Old container whose anonymous volumes the new one takes over (recreate). */
      readonly inheritFrom?: string | undefined;
      readonly recreate?: boolean | undefined;
    }
  | {
      readonly kind: "StartContainer";
      readonly container: string;
      readonly display: string;
      /** Files to copy in before the start (a container never started may lack them). */
      readonly copies?: readonly FileCopy[] | undefined;
    }
  | {
      readonly kind: "StopContainer";
      readonly container: string;
      readonly display: string;
      readonly timeoutS?: number | undefined;
      readonly recreate?: boolean | undefined;
    }
  | {
      readonly kind: "RemoveContainer";
      readonly container: string;
      readonly display: string;
      /** Remove the container's anonymous volumes too (`down -v`). */
      readonly volumes: boolean;
      readonly recreate?: boolean | undefined;
    }
  | {
      readonly kind: "RenameContainer";
      readonly container: string;
      readonly to: string;
      readonly recreate?: boolean | undefined;
    }
  | {
      readonly kind: "RestartContainer";
      readonly container: string;
      readonly display: string;
      readonly timeoutS?: number | undefined;
    }
  | {
      readonly kind: "WaitCondition";
      readonly service: string;
      readonly condition: WaitCondition;
      /** `required: false` dependencies only warn when the condition fails. */
      readonly required: boolean;
      /** The dependent services waiting, for the error message (empty for `--wait`). */
      readonly dependents: readonly string[];
      readonly timeoutS?: number | undefined;
    };

export type OperationKind = Operation["kind"];

export interface PlanNode {
  readonly id: number;
  /** Prerequisites, ascending. */
  readonly deps: readonly number[];
  readonly resource: string;
  readonly op: Operation;
  readonly reason: string;
}

/** An up-to-date container the plan leaves alone (reported as `Running` by `up`). */
export interface UnchangedContainer {
  readonly service: string;
  readonly number: number;
  readonly name: string;
  readonly status: string;
}

/** Something the user should know that changes nothing: orphans found, objects that are not ours. */
export interface PlanWarning {
  readonly resource: EngineResource;
  /** The object's name (or the project's, for a warning about the whole project). */
  readonly id: string;
  readonly text: string;
}

const CONTAINER_KINDS: ReadonlySet<OperationKind> = new Set<OperationKind>([
  "CreateContainer",
  "StartContainer",
  "StopContainer",
  "RemoveContainer",
  "RenameContainer",
  "RestartContainer",
]);

export class Plan {
  constructor(
    readonly nodes: readonly PlanNode[],
    readonly warnings: readonly PlanWarning[] = [],
    readonly unchanged: readonly UnchangedContainer[] = [],
  ) {}

  /** The nodes that touch containers; empty for a second `up` of an unchanged project. */
  containerOperations(): PlanNode[] {
    return this.nodes.filter((node) => CONTAINER_KINDS.has(node.op.kind));
  }

  isEmpty(): boolean {
    return this.nodes.length === 0;
  }

  toString(): string {
    return this.nodes.map(formatNode).join("\n") + (this.nodes.length > 0 ? "\n" : "");
  }

  /** This plan's nodes followed by `next`'s, renumbered (next's nodes keep their own edges). */
  concat(next: Plan): Plan {
    const offset = this.nodes.length;
    const moved = next.nodes.map((node) => ({
      ...node,
      id: node.id + offset,
      deps: node.deps.map((dep) => dep + offset),
    }));
    return new Plan(
      [...this.nodes, ...moved],
      [...this.warnings, ...next.warnings],
      [...this.unchanged, ...next.unchanged],
    );
  }

  /** The nodes matching `keep`, renumbered; edges to dropped nodes are dropped. */
  filter(
    keep: (node: PlanNode) => boolean,
    notes: { warnings: boolean; unchanged: boolean } = { warnings: true, unchanged: true },
  ): Plan {
    const kept = this.nodes.filter(keep);
    const renumber = new Map(kept.map((node, index) => [node.id, index + 1]));
    return new Plan(
      kept.map((node) => ({
        ...node,
        id: renumber.get(node.id) ?? 0,
        deps: node.deps.flatMap((dep) => {
          const id = renumber.get(dep);
          return id === undefined ? [] : [id];
        }),
      })),
      notes.warnings ? this.warnings : [],
      notes.unchanged ? this.unchanged : [],
    );
  }
}

/** Stops a container, within `timeoutS` when given (else the container's own stop timeout). */
export function stopOperation(
  container: string,
  display: string,
  timeoutS: number | undefined,
  recreate = false,
): Extract<Operation, { kind: "StopContainer" }> {
  return {
    kind: "StopContainer",
    container,
    display,
    ...(timeoutS !== undefined ? { timeoutS } : {}),
    ...(recreate ? { recreate: true } : {}),
  };
}

/** The resource of a container step: `container:<service>:<number>` (`?` for a missing label). */
export function containerResource(service: string, number: number | undefined): string {
  return `container:${service || "?"}:${number ?? "?"}`;
}

function formatNode(node: PlanNode): string {
  const deps = node.deps.length > 0 ? ` <- ${node.deps.map((d) => `#${d}`).join(",")}` : "";
  return `[${node.id}]${deps} ${node.resource} ${node.op.kind} ${subject(node.op)} (${node.reason})`;
}

function subject(op: Operation): string {
  switch (op.kind) {
    case "CreateNetwork":
    case "RemoveNetwork":
    case "CreateVolume":
    case "RemoveVolume":
    case "CreateContainer":
      return op.name;
    case "PullImage":
    case "BuildImage":
    case "RemoveImage":
      return op.reference;
    case "StartContainer":
    case "StopContainer":
    case "RemoveContainer":
    case "RestartContainer":
      return op.display;
    case "RenameContainer":
      return `${op.container} -> ${op.to}`;
    case "WaitCondition":
      return op.condition;
  }
}

/** Builds a plan node by node; `add` returns the new node's id for later edges. */
export class PlanBuilder {
  private readonly nodes: PlanNode[] = [];
  /** Shared wait nodes by `<service>:<condition>`. */
  private readonly waits = new Map<string, number>();
  readonly warnings: PlanWarning[] = [];
  readonly unchanged: UnchangedContainer[] = [];

  add(resource: string, op: Operation, reason: string, deps: Iterable<number> = []): number {
    const id = this.nodes.length + 1;
    const sorted = [...new Set(deps)].sort((a, b) => a - b);
    for (const dep of sorted) {
      if (dep >= id || dep < 1) throw new Error(`plan node #${id} cannot depend on #${dep}`);
    }
    this.nodes.push({ id, deps: sorted, resource, op, reason });
    return id;
  }

  /**
   * What the starts of `dependent` wait for: a `service_started` dependency's start steps (from
   * `startsOf`), a wait node for the other conditions. `depends_on` order as the graph gives it.
   */
  startGate(
    dependent: string,
    dependencies: Iterable<readonly [string, Dependency]>,
    startsOf: (service: string) => readonly number[],
  ): number[] {
    const gate: number[] = [];
    for (const [service, dependency] of dependencies) {
      const starts = startsOf(service);
      if (dependency.condition === "service_started") gate.push(...starts);
      else gate.push(this.dependencyWait(service, dependency, dependent, starts));
    }
    return gate;
  }

  /**
   * The node that waits for `service` to meet a `depends_on` condition, after `starts` (its start
   * steps). One per service and condition, shared by every dependent: it names them all, waits
   * for every start any of them named, and is required when any of them requires it.
   */
  private dependencyWait(
    service: string,
    dependency: Dependency,
    dependent: string,
    starts: readonly number[],
  ): number {
    const { condition, required } = dependency;
    const key = `${service}:${condition}`;
    const existing = this.waits.get(key);
    if (existing === undefined) {
      const id = this.add(
        `service:${service}`,
        { kind: "WaitCondition", service, condition, required, dependents: [dependent] },
        `depends_on ${condition}`,
        starts,
      );
      this.waits.set(key, id);
      return id;
    }
    const node = this.node(existing);
    if (node?.op.kind === "WaitCondition") {
      this.replaceOp(existing, {
        ...node.op,
        required: node.op.required || required,
        dependents: [...node.op.dependents, dependent],
      });
    }
    this.addDeps(existing, starts);
    return existing;
  }

  /** Adds prerequisites to an existing node (a shared wait node gaining dependents' inputs). */
  private addDeps(id: number, deps: Iterable<number>): void {
    const node = this.nodes[id - 1];
    if (!node) throw new Error(`no plan node #${id}`);
    const merged = [...new Set([...node.deps, ...deps])].sort((a, b) => a - b);
    for (const dep of merged) {
      if (dep >= id) throw new Error(`plan node #${id} cannot depend on #${dep}`);
    }
    this.nodes[id - 1] = { ...node, deps: merged };
  }

  /** Replaces an existing node's operation (a shared wait node gaining a dependent's name). */
  private replaceOp(id: number, op: Operation): void {
    const node = this.nodes[id - 1];
    if (!node) throw new Error(`no plan node #${id}`);
    this.nodes[id - 1] = { ...node, op };
  }

  node(id: number): PlanNode | undefined {
    return this.nodes[id - 1];
  }

  build(): Plan {
    return new Plan([...this.nodes], [...this.warnings], [...this.unchanged]);
  }
}
