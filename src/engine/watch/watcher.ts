/**
 * `watch`: the `develop.watch` rules of a project put to work, as docker compose's
 * `pkg/compose/watch.go` does. The rule paths are watched (chokidar, loaded here only); changes are
 * batched (batch.ts), matched against the rules (rules.ts) and acted on per service: `sync`
 * copies the files into the running containers (sync.ts), `sync+restart` then restarts them,
 * `restart` restarts them, `sync+exec` runs the rule's command in them, `rebuild` builds the image
 * and recreates that service's containers alone.
 *
 * What it says goes to `WatchOutput` with Compose's wording ("Watch enabled", `Syncing service
 * "web" after 1 changes were detected`, …); the progress of a restart or recreate goes to the
 * EventSink the caller gives.
 */
import { readFile, readdir, lstat } from "node:fs/promises";
import path from "node:path";
import type { LoadedProject } from "../../project/load.js";
import type { Runtime } from "../../runtime/runtime.js";
import { build } from "../build.js";
import { imageReference, servicesInScope } from "../desired.js";
import type { EngineEvent, EventSink } from "../events.js";
import { restart, up } from "../index.js";
import { Batcher } from "./batch.js";
import {
  dockerignoreCandidates,
  dockerignorePatterns,
  NO_PATHS,
  type PathMatcher,
  patternMatcher,
} from "./ignore.js";
import {
  type PathMapping,
  planBatch,
  quotedList,
  skipsDirectory,
  type WatchRule,
  watchRules,
} from "./rules.js";
import { serviceContainers, syncService } from "./sync.js";
import { errnoCode } from "../../errno.js";

/** Where the watch's own lines go: Compose's watch logger (`info`, `error`) and its warnings. */
export interface WatchOutput {
  info(line: string): void;
  error(line: string): void;
  warn(line: string): void;
  /** Output of a `sync+exec` command. */
  execOutput?(chunk: Uint8Array, stream: "stdout" | "stderr"): void;
}

export interface WatchOptions {
  /** Services named on the command line (with their dependencies); all when empty or absent. */
  readonly services?: readonly string[];
  /** `up --no-build`: a rebuild rule is then an error, as Compose says. */
  readonly noBuild?: boolean;
  /** Remove the image a rebuild replaced once it is dangling (`--prune`, Compose's default). */
  readonly prune?: boolean;
  /** Hide the build's output (`--quiet`). */
  readonly quiet?: boolean;
  /** Stop timeout for restarts and recreates. */
  readonly timeoutS?: number;
  /** Progress of the restarts and recreates. */
  readonly sink: EventSink;
}

export interface WatchSession {
  /** Settles once the batches seen so far have been handled (a rebuild's recreate included). */
  idle(): Promise<void>;
  /** Stops watching, waits for the batch in hand, then says "Watch disabled". */
  stop(): Promise<void>;
}

/**
 * Checks the rules, runs the initial syncs, starts watching and says "Watch enabled"; resolves
 * once changes are being watched. Rejects, before watching anything, on a rule Compose refuses
 * and when no selected service has one.
 */
export async function startWatch(
  runtime: Runtime,
  loaded: LoadedProject,
  options: WatchOptions,
  output: WatchOutput,
): Promise<WatchSession> {
  const { project, graph } = loaded;
  const scope = servicesInScope(project, graph, options.services, false);
  const ignores = new Map<string, PathMatcher>();
  for (const name of scope) ignores.set(name, await dockerignoreOf(loaded, name));
  const { rules, boundPaths } = watchRules(project, scope, (name) => ignores.get(name) ?? NO_PATHS, {
    ...(options.noBuild === true ? { noBuild: true } : {}),
  });
  for (const bound of boundPaths) {
    output.warn(`path '${bound.path}' also declared by a bind mount volume, this path won't be monitored!`);
  }
  for (const rule of rules) {
    if (rule.initialSync && (rule.action === "sync" || rule.action === "sync+restart")) {
      await syncService(runtime, project.name, rule.service, await initialFiles(rule));
    }
  }

  const aborter = new AbortController();
  const handler = new BatchHandler(runtime, loaded, rules, options, output, aborter.signal);
  const batcher = new Batcher(
    (paths) => handler.handle(paths),
    (error) => {
      if (!aborter.signal.aborted) output.warn(`Error handling changed files: ${message(error)}`);
    },
  );
  const { watch } = await import("chokidar");
  const watcher = watch([...new Set(rules.map((rule) => rule.path))], {
    ignoreInitial: true,
    followSymlinks: false,
    ignored: (p, stats) => stats?.isDirectory() === true && skipsDirectory(rules, p),
  });
  watcher.on("all", (_event, changed) => batcher.add(path.resolve(changed)));
  watcher.on("error", (error) => output.error(`Watch disabled with errors: ${message(error)}`));
  await new Promise<void>((resolve) => watcher.once("ready", () => resolve()));
  output.info("Watch enabled");

  let stopped: Promise<void> | undefined;
  return {
    idle: () => batcher.idle(),
    stop: () => {
      stopped ??= (async () => {
        aborter.abort();
        await watcher.close();
        await batcher.close();
        output.info("Watch disabled");
      })();
      return stopped;
    },
  };
}

/** Refuses what `startWatch` would refuse, before anything is brought up (ignores are not read). */
export function checkWatch(loaded: LoadedProject, services: readonly string[] | undefined): void {
  const scope = servicesInScope(loaded.project, loaded.graph, services, false);
  watchRules(loaded.project, scope, () => NO_PATHS);
}

