/**
 * `run`: a one-off container of a service, as Docker Compose v2's `run` makes it
 * (`cmd/compose/run.go` `runOptions.apply`, `pkg/compose/run.go` `prepareRun`, `applyRunOptions`,
 * `startDependencies`):
 * 1. unless `noDeps`, the service's dependencies are brought up as `up` of those services would;
 * 2. the service's own networks, volumes and image are made (`up`'s plan, its container steps left out);
 * 3. unless `noDeps`, the service's `depends_on` conditions are awaited (healthy, completed, …);
 * 4. the one-off is created (oneoff `True`, a random slug naming it, container number -1, no restart
 *    policy, no ports unless asked; removed by the engine once it exits with `autoRemove`, as
 *    Compose asks for `--rm`) and its secrets copied in. Starting and attaching are the caller's.
 */
import { randomBytes } from "node:crypto";
import type { LoadedProject } from "../project/load.js";
import type { Project, Service, ServicePort, ServiceVolume } from "../project/model.js";
import type { Runtime, TerminalSize } from "../runtime/runtime.js";
import { containerSpecFor } from "./container-spec.js";
import { imageReference } from "./desired.js";
import { PlanError } from "./errors.js";
import { emitter, type EventSink, silentSink } from "./events.js";
import { execute } from "./execute.js";
import { up, type UpContext, upLookups } from "./up.js";
import { observe } from "./observe.js";
import { Plan, type PlanNode } from "./plan.js";
import { withProjectLock } from "./project-lock.js";
import { reconcile, type UpOptions } from "./reconcile.js";

/** What the command line changes in the service for its one-off (`applyRunOptions`). */
export interface OneOffOverrides {
  /** Replaces the service's command when not empty. */
  readonly command?: readonly string[] | undefined;
  /** Replaces the entrypoint; without a command, the service's command is dropped too. */
  readonly entrypoint?: readonly string[] | undefined;
  /** Set over the service's environment. */
  readonly environment?: Readonly<Record<string, string>> | undefined;
  readonly user?: string | undefined;
  readonly workingDir?: string | undefined;
  /** Added to the service's volumes (`-v`). */
  readonly volumes?: readonly ServiceVolume[] | undefined;
  /** `-p`: published in place of the service's ports. */
  readonly publish?: readonly ServicePort[] | undefined;
  /** `--service-ports`: keep the service's ports (else it publishes none). */
  readonly servicePorts?: boolean | undefined;
  readonly labels?: Readonly<Record<string, string>> | undefined;
  readonly capAdd?: readonly string[] | undefined;
  readonly capDrop?: readonly string[] | undefined;
  readonly tty?: boolean | undefined;
  /** Keep stdin open (`-i`, Compose's default). */
  readonly interactive?: boolean | undefined;
}

export interface RunOptions {
  readonly service: string;
  readonly overrides: OneOffOverrides;
  /** `--name`: the container's name instead of `<project>-<service>-run-<slug>`. */
  readonly name?: string | undefined;
  /** `--use-aliases`: the service name and its aliases on its networks. */
  readonly useAliases?: boolean | undefined;
  readonly noDeps?: boolean | undefined;
  readonly pull?: UpOptions["pull"];
  readonly build?: boolean | undefined;
  /** `--quiet-pull`: no pull or build progress, for the one-off's image and its dependencies'. */
  readonly quietPull?: boolean | undefined;
  readonly removeOrphans?: boolean | undefined;
  /** The engine removes the one-off once it exits (`--rm`, as Compose's run sets HostConfig.AutoRemove). */
  readonly autoRemove?: boolean | undefined;
  /** The slug (64 hex digits); random when absent. */
  readonly slug?: string | undefined;
  /** Bound for each depends_on wait (default 10 minutes). */
  readonly dependencyTimeoutS?: number | undefined;
  /** The caller's terminal size, given to a TTY one-off from its first moment. */
  readonly consoleSize?: TerminalSize | undefined;
}

export interface OneOff {
  /** Its name, which the runtime takes wherever an ID goes (no lookup of the ID needed). */
  readonly name: string;
  /** Whether the container was created with a TTY (its output is then one stream). */
  readonly tty: boolean;
}

/** The number Compose gives a one-off's `container-number` label. */
const ONE_OFF_NUMBER = -1;

