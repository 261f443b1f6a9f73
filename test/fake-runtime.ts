/**
 * An in-memory Runtime for unit tests of everything above the runtime: containers with their states,
 * names, labels, mounts and endpoints; networks, volumes and images; an event stream fed by every
 * change; waits that resolve on exit or removal; logs, stats and files (tar in and out). It answers
 * as the Docker backend does (the same errors, no-ops and defaults), and the bookkeeping cases of the
 * runtime conformance suite hold it to that (test/integration/runtime-conformance.test.ts).
 *
 * No process runs. A started container's PID 1 sleeps until told otherwise through `process(id)`
 * (print a line, exit, report health, use resources, trap a signal), and, like `sleep` as PID 1,
 * ignores every signal but SIGKILL unless it traps it. Exec runs what `onExec` answers.
 *
 * For tests: `calls` records every call (`containers.create` …) with its arguments, `before(op, hook)`
 * runs a hook first (to fail a call or change the world under it, as a concurrent run would),
 * `seedImage` and `seedNetwork` add objects without the checks a create makes (what another client
 * left behind), and `withoutEvents` keeps changes from live event streams (a stream that missed them).
 *
 * The stores of images, networks and volumes are in ./fake-runtime/; containers, which tie them
 * together (mounts, endpoints, the image they run), are here.
 */
import { createHash } from "node:crypto";
import { Readable, Writable } from "node:stream";
import { InvalidRequestError } from "../src/runtime/errors.js";
import { statusText } from "../src/runtime/status-text.js";
import type {
  AttachOptions,
  ContainerSpec,
  Containers,
  ContainerState,
  ContainerStatus,
  ContainerSummary,
  EndpointSpec,
  EventFilter,
  ExecSession,
  ExecSpec,
  HealthStatus,
  ImageInfo,
  Labels,
  Images,
  LogLine,
  LogOptions,
  Networks,
  NetworkSpec,
  OutputChunk,
  PortBinding,
  Runtime,
  RuntimeEvent,
  RuntimeInfo,
  Stats,
  StreamSession,
  Volumes,
  WaitOptions,
  WaitResult,
} from "../src/runtime/runtime.js";

import { matchesLabels, signalName } from "./fake-runtime/engine-words.js";
import { type Entry, readAll, readTar, splitPath, type Tree, writeTar } from "./fake-runtime/files.js";
import { conflict, notFound } from "./fake-runtime/context.js";
import { ImageStore } from "./fake-runtime/image-store.js";
import { type NetworkRecord, NetworkStore } from "./fake-runtime/network-store.js";
import { VolumeStore } from "./fake-runtime/volume-store.js";
import { aborted, until } from "./fake-runtime/waits.js";

/** A stdin no process reads (the fake runs none). */
const discard = (): Writable => new Writable({ write: (_chunk, _encoding, done) => done() });

export interface FakeRuntimeOptions {
  /** The clock of every time the fake records (created, started, log lines, events). */
  readonly now?: (() => Date) | undefined;
  /** How a stop waits its timeout before SIGKILL; tests that do not want to wait pass one that returns at once. */
  readonly sleep?: ((ms: number) => Promise<void>) | undefined;
}

export interface FakeCall {
  readonly op: string;
  readonly args: readonly unknown[];
}

/** What an exec prints and how it exits (the fake runs nothing itself). */
export interface ExecResult {
  readonly stdout?: string | undefined;
  readonly stderr?: string | undefined;
  readonly exitCode: number;
}

/** The side of a container's main process: what it prints and when it ends. */
export interface FakeProcess {
  print(line: string, options?: Partial<Omit<LogLine, "line">>): void;
  /** The process ends on its own (the restart policy applies, as it does to a real exit). */
  exit(code: number): void;
  /** The healthcheck's verdict changes (the container must have a healthcheck). */
  health(status: HealthStatus, output?: string): void;
  /** Resource use as stats report it from now on. */
  usage(sample: Partial<Omit<Stats, "time">>): void;
  /** The process exits with `code` on `signal` instead of ignoring it. */
  trap(signal: string, code: number): void;
}

interface MountRecord {
  readonly type: "bind" | "volume" | "tmpfs";
  readonly source: string;
  readonly target: string;
  readonly name?: string | undefined;
  readonly readOnly: boolean;
  readonly files: Tree;
}

interface Endpoint {
  readonly aliases: readonly string[];
  readonly ip: string;
}

interface ContainerRecord {
  readonly id: string;
  name: string;
  readonly spec: ContainerSpec;
  readonly imageId: string;
  readonly created: Date;
  status: ContainerStatus;
  pid: number | undefined;
  exitCode: number | undefined;
  startedAt: Date | undefined;
  finishedAt: Date | undefined;
  health: HealthStatus | undefined;
  healthProbe: ContainerState["healthProbe"];
  restartCount: number;
  readonly endpoints: Map<string, Endpoint>;
  readonly mounts: readonly MountRecord[];
  readonly layer: Tree;
  readonly log: LogLine[];
  readonly traps: Map<string, number>;
  usage: Partial<Omit<Stats, "time">>;
  /** Set while a stop or kill by a client is ending the process (no restart policy then). */
  stopping: boolean;
  /** The newest log stamp, in nanoseconds: one container's lines are stamped in order. */
  lastNanos: bigint;
  /** How many times the process has ended (a wait for the next exit waits for this to grow). */
  exits: number;
}

const NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export class FakeRuntime implements Runtime {
  readonly kind = "fake";
  readonly calls: FakeCall[] = [];
  /** What an exec runs: by default nothing can, as no process runs (exit 126, as for a command that cannot execute). */
  onExec: (container: ContainerState, spec: ExecSpec) => ExecResult = () => ({
    stderr: "the fake runtime runs no commands\n",
    exitCode: 126,
  });

  private readonly now: () => Date;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly imageStore: ImageStore;
  private readonly networkStore: NetworkStore;
  private readonly volumeStore: VolumeStore;
  private readonly containerRecords = new Map<string, ContainerRecord>();
  private readonly binds = new Map<string, Tree>();
  private readonly eventLog: RuntimeEvent[] = [];
  private readonly listeners = new Set<(event: RuntimeEvent) => void>();
  /** Woken on every change of a container (state, log, usage): waits, follows and stats re-check. */
  private readonly watchers = new Set<() => void>();
  private readonly hooks = new Map<string, ((args: readonly unknown[]) => Promise<void> | void)[]>();
  private readonly streams = { events: 0, logs: 0, stats: 0 };
  private counter = 0;
  private muted = 0;
  private pids = 100;

  readonly images: Images;
  readonly networks: Networks;
  readonly volumes: Volumes;
  readonly containers: Containers;

  constructor(options: FakeRuntimeOptions = {}) {
    this.now = options.now ?? (() => new Date());
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    const records = (): ContainerRecord[] => [...this.containerRecords.values()];
    const cx = {
      now: () => this.now(),
      emit: (event: RuntimeEvent) => this.emit(event),
      call: <T>(op: string, args: readonly unknown[], work: () => T | Promise<T>) =>
        this.call(op, args, work),
    };
    this.networkStore = new NetworkStore({
      ...cx,
      newId: (seed) => this.newId(seed),
      endpointsOn: (networkId) =>
        records().flatMap((c) => {
          const endpoint = c.endpoints.get(networkId);
          return endpoint ? [{ id: c.id, name: c.name, ip: endpoint.ip }] : [];
        }),
    });
    this.volumeStore = new VolumeStore({
      ...cx,
      usersOf: (name) =>
        records()
          .filter((c) => c.mounts.some((m) => m.name === name))
          .map((c) => c.id),
    });
    this.imageStore = new ImageStore({
      ...cx,
      usersOf: (imageId) =>
        [...this.containerRecords.values()].filter((c) => c.imageId === imageId).map((c) => c.id),
    });
    this.images = this.imageStore.api();
    this.networks = {
      ...this.networkStore.api(),
      connect: (network, container, endpoint) => this.connect(network, container, endpoint),
      disconnect: (network, container, options) => this.disconnect(network, container, options),
    };
    this.volumes = this.volumeStore.api();
    this.containers = this.containerApi();
  }

  // --- for tests ------------------------------------------------------------------------------

  /** Runs `hook` before each call of `op` (e.g. `containers.create`); a hook that throws fails the call. */
  before(op: string, hook: (args: readonly unknown[]) => Promise<void> | void): void {
    this.hooks.set(op, [...(this.hooks.get(op) ?? []), hook]);
  }

  /** The calls of `op` so far, with their arguments. */
  callsOf(op: string): (readonly unknown[])[] {
    return this.calls.filter((c) => c.op === op).map((c) => c.args);
  }

  /** Streams open now (each ends when its reader stops or its signal aborts). */
  get openStreams(): { readonly events: number; readonly logs: number; readonly stats: number } {
    return { ...this.streams };
  }

  /** Runs `work` with live event streams hearing nothing of it (the log keeps it for `since`). */
  async withoutEvents<T>(work: () => Promise<T>): Promise<T> {
    this.muted++;
    try {
      return await work();
    } finally {
      this.muted--;
    }
  }

  /** Adds a network as another client left it: no name check, and its own ID and creation time. */
  seedNetwork(spec: NetworkSpec, options: { readonly created?: Date } = {}): string {
    return this.networkStore.seed(spec, options.created ?? this.now());
  }

  /** Adds an image as a pull would have left it: an empty filesystem, `sh` to run unless `config` says otherwise. */
  seedImage(reference: string, config: Partial<ImageInfo["config"]> = {}, labels: Labels = {}): string {
    return this.imageStore.seed(reference, config, labels);
  }

  process(id: string): FakeProcess {
    const record = (): ContainerRecord => this.container(id);
    return {
      print: (line, options = {}) => {
        const c = record();
        const time = options.time ?? this.now();
        c.log.push({
          stream: options.stream ?? "stdout",
          line,
          time,
          timestamp: options.timestamp ?? this.stamp(c, time),
        });
        this.changed();
      },
      exit: (code) => {
        const c = record();
        if (!this.isRunning(c)) throw new Error(`container ${c.name} is not running`);
        this.ended(c, code, false);
      },
      health: (status, output = "") => {
        const c = record();
        if (!this.hasHealthcheck(c.spec)) throw new Error(`container ${c.name} has no healthcheck`);
        c.healthProbe = {
          exitCode: status === "healthy" ? 0 : 1,
          output,
          start: this.now(),
          end: this.now(),
        };
        if (c.health === status) return;
        c.health = status;
        this.emit({ type: "container", action: "health", health: status, ...this.actor(c) });
      },
      usage: (sample) => {
        const c = record();
        c.usage = { ...c.usage, ...sample };
        this.changed();
      },
      trap: (signal, code) => void record().traps.set(signalName(signal), code),
    };
  }

  // --- the Runtime ----------------------------------------------------------------------------

  ping(): Promise<RuntimeInfo> {
    return this.call("ping", [], () => ({
      kind: this.kind,
      name: "berth fake",
      version: "0",
      apiVersion: undefined,
      os: "linux",
      arch: process.arch === "x64" ? "amd64" : process.arch,
    }));
  }

  events(filter: EventFilter = {}, signal?: AbortSignal): AsyncIterable<RuntimeEvent> {
    this.record("events", [filter]);
    return this.eventStream(filter, signal);
  }

  private async *eventStream(
    filter: EventFilter,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<RuntimeEvent> {
    const matches = (e: RuntimeEvent): boolean =>
      (filter.types === undefined || (filter.types as readonly string[]).includes(e.type)) &&
      matchesLabels(e.attributes, filter.labels) &&
      (filter.since === undefined || e.time >= filter.since) &&
      (filter.until === undefined || e.time <= filter.until);
    const queue = this.eventLog.filter((e) => filter.since !== undefined && matches(e));
    let wake: () => void = () => undefined;
    const listener = (e: RuntimeEvent): void => {
      if (!matches(e)) return;
      queue.push(e);
      wake();
    };
    this.listeners.add(listener);
    this.streams.events++;
    try {
      while (!signal?.aborted) {
        const next = queue.shift();
        if (next) {
          yield next;
          continue;
        }
        if (filter.until !== undefined && this.now() >= filter.until) return;
        await Promise.race([new Promise<void>((resolve) => (wake = resolve)), aborted(signal)]);
      }
    } finally {
      this.listeners.delete(listener);
      this.streams.events--;
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  // --- networks: the container's side ------------------------------------------------------

  private connect(networkName: string, containerId: string, endpoint: EndpointSpec = {}): Promise<void> {
    return this.call("networks.connect", [networkName, containerId, endpoint], () => {
      this.join(this.container(containerId), this.networkStore.require(networkName), endpoint);
    });
  }

  private disconnect(networkName: string, containerId: string, options: { readonly force?: boolean } = {}) {
    return this.call("networks.disconnect", [networkName, containerId, options], () => {
      const network = this.networkStore.require(networkName);
      const c = this.container(containerId);
      if (!c.endpoints.delete(network.id)) {
        throw conflict(`container ${c.id} is not connected to network ${network.spec.name}`);
      }
      this.emit({ type: "network", action: "disconnect", ...this.networkStore.actor(network, c.id) });
    });
  }

  private join(c: ContainerRecord, network: NetworkRecord, endpoint: EndpointSpec): void {
    if (c.endpoints.has(network.id)) {
      throw conflict(`endpoint with name ${c.name} already exists in network ${network.spec.name}`);
    }
    const ip = endpoint.ipv4Address ?? this.networkStore.address(network);
    c.endpoints.set(network.id, { aliases: [...(endpoint.aliases ?? [])], ip });
    this.emit({ type: "network", action: "connect", ...this.networkStore.actor(network, c.id) });
  }

  // --- containers -----------------------------------------------------------------------------

  private containerApi(): Containers {
    return {
      create: (spec) => this.call("containers.create", [spec], () => this.create(spec)),
      start: (id) => this.call("containers.start", [id], () => this.start(this.container(id))),
      stop: (id, options = {}) =>
        this.call("containers.stop", [id, options], () => this.stop(this.container(id), options)),
      kill: (id, signal = "SIGKILL") =>
        this.call("containers.kill", [id, signal], () => this.signal(this.container(id), signal)),
      restart: (id, options = {}) =>
        this.call("containers.restart", [id, options], async () => {
          const c = this.container(id);
          await this.stop(c, options);
          this.start(c);
          this.emit({ type: "container", action: "restart", ...this.actor(c) });
        }),
      pause: (id) =>
        this.call("containers.pause", [id], () => {
          const c = this.container(id);
          if (c.status === "paused") return;
          if (c.status !== "running") throw conflict(`Container ${c.id} is not running`);
          this.setStatus(c, "paused", "pause");
        }),
      unpause: (id) =>
        this.call("containers.unpause", [id], () => {
          const c = this.container(id);
          if (c.status === "paused") this.setStatus(c, "running", "unpause");
        }),
      remove: (id, options = {}) =>
        this.call("containers.remove", [id, options], () => this.remove(this.container(id), options)),
      rename: (id, name) =>
        this.call("containers.rename", [id, name], () => {
          const c = this.container(id);
          this.checkName(name, c.id);
          const oldName = c.name;
          c.name = name.replace(/^\//, "");
          this.emit({ type: "container", action: "rename", oldName, ...this.actor(c) });
        }),
      inspect: (id) =>
        this.call("containers.inspect", [id], () => {
          const c = this.findContainer(id);
          return c ? this.state(c) : undefined;
        }),
      list: (filter = {}) =>
        this.call("containers.list", [filter], () =>
          [...this.containerRecords.values()]
            .filter((c) => filter.all === true || this.isRunning(c))
            .filter((c) => matchesLabels(c.spec.labels, filter.labels))
            .filter((c) => filter.name === undefined || c.name === filter.name)
            .sort((a, b) => b.created.getTime() - a.created.getTime())
            .map((c) => this.summary(c)),
        ),
      wait: (id, options = {}) => this.call("containers.wait", [id, options], () => this.waitOn(id, options)),
      // Watching from the call on: the result is the same wait's.
      armWait: (id, options = {}) =>
        this.call("containers.armWait", [id, options], () => ({ result: this.waitOn(id, options) })),
      logs: (id, options = {}) => this.logs(id, options),
      attach: (id, options = {}) =>
        this.call("containers.attach", [id, options], () => this.attach(this.container(id), options)),
      exec: (id, spec) => this.call("containers.exec", [id, spec], () => this.exec(this.container(id), spec)),
      resize: (id, size) => this.call("containers.resize", [id, size], () => void this.container(id)),
      top: (id) =>
        this.call("containers.top", [id], () => {
          const c = this.container(id);
          if (!this.isRunning(c)) throw conflict(`Container ${c.id} is not running`);
          return { titles: ["PID", "CMD"], processes: [[String(c.pid), this.commandLine(c)]] };
        }),
      stats: (id, options = {}) => this.stats(id, options),
      copyTo: (id, path, archive) =>
        this.call("containers.copyTo", [id, path], () => this.copyTo(this.container(id), path, archive)),
      copyFrom: (id, path) =>
        this.call("containers.copyFrom", [id, path], () => this.copyFrom(this.container(id), path)),
    };
  }

  private checkName(name: string, self?: string): void {
    if (!NAME.test(name)) {
      throw new InvalidRequestError(
        `Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`,
        {
          status: 400,
        },
      );
    }
    const holder = [...this.containerRecords.values()].find((c) => c.name === name.replace(/^\//, ""));
    if (holder && holder.id !== self) {
      throw conflict(
        `Conflict. The container name "/${holder.name}" is already in use by container "${holder.id}". You have to remove (or rename) that container to be able to reuse that name.`,
      );
    }
  }

  private create(spec: ContainerSpec): { id: string; warnings: readonly string[] } {
    const name = spec.name === "" ? `fake_${this.counter + 1}` : spec.name;
    this.checkName(name);
    const image = this.imageStore.findImage(spec.image)?.record;
    if (!image) throw notFound(`No such image: ${spec.image}`);
    const networks = this.networksAtCreate(spec);
    const id = this.newId(`container ${name}`);
    const mounts: MountRecord[] = [];
    for (const mount of spec.mounts ?? []) {
      if (mount.type === "volume") {
        const volumeName = mount.source ?? this.newId("volume");
        const volume = this.volumeStore.create(
          { name: volumeName, labels: { ...mount.labels } },
          mount.source ? undefined : id,
        );
        const source = this.volumeStore.info(volume).mountpoint;
        mounts.push({
          type: "volume",
          source,
          target: mount.target,
          name: volumeName,
          readOnly: mount.readOnly ?? false,
          files: volume.files,
        });
      } else if (mount.type === "bind") {
        const files = this.binds.get(mount.source) ?? new Map<string, Entry>();
        this.binds.set(mount.source, files);
        mounts.push({
          type: "bind",
          source: mount.source,
          target: mount.target,
          readOnly: mount.readOnly ?? false,
          files,
        });
      } else {
        mounts.push({
          type: "tmpfs",
          source: "",
          target: mount.target,
          readOnly: mount.readOnly ?? false,
          files: new Map(),
        });
      }
    }
    for (const target of [...image.config.volumes, ...Object.keys(spec.tmpfs ?? {})]) {
      if (mounts.some((m) => m.target === target)) continue;
      if (spec.tmpfs?.[target] !== undefined) {
        mounts.push({ type: "tmpfs", source: "", target, readOnly: false, files: new Map() });
        continue;
      }
      const volume = this.volumeStore.create({ name: this.newId("volume"), labels: {} }, id);
      mounts.push({
        type: "volume",
        source: this.volumeStore.info(volume).mountpoint,
        target,
        name: volume.name,
        readOnly: false,
        files: volume.files,
      });
    }
    const record: ContainerRecord = {
      id,
      name: name.replace(/^\//, ""),
      spec,
      imageId: image.id,
      created: this.now(),
      status: "created",
      pid: undefined,
      exitCode: undefined,
      startedAt: undefined,
      finishedAt: undefined,
      health: undefined,
      healthProbe: undefined,
      restartCount: 0,
      endpoints: new Map(),
      mounts,
      layer: new Map(),
      log: [],
      traps: new Map(),
      usage: {},
      stopping: false,
      exits: 0,
      lastNanos: 0n,
    };
    this.containerRecords.set(id, record);
    this.emit({ type: "container", action: "create", ...this.actor(record) });
    for (const [network, endpoint] of networks) this.join(record, network, endpoint);
    return { id, warnings: [] };
  }

  /** Every network of `networks`, or the one `networkMode` names (`bridge` by default); none for host, none, container:. */
  private networksAtCreate(spec: ContainerSpec): [NetworkRecord, EndpointSpec][] {
    const wanted = Object.entries(spec.networks ?? {});
    const mode = spec.networkMode ?? "bridge";
    if (wanted.length === 0 && !["host", "none"].includes(mode) && !mode.startsWith("container:"))
      wanted.push([mode, {}]);
    return wanted.map(([name, endpoint]) => [this.networkStore.require(name), endpoint]);
  }

  private findContainer(id: string): ContainerRecord | undefined {
    const all = [...this.containerRecords.values()];
    const name = id.replace(/^\//, "");
    return (
      all.find((c) => c.id === id) ??
      all.find((c) => c.name === name) ??
      all.find((c) => id.length >= 1 && c.id.startsWith(id))
    );
  }

  private container(id: string): ContainerRecord {
    const c = this.findContainer(id);
    if (!c) throw notFound(`No such container: ${id}`);
    return c;
  }

  private isRunning(c: ContainerRecord): boolean {
    return c.status === "running" || c.status === "paused" || c.status === "restarting";
  }

  private hasHealthcheck(spec: ContainerSpec): boolean {
    const test = spec.healthcheck?.test;
    return test !== undefined && test.length > 0 && test[0] !== "NONE";
  }

  private start(c: ContainerRecord): void {
    if (c.status === "running") return;
    if (c.status === "paused") throw conflict("cannot start a paused container, try unpause instead");
    c.status = "running";
    c.pid = ++this.pids;
    c.startedAt = this.now();
    c.health = this.hasHealthcheck(c.spec) ? "starting" : undefined;
    c.stopping = false;
    this.emit({ type: "container", action: "start", ...this.actor(c) });
  }

  /** Sends `signal`: SIGKILL, or one the process traps, ends it; PID 1 ignores the others. */
  private signal(c: ContainerRecord, signal: string): void {
    if (!this.isRunning(c)) return;
    const name = signalName(signal);
    this.emit({ type: "container", action: "kill", signal: `SIG${name}`, ...this.actor(c) });
    const trapped = c.traps.get(name);
    if (name === "KILL") this.ended(c, 137, true);
    else if (trapped !== undefined) this.ended(c, trapped, true);
  }

  private async stop(
    c: ContainerRecord,
    options: { readonly timeoutS?: number; readonly signal?: string },
  ): Promise<void> {
    if (!this.isRunning(c)) return;
    const image = this.imageStore.get(c.imageId);
    const signal = options.signal ?? c.spec.stopSignal ?? image?.config.stopSignal ?? "SIGTERM";
    c.stopping = true;
    this.signal(c, signal);
    if (this.isRunning(c)) {
      const timeoutS = options.timeoutS ?? c.spec.stopTimeoutS ?? 10;
      await Promise.race([
        this.sleep(timeoutS * 1000),
        until(
          (wake) => this.watch(wake),
          () => (this.isRunning(c) ? undefined : true),
          undefined,
        ),
      ]);
      if (this.isRunning(c)) this.signal(c, "SIGKILL");
    }
    this.emit({ type: "container", action: "stop", ...this.actor(c) });
  }

  /** The process is gone: by a client's stop or kill (`byClient`), or on its own (the restart policy applies). */
  private ended(c: ContainerRecord, code: number, byClient: boolean): void {
    c.status = "exited";
    c.exitCode = code;
    c.pid = undefined;
    c.finishedAt = this.now();
    c.exits++;
    this.emit({ type: "container", action: "die", exitCode: code, ...this.actor(c) });
    const policy = c.spec.restart;
    if (byClient || c.stopping || !policy) return;
    const again =
      policy.name === "always" ||
      policy.name === "unless-stopped" ||
      (policy.name === "on-failure" &&
        code !== 0 &&
        (policy.maximumRetryCount === undefined ||
          policy.maximumRetryCount === 0 ||
          c.restartCount < policy.maximumRetryCount));
    if (!again) return;
    c.restartCount++;
    this.start(c);
  }

  private setStatus(c: ContainerRecord, status: ContainerStatus, action: "pause" | "unpause"): void {
    c.status = status;
    this.emit({ type: "container", action, ...this.actor(c) });
  }

  private async remove(
    c: ContainerRecord,
    options: { readonly force?: boolean; readonly volumes?: boolean },
  ): Promise<void> {
    if (this.isRunning(c)) {
      if (options.force !== true) {
        throw conflict(
          `You cannot remove a running container ${c.id}. Stop the container before attempting removal or force remove`,
        );
      }
      this.signal(c, "SIGKILL");
    }
    for (const networkId of [...c.endpoints.keys()]) {
      const network = this.networkStore.get(networkId);
      c.endpoints.delete(networkId);
      if (network)
        this.emit({ type: "network", action: "disconnect", ...this.networkStore.actor(network, c.id) });
    }
    this.containerRecords.delete(c.id);
    this.emit({ type: "container", action: "destroy", ...this.actor(c) });
    if (options.volumes === true)
      this.volumeStore.removeAnonymous(
        c.id,
        c.mounts.map((m) => m.name),
      );
  }

  private commandLine(c: ContainerRecord): string {
    const image = this.imageStore.get(c.imageId);
    const entrypoint = c.spec.entrypoint ?? image?.config.entrypoint ?? [];
    const command = c.spec.command ?? (c.spec.entrypoint ? [] : (image?.config.cmd ?? []));
    return [...entrypoint, ...command].join(" ");
  }

  private ports(c: ContainerRecord): PortBinding[] {
    if (!this.isRunning(c)) return [];
    return (c.spec.ports ?? []).map((p, i) => ({
      ...p,
      hostIp: p.hostIp === undefined || p.hostIp === "" ? "0.0.0.0" : p.hostIp,
      hostPort: p.hostPort ? (p.hostPort.split("-")[0] ?? p.hostPort) : String(32768 + i),
    }));
  }

  /** What inspect and list both say about a container. */
  private common(c: ContainerRecord) {
    const { id, name, imageId, created, status } = c;
    return {
      id,
      name,
      image: c.spec.image,
      imageId,
      labels: { ...c.spec.labels },
      created,
      status,
      ports: this.ports(c),
    };
  }

  private summary(c: ContainerRecord): ContainerSummary {
    return {
      ...this.common(c),
      statusText: statusText(
        {
          status: c.status,
          health: c.health,
          exitCode: c.exitCode,
          startedAt: c.startedAt,
          finishedAt: c.finishedAt,
        },
        this.now(),
      ),
      health: c.status === "running" ? c.health : undefined,
      exitCode: c.status === "exited" || c.status === "dead" ? c.exitCode : undefined,
      command: this.commandLine(c),
    };
  }

  private state(c: ContainerRecord): ContainerState {
    return {
      ...this.common(c),
      running: this.isRunning(c),
      // As the Docker backend reports it: only a container that ran and stopped has an exit code.
      exitCode:
        c.status === "exited" || c.status === "dead" || c.status === "restarting" ? c.exitCode : undefined,
      pid: c.pid,
      startedAt: c.startedAt,
      finishedAt: c.finishedAt,
      health: c.health,
      healthProbe: c.healthProbe,
      restartCount: c.restartCount,
      oomKilled: false,
      error: undefined,
      tty: c.spec.tty ?? false,
      stdinOpen: c.spec.stdinOpen ?? false,
      networks: Object.fromEntries(
        [...c.endpoints].map(([networkId, e]) => [
          this.networkStore.get(networkId)?.spec.name ?? networkId,
          { networkId, ipAddress: e.ip, aliases: [...e.aliases] },
        ]),
      ),
      mounts: c.mounts.map((m) => ({
        type: m.type,
        source: m.source,
        target: m.target,
        name: m.name,
        readOnly: m.readOnly,
      })),
    };
  }

  private actor(c: ContainerRecord): Pick<RuntimeEvent, "id" | "attributes" | "time"> {
    return {
      id: c.id,
      attributes: { ...c.spec.labels, name: c.name, image: c.spec.image },
      time: this.now(),
    };
  }

  // --- logs, attach, exec, stats ----------------------------------------------------------------

  private logs(id: string, options: LogOptions): AsyncIterable<LogLine> {
    this.record("containers.logs", [id, options]);
    return this.logStream(id, options);
  }

  private async *logStream(id: string, options: LogOptions): AsyncGenerator<LogLine> {
    const c = this.container(id);
    const both = options.stdout === undefined && options.stderr === undefined;
    const wanted = (l: LogLine): boolean =>
      (l.stream === "stdout" ? both || options.stdout === true : both || options.stderr === true) &&
      (options.since === undefined || (l.time ?? new Date(0)) >= options.since) &&
      (options.until === undefined || (l.time ?? new Date(0)) <= options.until);
    const shown = (l: LogLine): LogLine =>
      options.timestamps === true ? { ...l } : { stream: l.stream, line: l.line };
    let at = options.tail === undefined ? 0 : Math.max(0, c.log.length - options.tail);
    this.streams.logs++;
    try {
      for (;;) {
        while (at < c.log.length) {
          const line = c.log[at++];
          if (line && wanted(line)) yield shown(line);
        }
        if (options.follow !== true || !this.isRunning(c) || !this.containerRecords.has(c.id)) return;
        if (options.signal?.aborted) return;
        const seen = c.log.length;
        await Promise.race([
          until(
            (wake) => this.watch(wake),
            () => (c.log.length > seen || !this.isRunning(c) ? true : undefined),
            undefined,
          ),
          aborted(options.signal),
        ]);
        if (options.signal?.aborted) return;
      }
    } finally {
      this.streams.logs--;
    }
  }

  /** Resolves when the condition holds (not running, by default), with the exit code then. */
  private waitOn(id: string, options: WaitOptions): Promise<WaitResult> {
    const c = this.container(id);
    const condition = options.condition ?? "not-running";
    const exits = c.exits;
    const exitOf = (): WaitResult => ({ exitCode: c.exitCode ?? 0 });
    return until(
      (wake) => this.watch(wake),
      () => {
        if (condition === "removed") return this.containerRecords.has(c.id) ? undefined : exitOf();
        if (condition === "next-exit") return c.exits > exits ? exitOf() : undefined;
        return this.isRunning(c) ? undefined : exitOf();
      },
      options.signal,
    );
  }

  /** What the container prints from now on, until it stops; stdin, when asked for, reaches no process. */
  private attach(c: ContainerRecord, options: AttachOptions): StreamSession {
    const { signal } = options;
    const controller = new AbortController();
    signal?.addEventListener("abort", () => controller.abort(), { once: true });
    const lines = this.logStream(c.id, { follow: true, since: this.now(), signal: controller.signal });
    const output = (async function* (): AsyncGenerator<OutputChunk> {
      for await (const line of lines) yield { stream: line.stream, data: Buffer.from(`${line.line}\n`) };
    })();
    return {
      output,
      stdin: options.stdin === true ? discard() : undefined,
      resize: () => Promise.resolve(),
      close: () => controller.abort(),
    };
  }

  private exec(c: ContainerRecord, spec: ExecSpec): ExecSession {
    if (c.status === "paused")
      throw conflict(`Container ${c.id} is paused, unpause the container before exec`);
    if (!this.isRunning(c)) throw conflict(`Container ${c.id} is not running`);
    const ran = this.onExec(this.state(c), spec);
    // Detached: the process ran, and nothing of it comes back (as the contract says).
    const result: ExecResult = spec.detach === true ? { exitCode: 0 } : ran;
    const chunks: OutputChunk[] = [];
    if (result.stdout) chunks.push({ stream: "stdout", data: Buffer.from(result.stdout) });
    if (result.stderr)
      chunks.push({ stream: spec.tty ? "stdout" : "stderr", data: Buffer.from(result.stderr) });
    return {
      output: Readable.from(chunks) as AsyncIterable<OutputChunk>,
      stdin: spec.stdin === true ? discard() : undefined,
      resize: () => Promise.resolve(),
      close: () => undefined,
      exitCode: () => Promise.resolve(result.exitCode),
    };
  }

  private stats(
    id: string,
    options: { readonly stream?: boolean; readonly signal?: AbortSignal },
  ): AsyncIterable<Stats> {
    this.record("containers.stats", [id, options]);
    return this.statStream(id, options);
  }

  private async *statStream(
    id: string,
    options: { readonly stream?: boolean; readonly signal?: AbortSignal },
  ): AsyncGenerator<Stats> {
    const c = this.container(id);
    const sample = (): Stats => {
      const running = this.isRunning(c);
      return {
        time: this.now(),
        cpuPercent: 0,
        memoryUsageBytes: running ? 1 << 20 : 0,
        memoryLimitBytes: c.spec.resources?.memoryBytes ?? 1 << 30,
        networkRxBytes: 0,
        networkTxBytes: 0,
        blockReadBytes: 0,
        blockWriteBytes: 0,
        pids: running ? 1 : 0,
        ...c.usage,
      };
    };
    this.streams.stats++;
    try {
      let last = c.usage;
      yield sample();
      while (options.stream !== false && !options.signal?.aborted && this.containerRecords.has(c.id)) {
        await Promise.race([
          until(
            (wake) => this.watch(wake),
            () => (c.usage !== last || !this.containerRecords.has(c.id) ? true : undefined),
            undefined,
          ),
          aborted(options.signal),
        ]);
        if (options.signal?.aborted || !this.containerRecords.has(c.id)) return;
        last = c.usage;
        yield sample();
      }
    } finally {
      this.streams.stats--;
    }
  }

  // --- files --------------------------------------------------------------------------------

  /** The tree holding `path` and the path inside it (a mount's, or the container's own layer over its image). */
  private locate(
    c: ContainerRecord,
    path: string,
  ): { readonly tree: Tree; readonly rest: string; readonly image?: Tree | undefined } {
    const wanted = splitPath(path);
    let best: MountRecord | undefined;
    for (const m of c.mounts) {
      const target = splitPath(m.target);
      if (
        (wanted === target || wanted.startsWith(`${target}/`)) &&
        (!best || target.length > splitPath(best.target).length)
      )
        best = m;
    }
    if (best) return { tree: best.files, rest: splitPath(wanted.slice(splitPath(best.target).length)) };
    return { tree: c.layer, rest: wanted, image: this.imageStore.get(c.imageId)?.files };
  }

  private entryAt(c: ContainerRecord, path: string): Entry | "directory" | undefined {
    const { tree, rest, image } = this.locate(c, path);
    if (rest === "") return "directory";
    const isDir = (t: Tree | undefined): boolean =>
      [...(t?.keys() ?? [])].some((k) => k.startsWith(`${rest}/`));
    const entry = tree.get(rest) ?? image?.get(rest);
    if (entry) return entry;
    if (isDir(tree) || isDir(image)) return "directory";
    return c.mounts.some(
      (m) => splitPath(m.target) === splitPath(path) || splitPath(m.target).startsWith(`${splitPath(path)}/`),
    )
      ? "directory"
      : undefined;
  }

  private async copyTo(c: ContainerRecord, path: string, archive: Readable): Promise<void> {
    if (
      this.entryAt(c, path) !== "directory" &&
      (this.entryAt(c, path) as Entry | undefined)?.type !== "directory"
    ) {
      throw notFound(`Could not find the file ${path} in container ${c.name}`);
    }
    const entries = await readTar(await readAll(archive));
    for (const [name, entry] of entries) {
      const full = `/${splitPath(`${path}/${name}`)}`;
      const { tree, rest } = this.locate(c, full);
      tree.set(rest, entry);
    }
  }

  private async copyFrom(c: ContainerRecord, path: string): Promise<Readable> {
    const found = this.entryAt(c, path);
    if (found === undefined) throw notFound(`Could not find the file ${path} in container ${c.name}`);
    const base = splitPath(path).split("/").at(-1) || ".";
    if (found !== "directory" && found.type !== "directory") return writeTar([[base, found]]);
    const { tree, rest, image } = this.locate(c, path);
    const under = (t: Tree | undefined): [string, Entry][] =>
      [...(t ?? new Map<string, Entry>())].filter(([k]) => rest === "" || k.startsWith(`${rest}/`));
    const merged = new Map<string, Entry>([...under(image), ...under(tree)]);
    const entries: [string, Entry][] = [[base, { type: "directory", data: Buffer.alloc(0), mode: 0o755 }]];
    for (const [key, entry] of [...merged].sort(([a], [b]) => (a < b ? -1 : 1))) {
      entries.push([`${base}/${rest === "" ? key : key.slice(rest.length + 1)}`, entry]);
    }
    return writeTar(entries);
  }

  // --- plumbing -------------------------------------------------------------------------------

  private newId(seed: string): string {
    return createHash("sha256").update(`${seed}\0${++this.counter}`).digest("hex");
  }

  /** RFC 3339 with nanoseconds, increasing within one container's log, as the engine stamps lines. */
  private stamp(c: ContainerRecord, time: Date): string {
    let nanos = BigInt(time.getTime()) * 1_000_000n;
    if (nanos <= c.lastNanos) nanos = c.lastNanos + 1n;
    c.lastNanos = nanos;
    const fraction = String(nanos % 1_000_000_000n).padStart(9, "0");
    return `${new Date(Number(nanos / 1_000_000n)).toISOString().slice(0, 19)}.${fraction}Z`;
  }

  private emit(event: RuntimeEvent): void {
    this.eventLog.push(event);
    if (this.muted === 0) for (const listener of [...this.listeners]) listener(event);
    this.changed();
  }

  private changed(): void {
    for (const wake of [...this.watchers]) wake();
  }

  private watch(wake: () => void): () => void {
    this.watchers.add(wake);
    return () => this.watchers.delete(wake);
  }

  private record(op: string, args: readonly unknown[]): void {
    this.calls.push({ op, args });
  }

  /** Records the call, runs its hooks, then the work; every answer is a promise, as over a socket. */
  private async call<T>(op: string, args: readonly unknown[], work: () => T | Promise<T>): Promise<T> {
    this.record(op, args);
    for (const hook of this.hooks.get(op) ?? []) await hook(args);
    return await work();
  }
}
