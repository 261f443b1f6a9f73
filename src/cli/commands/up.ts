/**
 * `berth up`: create and start the project's containers, as `docker compose up` does.
 *
 * Detached (`-d`, `--wait`, `--no-start`) it returns once the engine is done. Attached, it then prints
 * the output of the attached services' containers until they have all exited:
 * - Ctrl-C once: "Gracefully stopping..." and the services of this `up` are stopped (each with its stop
 *   timeout, or `-t`); twice: their containers are killed. The exit status is then 130.
 * - `--abort-on-container-exit`: the first container to exit stops the rest; the status is the exit
 *   code of `--exit-code-from`'s container (which implies the abort), else of the first one to exit.
 * - `--dry-run`: the plan is printed (stdout) and nothing is done.
 * - `--watch`: the `develop.watch` rules are acted on while attached (src/engine/watch/, loaded only
 *   then); its lines print among the containers' with a ` ⦿ ` prefix, as Compose prints them (in
 *   the dashboard, in its events strip).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { kill, ps, silentSink, stop, up, type UpOptions } from "../../engine/index.js";
import { containersFilter, isOneOff, SERVICE_LABEL } from "../../engine/labels.js";
import { UsageError } from "../../errors.js";
import type { LoadedProject } from "../../project/load.js";
import type { Runtime } from "../../runtime/runtime.js";
import type { LogPrinter } from "../../ui/plain/log-printer.js";
import { quietProgress } from "../../ui/progress.js";
import { wantsDashboard } from "../../ui/dashboard/when.js";
import { progressKind } from "../../ui/select.js";
import { UpSession } from "../../ui/up-session.js";
import { parseScale, parseTimeout } from "../flags.js";
import type { GlobalOptions } from "../global-options.js";
import type { UpFlags } from "../options/flags.js";
import { onInterrupt } from "../interrupts.js";
import { loadFromFlags, warnToStderr } from "../load-for-cli.js";
import { followLogs, type LogPosition, logTarget, type LogTarget, upLogStarts } from "../log-stream.js";
import { withRuntime } from "../runtime-for-cli.js";
import { upContext } from "../up-context.js";
import { logPrinterFor, progressFor, withProgress } from "../ui-for-cli.js";
import type { WatchSession } from "../../engine/watch/watcher.js";
import { plainOr } from "./watch.js";

/** How long the output of stopped containers may keep coming after a stop, before following ends. */
const DRAIN_MS = 1_000;

export async function runUp(globals: GlobalOptions, services: string[], flags: UpFlags): Promise<number> {
  const loaded = await loadFromFlags(globals, { services });
  const plan = planFlags(loaded, services, flags);
  if (plan.dryRun) {
    return withRuntime({ ...globals, project: loaded.project.name }, async (runtime) => {
      const result = await up(runtime, loaded, { ...plan.options, dryRun: true }, quietProgress());
      const text = result.plan.toString();
      process.stdout.write(text.endsWith("\n") || text === "" ? text : `${text}\n`);
      return 0;
    });
  }
  // Watch rules Compose refuses (or none at all) fail before anything is created.
  if (plan.watch) (await import("../../engine/watch/watcher.js")).checkWatch(loaded, plan.options.services);
  const dashboard = {
    stdinTTY: process.stdin.isTTY === true,
    stdoutTTY: process.stdout.isTTY === true,
    flag: flags.dashboard,
    detach: plan.detach,
    abortOnExit: plan.abortOnExit,
    progress: globals.progress,
  };
  if (wantsDashboard(dashboard)) {
    // On a terminal the dashboard takes over the whole session (src/cli/commands/dashboard.ts).
    const { runUpDashboard } = await import("./dashboard.js");
    const { options, stopServices, timeoutS } = plan;
    return runUpDashboard(globals, loaded, {
      options,
      context: upContext(globals),
      stopServices,
      timeoutS,
      flags,
      watch: plan.watch,
    });
  }

  return withRuntime({ ...globals, project: loaded.project.name }, async (runtime) => {
    const printer = logPrinterFor(globals, flags, Object.keys(loaded.project.services).sort());
    const session = new PlainUp(runtime, loaded, globals, printer, plan);
    const removeHandler = onInterrupt((_count, signal) => session.interrupt(signal));
    try {
      return await session.run();
    } finally {
      removeHandler();
    }
  });
}

