/**
 * `ls` as `docker compose ls` prints it: projects by name, each with its containers' states counted
 * (`exited(1), running(2)`, states sorted) and the config files of its containers (`combinedConfigFiles`).
 */
import { CONFIG_FILES_LABEL, PROJECT_LABEL } from "../../engine/labels.js";
import type { ContainerSummary } from "../../runtime/runtime.js";
import { COMPOSE_TABLE } from "./images-format.js";
import { tabwriteRows } from "./tabwriter.js";

export interface Stack {
  readonly Name: string;
  readonly Status: string;
  readonly ConfigFiles: string;
}

export function stacksOf(containers: readonly ContainerSummary[]): Stack[] {
  const byProject = new Map<string, ContainerSummary[]>();
  for (const c of containers) {
    const project = c.labels[PROJECT_LABEL];
    if (project === undefined) continue;
    byProject.set(project, [...(byProject.get(project) ?? []), c]);
  }
  return [...byProject.keys()].sort().map((name) => {
    const members = byProject.get(name) ?? [];
    return {
      Name: name,
      Status: combinedStatus(members.map((c) => c.status)),
      ConfigFiles: configFiles(members),
    };
  });
}

function combinedStatus(states: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const s of states) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts.keys()]
    .sort()
    .map((s) => `${s}(${counts.get(s) ?? 0})`)
    .join(", ");
}

/** Each file once, in the order met; `N/A` when a container lacks the label (Compose warns then). */
function configFiles(containers: readonly ContainerSummary[]): string {
  const files: string[] = [];
  for (const c of containers) {
    const label = c.labels[CONFIG_FILES_LABEL];
    if (label === undefined) return "N/A";
    for (const f of label.split(",")) if (!files.includes(f)) files.push(f);
  }
  return files.join(",");
}

export function lsTable(stacks: readonly Stack[]): string {
  return tabwriteRows(
    [["NAME", "STATUS", "CONFIG FILES"], ...stacks.map((s) => [s.Name, s.Status, s.ConfigFiles])],
    COMPOSE_TABLE,
  );
}
