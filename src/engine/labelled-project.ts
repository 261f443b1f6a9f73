/**
 * The project as its containers' labels tell it, for a lifecycle command run with `-p NAME` and no
 * compose file (Compose's `getProjectWithResources`/`projectFromName`): one service per service
 * label, each with the image its containers run and the `depends_on` its label records, so stop,
 * start and restart keep their dependency order and start's waits keep their conditions.
 */
import { buildGraph } from "../graph/graph.js";
import type { Project, Service, ServiceDependency } from "../project/model.js";
import { DEPENDS_ON_LABEL } from "./labels.js";
import type { ProjectModel } from "./lifecycle.js";
import type { ObservedState } from "./observe.js";

const CONDITIONS: readonly ServiceDependency["condition"][] = [
  "service_started",
  "service_healthy",
  "service_completed_successfully",
];

export function modelFromLabels(projectName: string, observed: ObservedState): ProjectModel {
  const ours = observed.containers.filter((c) => !c.oneOff && c.service !== "");
  const present = new Set(ours.map((c) => c.service));
  const services: Record<string, Service> = {};
  for (const c of ours) {
    if (services[c.service] !== undefined) continue;
    services[c.service] = { image: c.image, depends_on: dependsOn(c.labels[DEPENDS_ON_LABEL], present) };
  }
  const project: Project = {
    name: projectName,
    workingDir: "",
    services,
    networks: {},
    volumes: {},
    secrets: {},
    configs: {},
    models: {},
  };
  return { project, graph: buildGraph(services) };
}

/**
 * `db:service_healthy:true,cache:service_started:false` (container-spec.ts writes it); only the
 * services that have containers, as nothing else can be waited for.
 */
function dependsOn(
  label: string | undefined,
  present: ReadonlySet<string>,
): Record<string, ServiceDependency> {
  const deps: Record<string, ServiceDependency> = {};
  for (const entry of (label ?? "").split(",")) {
    const [name, condition, restart] = entry.split(":");
    if (!name || !present.has(name)) continue;
    const known = CONDITIONS.find((c) => c === condition) ?? "service_started";
    deps[name] = { condition: known, required: true, restart: restart === "true" };
  }
  return deps;
}
