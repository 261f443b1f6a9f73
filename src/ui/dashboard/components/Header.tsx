/**
 * The header line: the project, how many containers run, and how the last `up` of this dashboard
 * went (converging, done in N s, failed).
 *
 *     berth · webapp · 4/4 running · up done in 2.6s
 */
import { truncate } from "../ansi.js";
import { formatSeconds } from "../format.js";
import type { Model } from "../model.js";
import type { Theme } from "../theme.js";
import { Lines } from "./Lines.js";

export interface HeaderInput {
  readonly model: Model;
  readonly width: number;
  readonly theme: Theme;
}

export function headerLine(input: HeaderInput): string {
  const { model, theme } = input;
  const containers = [...model.containers.values()];
  const running = containers.filter((c) => c.status === "running").length;
  const count = `${running}/${containers.length} running`;
  const timeline = model.timeline;
  let up = "";
  if (model.upRunning) up = theme.tone("busy", "up: converging…");
  else if (model.upError !== undefined) up = theme.tone("bad", "up failed (see events)");
  else if (timeline?.source === "engine" && timeline.finishedAt !== undefined) {
    up = theme.tone("ok", `up done in ${formatSeconds(timeline.finishedAt - timeline.startedAt)}`);
  }
  const parts = [theme.bold("berth"), model.project, count, up].filter((p) => p !== "");
  return truncate(` ${parts.join(" · ")}`, input.width);
}

export function Header(props: HeaderInput) {
  return <Lines lines={[headerLine(props)]} height={1} width={props.width} />;
}