interface UpPlan {
  readonly options: UpOptions;
  readonly dryRun: boolean;
  readonly detach: boolean;
  /** Services whose output is printed. */
  readonly attach: readonly string[];
  /** What Ctrl-C or an abort stops: the services named on the command line, else all. */
  readonly stopServices: readonly string[];
  readonly timeoutS: number | undefined;
  readonly abortOnExit: boolean;
  readonly exitCodeFrom: string | undefined;
  /** `--watch`: act on the `develop.watch` rules while attached. */
  readonly watch: boolean;
}

/** Checks the flags against each other and the project (Compose's messages) and shapes the options. */
function planFlags(loaded: LoadedProject, services: readonly string[], flags: UpFlags): UpPlan {
  const known = new Set(Object.keys(loaded.project.services));
  refuseConflicts(flags, known);
  const timeoutS = parseTimeout(flags.timeout);
  const wait = flags.wait === true;
  return {
    options: engineOptions(services, flags, known, timeoutS),
    dryRun: flags.dryRun === true,
    detach: flags.detach === true || wait || flags.start === false,
    attach: attachedServices(loaded, services, flags),
    stopServices: services,
    timeoutS,
    abortOnExit: flags.abortOnContainerExit === true || flags.exitCodeFrom !== undefined,
    exitCodeFrom: flags.exitCodeFrom,
    watch: flags.watch === true,
  };
}

/** Services the flags name must exist, and flags that contradict each other are refused. */
function refuseConflicts(flags: UpFlags, known: ReadonlySet<string>): void {
  const named = [...(flags.attach ?? []), ...(flags.noAttach ?? [])];
  if (flags.exitCodeFrom !== undefined) named.push(flags.exitCodeFrom);
  for (const name of named) if (!known.has(name)) throw new UsageError(`no such service: ${name}`);
  const abortOnExit = flags.abortOnContainerExit === true || flags.exitCodeFrom !== undefined;
  const attaching = abortOnExit || (flags.attach ?? []).length > 0 || flags.attachDependencies === true;
  if (flags.wait === true && attaching) {
    throw new UsageError(
      "--wait cannot be combined with --abort-on-container-exit, --attach or --attach-dependencies",
    );
  }
  if (flags.detach === true && attaching) {
    throw new UsageError(
      "--detach cannot be combined with --abort-on-container-exit, --exit-code-from, --attach or --attach-dependencies",
    );
  }
  if (flags.start === false && attaching) {
    throw new UsageError(
      "--no-start cannot be combined with --abort-on-container-exit, --attach or --attach-dependencies",
    );
  }
  if (flags.watch === true && (flags.detach === true || flags.wait === true || flags.start === false)) {
    const flag = flags.wait === true ? "--wait" : flags.detach === true ? "--detach" : "--no-start";
    throw new UsageError(`${flag} cannot be combined with --watch`);
  }
  if (flags.watch === true && flags.build === false) {
    throw new UsageError("--no-build and --watch are incompatible");
  }
  if (flags.forceRecreate === true && flags.recreate === false) {
    throw new UsageError("--force-recreate and --no-recreate are incompatible");
  }
}

/**
 * The services whose output is printed: `--attach`'s, else those brought up (with their
 * dependencies for `--attach-dependencies`) but for `attach: false` ones; never `--no-attach`'s.
 */
function attachedServices(loaded: LoadedProject, services: readonly string[], flags: UpFlags): string[] {
  const noAttach = new Set(flags.noAttach);
  let attach = flags.attach ?? [];
  if (attach.length === 0) {
    const selected = services.length > 0 ? services : Object.keys(loaded.project.services);
    const base = flags.attachDependencies === true ? [...loaded.graph.withDependencies(selected)] : selected;
    attach = base.filter((name) => loaded.project.services[name]?.attach !== false);
  }
  return [...new Set(attach)].filter((name) => !noAttach.has(name)).sort();
}

