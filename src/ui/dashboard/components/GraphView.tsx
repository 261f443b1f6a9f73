/**
 * The `g` view: the dependency graph in start order — each service with its state, each edge with
 * its condition and whether it holds now — and the critical path of the last `up` with each
 * service's start and ready times (★ marks the services on it).
 *
 *     Critical path of the last up (2.6s): db 0.0s→2.1s ▸ api 2.2s→2.4s ▸ web 2.5s→2.6s
 *     ★ db     running  healthy   start 0.0s  ready 2.1s
 *     ★ api    running            start 2.2s  ready 2.4s
 *       └─ db (healthy) ✔
 */
import { truncate } from "../ansi.js";
import { criticalPath } from "../critical-path.js";
import { formatSeconds } from "../format.js";
import { type Model, timelineFromContainers } from "../model.js";
import { conditionMet, conditionWord, type Row } from "../rows.js";
import type { Theme } from "../theme.js";
import { Lines } from "./Lines.js";

export interface GraphInput {
  readonly model: Model;
  /** Service rows (their state and health are shown beside each node). */
  readonly rows: readonly Row[];
  readonly width: number;
  readonly height: number;
  readonly theme: Theme;
}

export function graphLines(input: GraphInput): string[] {
  const { model, theme, width } = input;
  const timeline = model.timeline ?? timelineFromContainers(model);
  const path = criticalPath(model.services, timeline);
  const onPath = new Set(path?.steps.map((s) => s.service) ?? []);
  const lines = [
    truncate(`  ${theme.bold("Dependency graph")} ${theme.dim("(start order; esc or g closes)")}`, width),
  ];
  if (path && timeline) {
    const from = timeline.source === "engine" ? "the last up" : "the last up, from container start times";
    // A service the up found running already has no start of its own, only the time it was ready.
    const steps = path.steps
      .map((step) => {
        const ready = step.ready === undefined ? "-" : formatSeconds(step.ready);
        return step.started === undefined
          ? `${step.service} ready ${ready}`
          : `${step.service} ${formatSeconds(step.started)}→${ready}`;
      })
      .join(" ▸ ");
    lines.push(
      truncate(
        `  Critical path of ${from} (${formatSeconds(path.totalMs)}): ${theme.tone("warn", steps)}`,
        width,
      ),
    );
  } else {
    lines.push(truncate(`  ${theme.dim("No up timed yet: the critical path appears after one.")}`, width));
  }
  lines.push("");
  const nameWidth = Math.max(4, ...model.services.map((s) => s.name.length));
  for (const def of model.services) {
    const row = input.rows.find((r) => r.kind === "service" && r.service === def.name);
    const timing = timeline?.services[def.name];
    const times =
      timing && timeline
        ? `start ${timing.started === undefined ? "-" : formatSeconds(timing.started - timeline.startedAt)}  ready ${timing.ready === undefined ? "-" : formatSeconds(timing.ready - timeline.startedAt)}`
        : "";
    const star = onPath.has(def.name) ? theme.tone("warn", "★") : " ";
    const state = row ? theme.tone(row.tone, row.state.padEnd(10)) : "".padEnd(10);
    const health = row?.health ? theme.tone(row.healthTone, row.health.padEnd(10)) : "".padEnd(10);
    lines.push(
      truncate(
        `  ${star} ${theme.service(def.name, def.name.padEnd(nameWidth))}  ${state} ${health} ${theme.dim(times)}`,
        width,
      ),
    );
    def.dependsOn.forEach((dep, i) => {
      const branch = i === def.dependsOn.length - 1 ? "└─" : "├─";
      const met = conditionMet(model, dep.service, dep.condition);
      const mark = met ? theme.tone("ok", "✔") : theme.tone("warn", "…");
      lines.push(truncate(`      ${branch} ${dep.service} (${conditionWord(dep.condition)}) ${mark}`, width));
    });
  }
  return lines.slice(0, input.height);
}

export function GraphView(props: GraphInput) {
  return <Lines lines={graphLines(props)} height={props.height} width={props.width} />;
}