/** The `.dockerignore` matcher of a service's build context (none without a local build). */
async function dockerignoreOf(loaded: LoadedProject, name: string): Promise<PathMatcher> {
  const build = loaded.project.services[name]?.build;
  const context = build?.context;
  if (context === undefined || !path.isAbsolute(context)) return NO_PATHS;
  for (const candidate of dockerignoreCandidates(context, build?.dockerfile)) {
    try {
      return patternMatcher(context, dockerignorePatterns(await readFile(candidate, "utf8")));
    } catch (error) {
      if (errnoCode(error) !== "ENOENT") throw error;
    }
  }
  return NO_PATHS;
}

/**
 * The files an initial sync copies: those of the rule's path, its ignores left out (an ignored
 * directory is not entered unless an exception may bring something back), as Compose's
 * `initialSyncFiles` walks it.
 */
export async function initialFiles(rule: WatchRule): Promise<PathMapping[]> {
  const info = await lstat(rule.path).catch(() => undefined);
  if (!info) return [];
  if (!info.isDirectory()) {
    return rule.ignore.matches(rule.path) ? [] : [{ hostPath: rule.path, containerPath: rule.target }];
  }
  const files: PathMapping[] = [];
  const walk = async (dir: string, rel: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const abs = path.join(dir, entry.name);
      const relPath = rel === "" ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!rule.ignore.matchesEntireDir(abs)) await walk(abs, relPath);
      } else if (!rule.ignore.matches(abs)) {
        files.push({ hostPath: abs, containerPath: path.posix.join(rule.target, relPath) });
      }
    }
  };
  await walk(rule.path, "");
  return files;
}

/** One batch of changes carried out, in Compose's order: rebuilds, syncs, restarts, then exec hooks. */
class BatchHandler {
  constructor(
    private readonly runtime: Runtime,
    private readonly loaded: LoadedProject,
    private readonly rules: readonly WatchRule[],
    private readonly options: WatchOptions,
    private readonly output: WatchOutput,
    private readonly signal: AbortSignal,
  ) {}

  async handle(paths: readonly string[]): Promise<void> {
    if (this.signal.aborted) return;
    if (paths.length > 1000) {
      this.output.info(
        "Large batch of file changes detected. If you just switched branches, this is expected.",
      );
    }
    const plan = planBatch(paths, this.rules);
    if (plan.rebuild.length > 0) await this.rebuild(plan.rebuild);
    const project = this.loaded.project.name;
    for (const [service, mappings] of plan.sync) {
      this.output.info(`Syncing service "${service}" after ${mappings.length} changes were detected`);
      await syncService(this.runtime, project, service, mappings);
    }
    if (plan.restart.length > 0) {
      await restart(
        this.runtime,
        this.loaded,
        plan.restart,
        this.options.timeoutS,
        this.options.sink,
        this.signal,
      );
      this.output.info(`service(s) ${quotedList(plan.restart)} restarted`);
    }
    const hooks: Promise<void>[] = [];
    for (const [service, indexes] of plan.exec) {
      const containers = await serviceContainers(this.runtime, project, service);
      for (const index of indexes) {
        const hook = this.rules[index]?.exec;
        if (!hook) continue;
        for (const container of containers) hooks.push(this.runHook(container.id, hook));
      }
    }
    await Promise.all(hooks);
  }

  /** Builds the services' images, then recreates their containers alone (Compose's `rebuild`). */
  private async rebuild(services: readonly string[]): Promise<void> {
    const names = quotedList(services);
    this.output.info(`Rebuilding service(s) ${names} after changes were detected...`);
    const { runtime, loaded, options, output, signal } = this;
    const before = new Map<string, string | undefined>();
    for (const name of services) {
      before.set(name, (await runtime.images.inspect(imageReference(loaded.project, name)))?.id);
    }
    const buildSink: EventSink = {
      on: (event: EngineEvent) => {
        if (options.quiet !== true && event.resource === "image" && event.text !== undefined) {
          output.info(event.text);
        }
      },
    };
    try {
      await build(runtime, loaded, { services }, buildSink, signal);
    } catch (error) {
      output.info(`Build failed. Error: ${message(error)}`);
      throw error;
    }
    output.info(`service(s) ${names} successfully built`);
    try {
      await up(
        runtime,
        loaded,
        {
          services,
          noDeps: true,
          forceRecreate: true,
          noBuild: true,
          ...(options.timeoutS !== undefined ? { timeoutS: options.timeoutS } : {}),
        },
        options.sink,
        signal,
      );
    } catch (error) {
      output.info(`Failed to recreate services after update. Error: ${message(error)}`);
      throw error;
    }
    if (options.prune === true) await this.prune(before);
  }

  /** The images the rebuild replaced, removed once nothing names them (dangling), as `--prune` asks. */
  private async prune(before: ReadonlyMap<string, string | undefined>): Promise<void> {
    for (const [name, oldId] of before) {
      if (oldId === undefined) continue;
      const now = await this.runtime.images.inspect(imageReference(this.loaded.project, name));
      if (now?.id === oldId) continue;
      const old = await this.runtime.images.inspect(oldId);
      if (!old || old.repoTags.length > 0) continue;
      // Still used (another container), or gone already: either way nothing to do.
      await this.runtime.images.remove(oldId).catch(() => undefined);
    }
  }

  private async runHook(id: string, hook: NonNullable<WatchRule["exec"]>): Promise<void> {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(hook.environment ?? {})) if (value !== null) env[key] = value;
    const session = await this.runtime.containers.exec(id, {
      command: hook.command ?? [],
      env,
      user: hook.user,
      workingDir: hook.working_dir,
      privileged: hook.privileged,
      tty: false,
      stdin: false,
      signal: this.signal,
    });
    for await (const chunk of session.output) this.output.execOutput?.(chunk.data, chunk.stream);
    const code = await session.exitCode();
    if (code !== 0) throw new Error(`exec ${(hook.command ?? []).join(" ")}: exit code ${code}`);
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