/** The engine's `up` options the flags ask for. */
function engineOptions(
  services: readonly string[],
  flags: UpFlags,
  known: ReadonlySet<string>,
  timeoutS: number | undefined,
): UpOptions {
  const waitTimeoutS = parseTimeout(flags.waitTimeout, "--wait-timeout");
  const scale = parseScale(flags.scale ?? [], known);
  return {
    ...(services.length > 0 ? { services } : {}),
    ...(flags.deps === false ? { noDeps: true } : {}),
    ...(flags.forceRecreate === true ? { forceRecreate: true } : {}),
    ...(flags.recreate === false ? { noRecreate: true } : {}),
    ...(flags.removeOrphans === true ? { removeOrphans: true } : {}),
    ...(Object.keys(scale).length > 0 ? { scale } : {}),
    ...(flags.start === false ? { noStart: true } : {}),
    ...(flags.wait === true ? { wait: true } : {}),
    ...(waitTimeoutS !== undefined ? { waitTimeoutS } : {}),
    ...(timeoutS !== undefined ? { timeoutS } : {}),
    ...(flags.pull !== undefined ? { pull: flags.pull } : {}),
    ...(flags.quietPull === true ? { quietPull: true } : {}),
    ...(flags.build === true ? { build: true } : {}),
    ...(flags.build === false ? { noBuild: true } : {}),
  };
}

/**
 * One `up` from start to end, printed plainly: creating (Ctrl-C aborts the engine's work, then what
 * it started is stopped), then attached (output until the attached containers have exited; Ctrl-C
 * or a container's exit with `--abort-on-container-exit` stops the services of this `up`; a second
 * Ctrl-C kills them). The `up`, stop, kill and Ctrl-C steps are the session's (src/ui/up-session.ts),
 * shared with the dashboard.
 */
class PlainUp {
  private readonly session: UpSession;
  private readonly following = new AbortController();
  private phase: "creating" | "attached" = "creating";
  private followed: Promise<void> = Promise.resolve();
  private stopping: Promise<void> | undefined;
  private announced = false;
  private exitCodeFrom: string | undefined;
  private exitCode = 0;
  private interrupted = false;
  private watching: WatchSession | undefined;

  constructor(
    private readonly runtime: Runtime,
    private readonly loaded: LoadedProject,
    private readonly globals: GlobalOptions,
    private readonly printer: LogPrinter,
    private readonly plan: UpPlan,
  ) {
    this.exitCodeFrom = plan.exitCodeFrom;
    const { stopServices, timeoutS } = plan;
    this.session = new UpSession({ runtime, loaded, stopServices, timeoutS, engine: { up, stop, kill } });
  }

  async run(): Promise<number> {
    const { runtime, loaded, plan } = this;
    // Taken before anything changes: what this `up` prints of each container begins there, so the
    // output of a container that exits before following begins is printed too.
    const starts = plan.detach
      ? undefined
      : await upLogStarts(runtime, containersFilter(loaded.project.name));
    await withProgress(this.globals, "Running", (progress) =>
      this.session.up(plan.options, progress, upContext(this.globals)),
    );
    // Interrupted while another berth held the project: nothing was started, nothing to stop.
    if (this.session.changedNothing) return this.session.interruptedExitCode;
    if (plan.detach) return this.interrupted ? this.session.interruptedExitCode : 0;
    this.phase = "attached";
    if (this.interrupted) {
      // Ctrl-C while containers were still being made: stop what this `up` started.
      this.stop();
      await this.stopping;
      return this.session.interruptedExitCode;
    }

    const containers =
      plan.attach.length === 0
        ? []
        : (await ps(runtime, loaded.project.name, { all: true, services: [...plan.attach] })).filter(
            (c) => !isOneOff(c.labels),
          );
    const targets = containers.map(logTarget).sort((a, b) => a.name.localeCompare(b.name));
    if (targets.length > 0) process.stderr.write(`Attaching to ${targets.map((t) => t.name).join(", ")}\n`);
    // A Ctrl-C that came while the containers were listed: act on it now.
    if (this.interrupted) this.stop();

    if (plan.watch && !this.interrupted) {
      // Registered first, so the watch's lines line up with the containers' from the start.
      for (const target of targets) this.printer.register(target);
      this.watching = await this.startWatch();
    }
    this.followed = this.follow(targets, starts);
    await this.followed;
    // A rebuild replaces containers: while watching, follow the new ones once the batch is done.
    for (let rounds = 0; this.watching && !this.interrupted && !this.stopping && rounds < 1000; rounds++) {
      await this.watching.idle();
      const again = await this.attachedRunning();
      if (again.length === 0 || this.interrupted || this.stopping) break;
      // Their current run only: what came before was printed, or belonged to a container replaced.
      this.followed = this.follow(again, undefined);
      await this.followed;
    }
    await this.watching?.stop();
    await this.stopping;
    return this.interrupted ? this.session.interruptedExitCode : this.exitCode;
  }

