/**
 * Puts the dashboard on the terminal with Ink (the only module that loads Ink and React; the CLI
 * imports it with `import()` only when a dashboard is shown). The dashboard takes the terminal's
 * alternate screen, so the shell's scrollback is left as it was and comes back on exit; the frame
 * is one line shorter than the terminal (see layout.ts). Resizes reach the store; a shell from `e`
 * gets the normal screen while it runs.
 *
 * With `BERTH_DASHBOARD_METRICS=<file>` the frame count, the time of the first frame (from process
 * start), render times and key-to-frame latencies are written there on exit (bench/dashboard.mjs).
 */
import { writeFileSync } from "node:fs";
import { render } from "ink";
import { createElement } from "react";
import { type Actions, Dashboard } from "./components/Dashboard.js";
import type { Screen } from "./controller.js";
import type { DashboardStore } from "./store.js";

const ALT_SCREEN_ON = "\x1b[?1049h";
const ALT_SCREEN_OFF = "\x1b[?1049l";
const CLEAR = "\x1b[2J\x1b[H";
const SHOW_CURSOR = "\x1b[?25h";
/** Long enough for a frame already throttled by Ink to land before the screen changes hands. */
const SETTLE_MS = 50;

export interface MountOptions {
  readonly store: DashboardStore;
  readonly actions: Actions;
  readonly stdin: NodeJS.ReadStream;
  readonly stdout: NodeJS.WriteStream;
  readonly metricsFile?: string | undefined;
  /** Called once, after the first frame is drawn. */
  readonly onFirstFrame?: (() => void) | undefined;
}

export interface Mounted {
  readonly screen: Screen;
  /** Leaves the alternate screen and restores the terminal; idempotent. */
  unmount(): void;
}

export interface FrameMetrics {
  frames: number;
  /** Milliseconds from process start to the first frame with content. */
  firstFrameMs: number | undefined;
  /** CPU time (user + system) the process had used by the first frame: steadier than the wall time. */
  firstFrameCpuMs: number | undefined;
  renderMs: number[];
  /** When each frame was rendered (milliseconds from process start). */
  frameAt: number[];
  /** Milliseconds from a key's arrival to the end of the next frame's render. */
  keyToFrameMs: number[];
  startedAt: number;
  endedAt: number;
}

export function mount(options: MountOptions): Mounted {
  const { store, stdout, stdin } = options;
  const metrics: FrameMetrics = {
    frames: 0,
    firstFrameMs: undefined,
    firstFrameCpuMs: undefined,
    renderMs: [],
    frameAt: [],
    keyToFrameMs: [],
    startedAt: performance.now(),
    endedAt: 0,
  };
  let keyAt: number | undefined;
  const onKey = (): void => {
    keyAt ??= performance.now();
  };
  if (options.metricsFile) stdin.on("data", onKey);

  stdout.write(ALT_SCREEN_ON + CLEAR);
  const instance = render(createElement(Dashboard, { store, actions: options.actions }), {
    stdout,
    stdin,
    exitOnCtrlC: false,
    patchConsole: false,
    // The store's frame clock already spaces frames (30 a second at most, within a CPU budget);
    // Ink's own throttle on top of it would only delay a key's frame, so it is left a 5 ms window.
    maxFps: 200,
    onRender: ({ renderTime }) => {
      if (store.suspended) return;
      store.frameDrawn();
      metrics.frames++;
      if (metrics.firstFrameMs === undefined) {
        metrics.firstFrameMs = performance.now();
        const cpu = process.cpuUsage();
        metrics.firstFrameCpuMs = (cpu.user + cpu.system) / 1000;
        options.onFirstFrame?.();
      }
      if (options.metricsFile) {
        if (metrics.renderMs.length < 100_000) {
          metrics.renderMs.push(renderTime);
          metrics.frameAt.push(performance.now());
        }
        if (keyAt !== undefined) {
          metrics.keyToFrameMs.push(performance.now() - keyAt);
          keyAt = undefined;
        }
      }
    },
  });
  const onResize = (): void => store.setSize({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  stdout.on("resize", onResize);

  let mounted = true;
  const screen: Screen = {
    suspend: async () => {
      store.setSuspended(true);
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      instance.clear();
      stdout.write(ALT_SCREEN_OFF + SHOW_CURSOR);
    },
    resume: () => {
      if (!mounted) return;
      stdout.write(ALT_SCREEN_ON + CLEAR);
      store.setSize({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
      store.setSuspended(false);
    },
  };

  return {
    screen,
    unmount: () => {
      if (!mounted) return;
      mounted = false;
      stdout.off("resize", onResize);
      stdin.off("data", onKey);
      instance.unmount();
      instance.cleanup();
      stdout.write(ALT_SCREEN_OFF + SHOW_CURSOR);
      metrics.endedAt = performance.now();
      if (options.metricsFile) writeMetrics(options.metricsFile, metrics, store);
    },
  };
}

function writeMetrics(file: string, metrics: FrameMetrics, store: DashboardStore): void {
  const lines = process.env["BERTH_DASHBOARD_METRICS_LINES"] === "1";
  const sources = store.logs.names().map((n) => ({
    name: n.name,
    ...(lines ? { lines: store.logs.linesOf(n.name) } : {}),
  }));
  writeFileSync(
    file,
    JSON.stringify({
      ...metrics,
      // Epoch milliseconds of performance.now()'s zero, so a bench can place frames on its own clock.
      timeOrigin: performance.timeOrigin,
      store: store.logs.stats(),
      storeFrames: store.frames,
      sources,
    }),
  );
}
