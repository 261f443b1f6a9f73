/**
 * The dashboard rendered by ink-testing-library against a store the test fills: frames are read
 * back as text, keys are written to its stdin, and actions land in a recorder instead of an engine.
 */
import { render } from "ink-testing-library";
import { createElement } from "react";
import { type Actions, Dashboard, type Target } from "../../../../src/ui/dashboard/components/Dashboard.js";
import type { ActionName } from "../../../../src/ui/dashboard/keymap.js";
import type { DashboardStore } from "../../../../src/ui/dashboard/store.js";
import { FRAME_TIMERS } from "./fixtures.js";

export interface Mounted {
  /** The last frame, as the terminal would show it. */
  frame(): string;
  /** Lines of the last frame without trailing spaces. */
  lines(): string[];
  /** Writes keys to the dashboard's stdin and draws the frame they cause. */
  press(keys: string): Promise<void>;
  /** Draws a frame for changes made to the store directly. */
  redraw(): Promise<void>;
  readonly acts: { readonly action: ActionName; readonly target: Target | undefined }[];
  readonly inspected: Target[];
  interrupts: number;
  unmount(): void;
}

function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export const KEYS = {
  up: "\x1b[A",
  down: "\x1b[B",
  right: "\x1b[C",
  left: "\x1b[D",
  pageUp: "\x1b[5~",
  pageDown: "\x1b[6~",
  home: "\x1b[H",
  end: "\x1b[F",
  tab: "\t",
  enter: "\r",
  escape: "\x1b",
  backspace: "\x7f",
  ctrlC: "\x03",
} as const;

/**
 * Frames are deterministic: the store's frame clock is a manual timer, flushed after each key; then
 * the test waits (in event-loop turns, not time) until Ink has written the frame.
 */
export async function mountDashboard(store: DashboardStore): Promise<Mounted> {
  const timer = FRAME_TIMERS.get(store);
  if (!timer) throw new Error("mountDashboard needs a store made by testStore()");
  const draw = async (): Promise<void> => {
    const before = app.frames.length;
    timer.flush();
    for (let i = 0; i < 200 && app.frames.length === before; i++) await turn();
  };
  const mounted: Mounted = {
    acts: [],
    inspected: [],
    interrupts: 0,
    frame: () => app.lastFrame() ?? "",
    lines: () =>
      mounted
        .frame()
        .split("\n")
        .map((line) => line.trimEnd()),
    press: async (keys) => {
      app.stdin.write(keys);
      // Ink holds a lone ESC for one turn (it may start a sequence) before reporting it.
      await turn();
      await turn();
      await draw();
    },
    redraw: draw,
    unmount: () => app.unmount(),
  };
  const actions: Actions = {
    act: (action, target) => void mounted.acts.push({ action, target }),
    interrupt: () => void mounted.interrupts++,
    inspect: (target) => void mounted.inspected.push(target),
  };
  const app = render(createElement(Dashboard, { store, actions }));
  await draw();
  return mounted;
}
