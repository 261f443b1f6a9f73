/**
 * Keys → commands, as one pure function and one table. The table is the single source of the help
 * overlay, the footer and the README's key list, so a key cannot work without being listed.
 *
 * Commands either change the view (`reduceView`) or ask the controller to act on the stack through
 * the engine (restart, scale, …). Ctrl-C is always the interrupt, in every mode. A pasted run of
 * characters arrives as one input; outside the search prompt each character counts as a key.
 */
import type { ViewAction, ViewState } from "./view.js";

export type ActionName =
  | "restart"
  | "toggle"
  | "scale-up"
  | "scale-down"
  | "recreate"
  | "rebuild"
  | "exec"
  | "detach"
  | "quit"
  | "down";

export type Command =
  | { readonly kind: "view"; readonly action: ViewAction }
  | { readonly kind: "act"; readonly action: ActionName }
  | { readonly kind: "interrupt" };

/** The part of Ink's `Key` this map reads. */
export interface KeyFlags {
  readonly upArrow?: boolean;
  readonly downArrow?: boolean;
  readonly leftArrow?: boolean;
  readonly rightArrow?: boolean;
  readonly pageUp?: boolean;
  readonly pageDown?: boolean;
  readonly home?: boolean;
  readonly end?: boolean;
  readonly return?: boolean;
  readonly escape?: boolean;
  readonly ctrl?: boolean;
  readonly tab?: boolean;
  readonly backspace?: boolean;
  readonly delete?: boolean;
}

export interface KeyHelp {
  readonly keys: string;
  readonly what: string;
  readonly group: "navigate" | "logs" | "act" | "views";
  /** Shown in the footer, in this short form. */
  readonly footer?: string;
}

export const KEY_HELP: readonly KeyHelp[] = [
  {
    keys: "↑ ↓  k j",
    what: "select a service (services pane) · scroll a line (logs pane)",
    group: "navigate",
    footer: "↑↓ move",
  },
  { keys: "tab", what: "switch between the services and logs panes", group: "navigate", footer: "tab pane" },
  { keys: "→ ←", what: "expand / collapse a service's replicas", group: "navigate" },
  {
    keys: "enter",
    what: "show only the selected service's (or replica's) logs",
    group: "navigate",
    footer: "enter logs",
  },
  { keys: "esc", what: "back: close the overlay, clear the search, show all logs", group: "navigate" },
  { keys: "PgUp PgDn", what: "scroll the logs a page (scrolling back pauses follow)", group: "logs" },
  { keys: "Home End  f", what: "oldest line · newest line and follow again", group: "logs" },
  { keys: "/", what: "search the logs; enter to find, esc to cancel", group: "logs", footer: "/ search" },
  { keys: "n N", what: "next older · next newer match", group: "logs" },
  { keys: "t", what: "timestamps on / off", group: "logs" },
  { keys: "w", what: "wrap long lines / cut them at the edge", group: "logs" },
  { keys: "c", what: "keep / strip the containers' own colours", group: "logs" },
  { keys: "r", what: "restart the selected service", group: "act", footer: "r restart" },
  {
    keys: "s",
    what: "stop the selected service, or start it when stopped",
    group: "act",
    footer: "s stop/start",
  },
  {
    keys: "+ -",
    what: "scale the selected service up / down by one replica",
    group: "act",
    footer: "+/- scale",
  },
  { keys: "x", what: "recreate the selected service's containers", group: "act" },
  { keys: "R", what: "rebuild the image and recreate (services with build:)", group: "act" },
  { keys: "e", what: "open a shell (sh) in the selected container", group: "act", footer: "e shell" },
  { keys: "D", what: "down: stop and remove the stack (asks first)", group: "act" },
  { keys: "d", what: "detach: leave the stack running and exit", group: "act", footer: "d detach" },
  {
    keys: "q  Ctrl-C",
    what: "quit: stop the stack and exit (Ctrl-C again kills)",
    group: "act",
    footer: "q quit",
  },
  { keys: "p", what: "the selection's last healthcheck output", group: "views" },
  { keys: "g", what: "dependency graph and the last up's critical path", group: "views", footer: "g graph" },
  { keys: "?", what: "this help", group: "views", footer: "? help" },
];

/** The footer's text: the main keys, in the table's order. */
export const FOOTER_KEYS: readonly string[] = KEY_HELP.flatMap((k) => (k.footer ? [k.footer] : []));