/** Steps 1–4 above; resolves with the created, not yet started, one-off. */
export async function createOneOff(
  runtime: Runtime,
  loaded: LoadedProject,
  options: RunOptions,
  sink: EventSink,
  signal?: AbortSignal,
  extra: UpContext = {},
): Promise<OneOff> {
  const declared = loaded.project.services[options.service];
  if (declared === undefined) throw new PlanError(`no such service: ${options.service}`);
  const service = oneOffService(declared, options.overrides);
  const project: Project = {
    ...loaded.project,
    services: { ...loaded.project.services, [options.service]: service },
  };
  const dependencies = Object.keys(service.depends_on ?? {});
  const images: UpOptions = {
    ...(options.pull !== undefined ? { pull: options.pull } : {}),
    ...(options.build === true ? { build: true } : {}),
    ...(options.quietPull === true ? { quietPull: true } : {}),
  };
  if (options.noDeps !== true && dependencies.length > 0) {
    await up(
      runtime,
      loaded,
      {
        services: dependencies,
        ...images,
        ...(options.removeOrphans === true ? { removeOrphans: true } : {}),
      },
      sink,
      signal,
      extra,
    );
  }
  const lock = { signal, onWait: () => undefined };
  return withProjectLock(project.name, lock, async () => {
    // Only what the one-off needs made: its networks, volumes and image. The project's containers
    // play no part (its dependencies were brought up above), so they are not listed.
    const observed = await observe(
      runtime,
      project.name,
      upLookups({ ...loaded, project }, new Set([options.service])),
      { containers: false },
    );
    const planned = reconcile(
      project,
      loaded.graph,
      observed,
      { services: [options.service], noDeps: true, ...images },
      {
        configFiles: configFiles(loaded),
        disabledServices: Object.keys(loaded.disabledServices),
        manualCreateCommand: runtime.manualCreateCommand?.bind(runtime),
      },
    );
    const prepare = planned.filter((node) => PREPARE_KINDS.has(node.op.kind), {
      warnings: false,
      unchanged: false,
    });
    const waits = options.noDeps === true ? new Plan([]) : dependencyWaits(options.service, service);
    await execute(runtime, prepare.concat(waits), sink, {
      project: project.name,
      signal,
      quietPull: options.quietPull,
      ...(options.dependencyTimeoutS !== undefined
        ? { waitTimeoutMs: options.dependencyTimeoutS * 1000 }
        : {}),
    });

    const slug = options.slug ?? randomBytes(32).toString("hex");
    // The image's ID as observed, unless this run has just pulled or built it.
    const reference = imageReference(project, options.service);
    const fresh = prepare.nodes.some((n) => n.op.kind === "PullImage" || n.op.kind === "BuildImage");
    const imageId = fresh ? (await runtime.images.inspect(reference))?.id : observed.images.get(reference);
    const { spec, copies, ignored } = containerSpecFor(project, options.service, ONE_OFF_NUMBER, {
      configFiles: configFiles(loaded),
      environmentFiles: extra.environmentFiles,
      imageId,
      oneOff: true,
      slug,
      name: options.name,
      useAliases: options.useAliases === true,
    });
    const emit = emitter(sink);
    for (const field of ignored)
      emit("container", spec.name, "Warning", `${field} is not supported, ignored`);
    // Stdin closes when the caller's attach ends it, so the process sees EOF (as `docker run -i`).
    const created = {
      ...spec,
      stdinOnce: options.overrides.interactive === true,
      ...(options.autoRemove === true ? { autoRemove: true } : {}),
      ...(spec.tty === true && options.consoleSize !== undefined ? { consoleSize: options.consoleSize } : {}),
    };
    const create: PlanNode = {
      id: 1,
      deps: [],
      resource: `container:${spec.name}`,
      op: { kind: "CreateContainer", name: spec.name, display: spec.name, spec: created, copies },
      reason: "one-off container",
    };
    await execute(runtime, new Plan([create]), silentSink, { project: project.name, signal });
    return { name: spec.name, tty: spec.tty === true };
  });
}

const PREPARE_KINDS = new Set(["CreateNetwork", "CreateVolume", "PullImage", "BuildImage"]);

function configFiles(loaded: LoadedProject): string[] {
  return loaded.files.map((f) => f.path).filter((p) => p !== "-");
}

/** One wait per `depends_on` entry of the service, as Compose's `waitDependencies` before the create. */
function dependencyWaits(name: string, service: Service): Plan {
  const nodes: PlanNode[] = Object.entries(service.depends_on ?? {}).map(([dep, d], i) => ({
    id: i + 1,
    deps: [],
    resource: `service:${dep}`,
    op: {
      kind: "WaitCondition",
      service: dep,
      condition: d.condition,
      required: d.required,
      dependents: [name],
    },
    reason: `${name} depends on ${dep} (${d.condition})`,
  }));
  return new Plan(nodes);
}

/**
 * The service as its one-off runs it: the command line's settings over the declared ones, ports
 * only with `--service-ports` or `-p`, no restart policy (containerSpecFor drops it for a one-off).
 */
export function oneOffService(service: Service, o: OneOffOverrides): Service {
  const out: { -readonly [K in keyof Service]: Service[K] } = { ...service };
  out.tty = o.tty === true;
  out.stdin_open = o.interactive === true;
  delete out.container_name;
  if (o.servicePorts !== true) out.ports = [...(o.publish ?? [])];
  if (o.volumes !== undefined && o.volumes.length > 0)
    out.volumes = [...(service.volumes ?? []), ...o.volumes];
  if (o.command !== undefined && o.command.length > 0) out.command = [...o.command];
  if (o.user !== undefined && o.user !== "") out.user = o.user;
  if (o.capAdd !== undefined && o.capAdd.length > 0) {
    out.cap_add = [...(out.cap_add ?? []), ...o.capAdd];
    if (out.cap_drop) out.cap_drop = out.cap_drop.filter((c) => !o.capAdd?.includes(c));
  }
  if (o.capDrop !== undefined && o.capDrop.length > 0) {
    out.cap_drop = [...(out.cap_drop ?? []), ...o.capDrop];
    if (out.cap_add) out.cap_add = out.cap_add.filter((c) => !o.capDrop?.includes(c));
  }
  if (o.workingDir !== undefined && o.workingDir !== "") out.working_dir = o.workingDir;
  if (o.entrypoint !== undefined) {
    out.entrypoint = [...o.entrypoint];
    if (o.command === undefined || o.command.length === 0) out.command = [];
  }
  if (o.environment !== undefined && Object.keys(o.environment).length > 0) {
    out.environment = { ...service.environment, ...o.environment };
  }
  if (o.labels !== undefined && Object.keys(o.labels).length > 0) {
    out.labels = { ...service.labels, ...o.labels };
  }
  return out;
}
