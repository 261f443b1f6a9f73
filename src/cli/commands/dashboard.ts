/**
 * `berth dashboard`: the interactive dashboard for a stack that is already up; and the dashboard
 * side of `berth up` on a terminal (up.ts hands over when `wantsDashboard` says so). Both wire the
 * same parts: the store, the runtime feeds (events, the log follower `logs -f` uses, stats), the
 * controller that runs engine actions for keys, and the Ink screen (loaded here, by `import()`, and
 * nowhere else). After the dashboard closes, one line on stderr says what was left behind.
 */
import type { EventSink, UpContext, UpOptions } from "../../engine/index.js";
import type { WatchSession } from "../../engine/watch/watcher.js";
import type { Runtime } from "../../runtime/runtime.js";
import { UsageError } from "../../errors.js";
import type { LoadedProject } from "../../project/load.js";
import { desiredReplicas, imageReference } from "../../engine/desired.js";
import { Controller, type Exit } from "../../ui/dashboard/controller.js";
import { Feeds, type Follow } from "../../ui/dashboard/feeds.js";
import { DEFAULT_SCROLLBACK } from "../../ui/dashboard/log-store.js";
import { pushEvent, type ServiceDef } from "../../ui/dashboard/model.js";
import { runShell } from "../../ui/dashboard/shell.js";
import { DashboardStore } from "../../ui/dashboard/store.js";
// Types only (erased): the module itself, which loads Ink, is imported with import() below.
import type * as ScreenModuleTypes from "../../ui/dashboard/run.js";
import { useColor } from "../../ui/select.js";
import { parseTimeout } from "../flags.js";
import type { GlobalOptions } from "../global-options.js";
import type { DashboardFlags } from "../options/flags.js";
import { onInterrupt } from "../interrupts.js";
import { loadFromFlags } from "../load-for-cli.js";
import { pauseOptimizer, resumeOptimizer } from "../optimizer.js";
import { followLogs } from "../log-stream.js";
import { withRuntime } from "../runtime-for-cli.js";
import { upContext } from "../up-context.js";

/** History shown per container when the dashboard opens on a running stack. */
const HISTORY_LINES = 200;

export async function runDashboard(globals: GlobalOptions, flags: DashboardFlags): Promise<number> {
  if (process.stdin.isTTY !== true || process.stdout.isTTY !== true) {
    throw new UsageError("berth dashboard needs a terminal on stdin and stdout", {
      hint: "use `berth ps` and `berth logs -f` instead",
    });
  }
  const screen = loadScreen();
  const loaded = await loadFromFlags(globals);
  return open(globals, loaded, screen, {
    flags,
    timeoutS: parseTimeout(flags.timeout),
    stopServices: [],
    history: HISTORY_LINES,
  });
}

export interface UpHandover {
  readonly options: UpOptions;
  readonly context: UpContext;
  readonly stopServices: readonly string[];
  readonly timeoutS: number | undefined;
  readonly flags: DashboardFlags;
  /** `up --watch`: once the `up` is done, the watch runs beside the dashboard (its lines in the events strip). */
  readonly watch?: boolean;
}

/** `berth up` on a terminal: the dashboard opens at once, then the `up` runs inside it. */
export function runUpDashboard(
  globals: GlobalOptions,
  loaded: LoadedProject,
  up: UpHandover,
): Promise<number> {
  return open(globals, loaded, loadScreen(), {
    flags: up.flags,
    timeoutS: up.timeoutS,
    stopServices: up.stopServices,
    history: undefined,
    up,
  });
}

/** How the dashboard opens: for `berth dashboard`, or for `berth up` with its `up` to run. */
interface Opening {
  readonly flags: DashboardFlags;
  readonly timeoutS: number | undefined;
  readonly stopServices: readonly string[];
  /** History lines per container at start; undefined: only the current run (as `up` shows). */
  readonly history: number | undefined;
  readonly up?: UpHandover | undefined;
}

type ScreenModule = typeof ScreenModuleTypes;

/**
 * Loads the Ink screen. Ink decides once, when it loads, whether it runs under CI (`CI` or
 * `CONTINUOUS_INTEGRATION` set) and then draws only the final frame; the dashboard only opens on a
 * terminal someone is looking at, so those variables are hidden from it while it loads. React
 * picks its build by NODE_ENV when it loads: unset, it would run the development build, with its
 * checks on every render, so it is set to production unless the user set it.
 */
function loadScreen(): Promise<ScreenModule> {
  process.env["NODE_ENV"] ??= "production";
  const names = ["CI", "CONTINUOUS_INTEGRATION"] as const;
  const saved = names.map((name) => [name, process.env[name]] as const);
  for (const [name, value] of saved) if (value !== undefined) process.env[name] = "false";
  const restoreFetch = hideFetch();
  const loading = import("../../ui/dashboard/run.js");
  return loading.finally(() => {
    for (const [name, value] of saved) if (value !== undefined) process.env[name] = value;
    restoreFetch();
  });
}

/**
 * Ink's layout engine (Yoga) instantiates its WebAssembly, embedded as a data: URL, with `fetch`
 * when `fetch` is a function, and from the decoded bytes otherwise. Node's `fetch` is a lazy
 * global: the first look at it loads Node's whole HTTP client (undici), ~40 ms of the dashboard's
 * first frame, for nothing berth uses. So it is hidden (not touched) while the screen loads.
 */