const LETTERS: Readonly<Record<string, Command>> = {
  k: view({ type: "move", delta: -1 }),
  j: view({ type: "move", delta: 1 }),
  f: view({ type: "follow" }),
  "/": view({ type: "search-start" }),
  n: view({ type: "search-next", direction: "older" }),
  N: view({ type: "search-next", direction: "newer" }),
  t: view({ type: "toggle", what: "timestamps" }),
  w: view({ type: "toggle", what: "wrap" }),
  c: view({ type: "toggle", what: "colours" }),
  p: view({ type: "overlay", overlay: "probe" }),
  g: view({ type: "overlay", overlay: "graph" }),
  "?": view({ type: "overlay", overlay: "help" }),
  D: view({ type: "overlay", overlay: "confirm-down" }),
  r: act("restart"),
  s: act("toggle"),
  "+": act("scale-up"),
  // `+` is shifted on most layouts; `=` shares its key.
  "=": act("scale-up"),
  "-": act("scale-down"),
  x: act("recreate"),
  R: act("rebuild"),
  e: act("exec"),
  d: act("detach"),
  q: act("quit"),
};

function view(action: ViewAction): Command {
  return { kind: "view", action };
}

function act(action: ActionName): Command {
  return { kind: "act", action };
}

type Mode = Pick<ViewState, "overlay" | "search">;

export function commandsFor(input: string, key: KeyFlags, state: Mode): Command[] {
  if (key.ctrl && input === "c") return [{ kind: "interrupt" }];
  if ([...input].length <= 1 || specialKey(key) !== undefined) return single(input, key, state);
  // Text pasted into the search prompt is the query, whole.
  // eslint-disable-next-line no-control-regex
  if (state.search.editing && !/[\x00-\x1f\x7f]/.test(input)) return single(input, key, state);
  // Several characters at once (typed fast, pasted, or sent together by a terminal multiplexer):
  // one key each, in order, each seeing the mode the keys before it left (`/` opens the prompt
  // the rest types into; `D` asks and `y` answers).
  const out: Command[] = [];
  let mode = state;
  for (const char of input) {
    for (const command of single(...asKey(char), mode)) {
      out.push(command);
      mode = modeAfter(mode, command);
    }
  }
  return out;
}

/** A character of a multi-character input as the key Ink would have reported alone. */
function asKey(char: string): [string, KeyFlags] {
  switch (char) {
    case "\r":
    case "\n":
      return ["", { return: true }];
    case "\t":
      return ["", { tab: true }];
    case "\x7f":
    case "\b":
      return ["", { backspace: true }];
    case "\x03":
      return ["c", { ctrl: true }];
    default:
      return [char, {}];
  }
}

function modeAfter(mode: Mode, command: Command): Mode {
  if (command.kind !== "view") return mode;
  const action = command.action;
  switch (action.type) {
    case "search-start":
      return { ...mode, search: { ...mode.search, editing: true } };
    case "search-submit":
    case "search-cancel":
      return { ...mode, search: { ...mode.search, editing: false } };
    case "overlay":
      return { ...mode, overlay: mode.overlay === action.overlay ? "none" : action.overlay };
    case "close":
    case "back":
      return { ...mode, overlay: "none" };
    default:
      return mode;
  }
}

function single(input: string, key: KeyFlags, state: Mode): Command[] {
  if (key.ctrl && input === "c") return [{ kind: "interrupt" }];
  if (state.overlay === "confirm-down") {
    if (input === "y" || input === "Y") return [view({ type: "close" }), act("down")];
    if (input === "n" || input === "N" || input === "q" || key.escape) return [view({ type: "close" })];
    return [];
  }
  if (state.search.editing) {
    if (key.escape) return [view({ type: "search-cancel" })];
    if (key.return) return [view({ type: "search-submit" })];
    if (key.backspace || key.delete) return [view({ type: "search-backspace" })];
    if (key.ctrl || key.tab || key.upArrow || key.downArrow || key.leftArrow || key.rightArrow) return [];
    // eslint-disable-next-line no-control-regex
    const text = input.replace(/[\x00-\x1f\x7f]/g, "");
    return text === "" ? [] : [view({ type: "search-input", text })];
  }
  const special = specialKey(key);
  if (special) return [special];
  if (key.ctrl) return [];
  const command = LETTERS[input];
  return command ? [command] : [];
}

function specialKey(key: KeyFlags): Command | undefined {
  if (key.upArrow) return view({ type: "move", delta: -1 });
  if (key.downArrow) return view({ type: "move", delta: 1 });
  if (key.rightArrow) return view({ type: "expand", open: true });
  if (key.leftArrow) return view({ type: "expand", open: false });
  if (key.pageUp) return view({ type: "page", pages: -1 });
  if (key.pageDown) return view({ type: "page", pages: 1 });
  if (key.home) return view({ type: "top" });
  if (key.end) return view({ type: "follow" });
  if (key.tab) return view({ type: "focus-next" });
  if (key.return) return view({ type: "focus-logs" });
  if (key.escape) return view({ type: "back" });
  return undefined;
}
