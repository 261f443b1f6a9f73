/**
 * The project as its containers' labels tell it, for a lifecycle command run with `-p NAME` and no
 * compose file (Compose's `getProjectWithResources`/`projectFromName`): one service per service
 * label, each with the image its containers run and the `depends_on` its label records, so stop,
 * start and restart keep their dependency order and start's waits keep their conditions.
 */
import { buildGraph } from "../graph/graph.js";
import { PlanError } from "./errors.js";
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

/**
 * Compose's `start` without a file (`projectFromName` with the services named): a project with no
 * container, or a named service none of its containers runs, is an error in its words.
 */
export function checkLabelledServices(model: ProjectModel, services: readonly string[]): void {
  const { name, services: known } = model.project;
  if (Object.keys(known).length === 0)
    throw new PlanError(`no container found for project "${name}": not found`);
  for (const service of services) {
    if (!Object.hasOwn(known, service)) throw new PlanError(`no such service: "${service}": not found`);
  }
}

/**
 * Compose's `stop` without a file: the named services its containers know, the others skipped
 * (nothing of theirs runs). `undefined` when names were given and none is known: nothing to do.
 */
export function knownLabelledServices(
  model: ProjectModel,
  services: readonly string[],
): readonly string[] | undefined {
  const known = services.filter((s) => Object.hasOwn(model.project.services, s));
  return services.length > 0 && known.length === 0 ? undefined : known;
}
