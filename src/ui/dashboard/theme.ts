/**
 * Every colour and style on the dashboard goes through one Theme made from one decision (`--ansi`,
 * NO_COLOR; see select.ts). Without colour nothing is styled at all — no bold, no inverse — and
 * the selection shows as a `›` marker, which is there in colour too. Services get the plain
 * printer's colours in the same order, so `web` is the same colour here as in `berth logs`.
 */
import { painter } from "../colors.js";
import { palette } from "../plain/log-printer.js";
import type { EventLevel } from "./model.js";
import type { Tone } from "./rows.js";

export interface Theme {
  readonly colour: boolean;
  tone(tone: Tone, text: string): string;
  level(level: EventLevel, text: string): string;
  service(service: string, text: string): string;
  bold(text: string): string;
  dim(text: string): string;
  /** The selected row in the focused pane. */
  selected(text: string): string;
  /** Search matches inside a log line. */
  match(text: string): string;
}

/** `services`: the project's service names; colours are given in their sorted order, as `up` does. */
export function makeTheme(colour: boolean, services: readonly string[]): Theme {
  const paint = painter(colour);
  const colours = palette(paint);
  const order = [...services].sort();
  const plain = (text: string): string => text;
  const tones: Readonly<Record<Tone, (text: string) => string>> = {
    ok: paint.green,
    warn: paint.yellow,
    bad: paint.red,
    busy: paint.cyan,
    idle: paint.gray,
  };
  const levels: Readonly<Record<EventLevel, (text: string) => string>> = {
    info: plain,
    warn: paint.yellow,
    error: paint.red,
  };
  return {
    colour,
    tone: (tone, text) => tones[tone](text),
    level: (level, text) => levels[level](text),
    service: (service, text) => {
      const at = order.indexOf(service);
      const style = colours[(at < 0 ? order.length : at) % Math.max(1, colours.length)];
      return style ? style(text) : text;
    },
    bold: paint.bold,
    dim: paint.dim,
    selected: paint.inverse,
    match: (text) => paint.black.bgYellow(text),
  };
}
