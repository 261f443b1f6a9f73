/**
 * The `p` overlay: the last healthcheck probe of each container of the selection — when it ran,
 * its exit code, and its output (what a failing check said).
 */
import { sanitize, truncate, wrapRows } from "../ansi.js";
import { formatClock } from "../format.js";
import type { Model } from "../model.js";
import { containersOf, type Row, shortName } from "../rows.js";
import type { Theme } from "../theme.js";
import { Lines } from "./Lines.js";

export interface ProbeInput {
  readonly model: Model;
  readonly row: Row | undefined;
  readonly width: number;
  readonly height: number;
  readonly theme: Theme;
}

export function probeLines(input: ProbeInput): string[] {
  const { model, row, theme, width } = input;
  const lines = [truncate(`  ${theme.bold("Last healthcheck")} ${theme.dim("(esc or p closes)")}`, width)];
  if (!row) return [...lines, "  Nothing selected."];
  const def = model.services.find((s) => s.name === row.service);
  const containers =
    row.kind === "replica" && row.container ? [row.container] : containersOf(model, row.service);
  if (!def?.healthcheck && containers.every((c) => c.health === undefined)) {
    return [...lines, truncate(`  ${row.service} has no healthcheck.`, width)];
  }
  if (containers.length === 0) return [...lines, truncate(`  ${row.service} has no containers.`, width)];
  for (const c of containers) {
    lines.push("");
    const probe = c.probe;
    const health = c.health ?? "no status yet";
    if (!probe) {
      lines.push(
        truncate(
          `  ${theme.service(c.service, shortName(model.project, c.name))}  ${health}  ${theme.dim("no probe has run yet")}`,
          width,
        ),
      );
      continue;
    }
    const when = probe.end ?? probe.start;
    const code =
      probe.exitCode === 0 ? theme.tone("ok", "exit 0") : theme.tone("bad", `exit ${probe.exitCode}`);
    lines.push(
      truncate(
        `  ${theme.service(c.service, shortName(model.project, c.name))}  ${health}  ${code}  ${theme.dim(when ? `at ${formatClock(when.getTime())}` : "")}`,
        width,
      ),
    );
    const output = probe.output.replace(/\n+$/, "");
    for (const text of output === "" ? ["(no output)"] : output.split("\n")) {
      for (const piece of wrapRows(sanitize(text, false), Math.max(10, width - 6)))
        lines.push(`      ${piece}`);
    }
  }
  return lines.slice(0, input.height);
}

export function ProbeOverlay(props: ProbeInput) {
  return <Lines lines={probeLines(props)} height={props.height} width={props.width} />;
}