  private follow(
    targets: readonly LogTarget[],
    starts: ((id: string) => LogPosition) | undefined,
  ): Promise<void> {
    const attach = new Set(this.plan.attach);
    return followLogs(this.runtime, targets, this.printer, {
      signal: this.following.signal,
      ...(starts ? { startOf: starts } : { currentRun: true }),
      watch: {
        labels: containersFilter(this.loaded.project.name),
        accept: (labels) => !isOneOff(labels) && attach.has(labels[SERVICE_LABEL] ?? ""),
      },
      onExit: (target, code) => this.exited(target, code),
    });
  }

  /** The running containers of the attached services, to follow again after a rebuild. */
  private async attachedRunning(): Promise<LogTarget[]> {
    if (this.plan.attach.length === 0) return [];
    const listed = await ps(this.runtime, this.loaded.project.name, { services: [...this.plan.attach] });
    return listed.filter((c) => !isOneOff(c.labels) && c.status === "running").map(logTarget);
  }

  /** `--watch`: the watch's lines among the containers' (` ⦿ `), its progress plain on stderr. */
  private startWatch(): Promise<WatchSession> {
    const { globals, plan, printer } = this;
    return import("../../engine/watch/watcher.js").then(({ startWatch }) =>
      startWatch(
        this.runtime,
        this.loaded,
        {
          services: plan.options.services ?? [],
          prune: true,
          ...(plan.timeoutS !== undefined ? { timeoutS: plan.timeoutS } : {}),
          sink: progressFor({ ...globals, progress: plainOr(globals.progress) }, "Watching"),
        },
        {
          info: (line) => printer.watch(line),
          error: (line) => process.stderr.write(`${line}\n`),
          warn: (line) => warnToStderr(line),
          execOutput: (chunk, stream) => (stream === "stderr" ? process.stderr : process.stdout).write(chunk),
        },
      ),
    );
  }

  interrupt(signal: NodeJS.Signals): void {
    this.interrupted = true;
    switch (this.session.interrupt(signal)) {
      case "stop":
        this.announce("Gracefully stopping... (press Ctrl+C again to force)");
        this.session.abortUp();
        if (this.phase === "attached") this.stop();
        return;
      case "kill":
        if (this.plan.detach) return;
        process.stderr.write("Killing...\n");
        // Like Compose's, this kill prints no progress of its own: the line above says it.
        this.session.kill(silentSink).catch((error: unknown) => {
          process.stderr.write(`kill failed: ${error instanceof Error ? error.message : String(error)}\n`);
        });
        return;
      case "leave":
        return; // the output ends once the containers have exited
    }
  }

  private exited(target: LogTarget, code: number): void {
    if (!this.plan.abortOnExit) return;
    this.exitCodeFrom ??= target.service;
    if (target.service === this.exitCodeFrom) this.exitCode = code;
    this.announce("Aborting on container exit...");
    this.stop();
  }

  private announce(message: string): void {
    if (this.announced || this.plan.detach) return;
    this.announced = true;
    process.stderr.write(`${message}\n`);
  }

  /** Stops the services of this `up` (once), then stops following once their output has drained. */
  private stop(): void {
    if (this.stopping) return;
    const live =
      progressKind(this.globals.progress, this.globals.ansi, process.stderr.isTTY === true) === "tty";
    if (live) this.printer.mute();
    this.stopping = (async () => {
      // The watch first, so no rebuild recreates what is being stopped.
      await this.watching?.stop();
      try {
        await withProgress(this.globals, "Stopping", (progress) => this.session.stop(progress));
      } finally {
        // What was stopped has exited; let its last lines through, then stop following what still runs
        // (dependencies that were attached but not stopped).
        await Promise.race([
          this.followed.catch(() => undefined),
          sleep(DRAIN_MS, undefined, { ref: false }),
        ]);
        this.following.abort();
      }
    })();
    // Awaited by run(); marked handled now so a failed stop is reported there, not as an unhandled rejection.
    this.stopping.catch(() => undefined);
  }
}