function hideFetch(): () => void {
  const descriptor = Object.getOwnPropertyDescriptor(globalThis, "fetch");
  if (!descriptor?.configurable) return () => undefined;
  Object.defineProperty(globalThis, "fetch", { value: undefined, configurable: true, writable: true });
  return () => Object.defineProperty(globalThis, "fetch", descriptor);
}

async function open(
  globals: GlobalOptions,
  loaded: LoadedProject,
  screenModule: Promise<ScreenModule>,
  opening: Opening,
): Promise<number> {
  const stdout = process.stdout;
  // Like the load, opening the screen (loading Ink, the first render) is one cold pass: the
  // optimizing compiler waits until the first frame is drawn (optimizer.ts).
  pauseOptimizer();
  return withRuntime({ ...globals, project: loaded.project.name }, async (runtime) => {
    const store = new DashboardStore({
      project: loaded.project.name,
      services: serviceDefs(loaded),
      colour: opening.flags.color !== false && useColor(globals.ansi, true, process.env),
      scrollback: scrollback(process.env["BERTH_DASHBOARD_SCROLLBACK"]),
      size: { columns: stdout.columns || 80, rows: stdout.rows || 24 },
      timestamps: opening.flags.timestamps === true,
    });
    const controller = new Controller({
      runtime,
      loaded,
      store,
      stopServices: opening.stopServices,
      timeoutS: opening.timeoutS,
      shell: (id) => runShell(runtime, id, { stdin: process.stdin, stdout }),
      upContext: opening.up?.context ?? upContext(globals),
    });
    const follow: Follow = (target, output, request) =>
      followLogs(runtime, [target], output, {
        signal: request.signal,
        currentRun: request.currentRun,
        tail: request.tail,
      });
    const feeds = new Feeds({ runtime, store, follow, tail: opening.history });
    const { mount } = await screenModule;
    const mounted = mount({
      store,
      actions: controller,
      stdin: process.stdin,
      stdout,
      metricsFile: process.env["BERTH_DASHBOARD_METRICS"],
      onFirstFrame: resumeOptimizer,
    });
    controller.screen = mounted.screen;
    // Ctrl-C arrives as a key while the dashboard reads the terminal; SIGINT and SIGTERM from
    // elsewhere (kill, a closing terminal) act the same.
    const removeInterrupt = onInterrupt((_count, signal) => controller.interrupt(signal));
    let exit: Exit;
    let watching: Promise<WatchSession | undefined> | undefined;
    let leaving = false;
    try {
      feeds.start();
      const { up } = opening;
      if (up) {
        const run = controller.up(up.options, up.context);
        if (up.watch === true) {
          watching = run.then(() =>
            !leaving && controller.failure === undefined
              ? watchBeside(runtime, loaded, store, controller.sink, up)
              : undefined,
          );
        }
      }
      exit = await controller.exited;
    } finally {
      leaving = true;
      await (await watching?.catch(() => undefined))?.stop();
      mounted.unmount();
      removeInterrupt();
      await feeds.stop();
      store.close();
    }
    if (exit.error !== undefined) throw exit.error;
    if (controller.failure !== undefined) throw controller.failure;
    process.stderr.write(`${farewell(exit, loaded.project.name)}\n`);
    return exit.code;
  });
}

/** `up --watch` in the dashboard: the watch's lines go to the events strip, its progress to the rows. */
async function watchBeside(
  runtime: Runtime,
  loaded: LoadedProject,
  store: DashboardStore,
  sink: EventSink,
  up: UpHandover,
): Promise<WatchSession | undefined> {
  const say = (level: "info" | "warn" | "error") => (text: string) =>
    store.update((m) => pushEvent(m, { at: Date.now(), subject: "watch", text, level }));
  const { startWatch } = await import("../../engine/watch/watcher.js");
  try {
    return await startWatch(
      runtime,
      loaded,
      {
        services: up.options.services ?? [],
        prune: true,
        sink,
        ...(up.timeoutS !== undefined ? { timeoutS: up.timeoutS } : {}),
      },
      { info: say("info"), warn: say("warn"), error: say("error") },
    );
  } catch (error) {
    say("error")(error instanceof Error ? error.message : String(error));
    return undefined;
  }
}

function farewell(exit: Exit, project: string): string {
  switch (exit.reason) {
    case "detach":
      return `Detached: ${project} keeps running (\`berth down\` removes it, \`berth dashboard\` shows it again)`;
    case "down":
      return `Removed ${project}`;
    case "quit":
    case "interrupt":
      return `Stopped ${project}`;
    case "ended":
      return `Every container of ${project} has exited`;
  }
}

/** The services as the dashboard lists them: start order, with their images, builds, checks and edges. */
export function serviceDefs(loaded: LoadedProject): ServiceDef[] {
  const { project, graph } = loaded;
  return graph.startOrder().flatMap((name) => {
    const service = project.services[name];
    if (!service) return [];
    const check = service.healthcheck;
    return [
      {
        name,
        image: imageReference(project, name),
        build: service.build !== undefined,
        healthcheck: check !== undefined && check.disable !== true && check.test?.[0] !== "NONE",
        replicas: desiredReplicas(name, service, undefined),
        dependsOn: [...graph.dependenciesOf(name)].map(([dep, edge]) => ({
          service: dep,
          condition: edge.condition,
        })),
      },
    ];
  });
}

function scrollback(value: string | undefined): number {
  const n = value === undefined ? Number.NaN : Number(value);
  return Number.isInteger(n) && n > 0 ? n : DEFAULT_SCROLLBACK;
}
