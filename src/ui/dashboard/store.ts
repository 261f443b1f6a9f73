/**
 * The dashboard's state, held outside React: the model (what the stack is doing), the view (what
 * the person chose), the log lines, the terminal's size. Inputs change it as often as they come;
 * React hears of it only through the frame clock, once per frame, and then renders the visible
 * window from it. So a flood of log lines costs one render per frame, not one per line.
 */
import { FRAME_MS, FrameClock, realTimer, type Timer } from "./frame-clock.js";
import { layout, type Layout, type Size } from "./layout.js";
import { LogStore } from "./log-store.js";
import { emptyModel, type Model, type ServiceDef } from "./model.js";
import { buildRows, type Row } from "./rows.js";
import { makeTheme, type Theme } from "./theme.js";
import { initialView, reconcileSelection, reduceView, type ViewAction, type ViewState } from "./view.js";

export interface DashboardStoreOptions {
  readonly project: string;
  /** In dependency order. */
  readonly services: readonly ServiceDef[];
  readonly colour: boolean;
  /** Log lines kept per container. */
  readonly scrollback: number;
  readonly size: Size;
  readonly timestamps?: boolean | undefined;
  /** Wall-clock milliseconds (uptimes); default Date.now. */
  readonly now?: (() => number) | undefined;
  readonly timer?: Timer | undefined;
  readonly frameMs?: number | undefined;
}

export class DashboardStore {
  model: Model;
  view: ViewState;
  size: Size;
  /** The screen belongs to something else (a shell from `e`): draw nothing, read no keys. */
  suspended = false;
  readonly logs: LogStore;
  readonly theme: Theme;
  readonly now: () => number;
  /** Frames handed to React so far. */
  frames = 0;
  /** When the last frame was handed to React (performance.now()), for its cost. */
  private tickAt: number | undefined;
  private readonly listeners = new Set<() => void>();
  private rowsCache:
    | {
        readonly model: Model;
        readonly expanded: ReadonlySet<string>;
        readonly second: number;
        readonly rows: Row[];
      }
    | undefined;
  private readonly clock: FrameClock;

  constructor(options: DashboardStoreOptions) {
    this.model = emptyModel(options.project, options.services);
    this.view = initialView({ timestamps: options.timestamps });
    this.size = options.size;
    this.now = options.now ?? Date.now;
    this.theme = makeTheme(
      options.colour,
      options.services.map((s) => s.name),
    );
    this.clock = new FrameClock(() => this.tick(), options.frameMs ?? FRAME_MS, options.timer ?? realTimer);
    this.logs = new LogStore({ capacity: options.scrollback, onAppend: () => this.invalidate() });
    this.view = reconcileSelection(this.view, this.rows());
  }

  /** Folds an input into the model with a pure reducer. */
  update(reducer: (model: Model) => Model): void {
    const next = reducer(this.model);
    if (next === this.model) return;
    this.model = next;
    this.invalidate();
  }

  /**
   * Folds in an input that can wait for the next frame something else asks for, or the 1 s tick
   * (stats samples: twenty containers would otherwise keep an idle dashboard redrawing).
   */
  updateQuietly(reducer: (model: Model) => Model): void {
    this.model = reducer(this.model);
  }

  dispatch(action: ViewAction): void {
    const rows = this.rows();
    const next = reduceView(this.view, action, { rows, logs: this.logs, page: this.layout().logs });
    this.view = reconcileSelection(next, buildRows(this.model, next.expanded, this.now()));
    this.invalidate();
  }

  /** The service rows; derived once per model, expansion and second (uptimes), however often asked. */
  rows(): Row[] {
    const second = Math.floor(this.now() / 1000);
    const cached = this.rowsCache;
    if (cached?.model === this.model && cached.expanded === this.view.expanded && cached.second === second) {
      return cached.rows;
    }
    const rows = buildRows(this.model, this.view.expanded, this.now());
    this.rowsCache = { model: this.model, expanded: this.view.expanded, second, rows };
    return rows;
  }

  layout(): Layout {
    return layout(this.size, this.rows().length);
  }

  setSize(size: Size): void {
    this.size = size;
    this.invalidate();
  }

  setSuspended(suspended: boolean): void {
    this.suspended = suspended;
    this.invalidate();
  }

  /** Something changed: a frame will show it. */
  invalidate(): void {
    this.clock.request();
  }

  /** A key was pressed: its frame comes at once (see FrameClock.request). */
  keyPressed(): void {
    this.clock.request(true);
  }

  /** For useSyncExternalStore: the frame number changes once per frame. */
  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getFrame = (): number => this.frames;

  close(): void {
    this.clock.stop();
    this.listeners.clear();
  }

  /** The screen finished drawing: what the frame cost since it was handed over spaces the next ones. */
  frameDrawn(at: number = performance.now()): void {
    if (this.tickAt === undefined) return;
    this.clock.reportCost(at - this.tickAt);
    this.tickAt = undefined;
  }

  private tick(): void {
    this.frames++;
    this.tickAt = performance.now();
    // Rows can change under the selection between frames (a replica removed): keep it valid.
    this.view = reconcileSelection(this.view, this.rows());
    for (const listener of this.listeners) listener();
  }
}
