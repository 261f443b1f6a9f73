/** The `?` overlay: every key from the key map's table, grouped. */
import { truncate } from "../ansi.js";
import { KEY_HELP, type KeyHelp } from "../keymap.js";
import type { Theme } from "../theme.js";
import { Lines } from "./Lines.js";

const GROUPS: readonly { readonly group: KeyHelp["group"]; readonly title: string }[] = [
  { group: "navigate", title: "Move" },
  { group: "logs", title: "Logs" },
  { group: "act", title: "Act on the selected service (through the engine)" },
  { group: "views", title: "Views" },
];

export interface HelpInput {
  readonly width: number;
  readonly height: number;
  readonly theme: Theme;
}

export function helpLines(input: HelpInput): string[] {
  const { theme, width } = input;
  const keyWidth = Math.max(...KEY_HELP.map((k) => k.keys.length)) + 2;
  const lines = [truncate(`  ${theme.bold("Keys")}  ${theme.dim("(esc or ? closes)")}`, width)];
  for (const { group, title } of GROUPS) {
    lines.push(truncate(`  ${theme.dim(title)}`, width));
    for (const k of KEY_HELP.filter((h) => h.group === group)) {
      lines.push(truncate(`    ${theme.bold(k.keys.padEnd(keyWidth))}${k.what}`, width));
    }
  }
  return lines.slice(0, input.height);
}

export function HelpOverlay(props: HelpInput) {
  return <Lines lines={helpLines(props)} height={props.height} width={props.width} />;
}
