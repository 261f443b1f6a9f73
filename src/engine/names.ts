/**
 * Container names, as Docker Compose v2 gives them (`pkg/compose/convergence.go` `getContainerName`,
 * `pkg/compose/run.go`, `recreateContainer`):
 * - a service replica: `<project>-<service>-<n>`, or the service's `container_name` when set;
 * - a one-off (`run`): `<project>-<service>-run-<first 12 characters of the slug>`, never the
 *   service's `container_name` (`run` replaces it with `--name` or nothing);
 * - a replacement being created during a recreate: `<first 12 characters of the old ID>_<name>`,
 *   renamed to `<name>` once the old container is gone.
 */
import type { Project } from "../project/model.js";
import { CONTAINER_NUMBER_LABEL } from "./labels.js";

/** Compose v2's separator (v1 used `_`). */
export const SEPARATOR = "-";

/** `<project>-<service>-<n>`, ignoring `container_name`. */
export function defaultContainerName(project: string, service: string, number: number): string {
  return [project, service, String(number)].join(SEPARATOR);
}

/**
 * The name of replica `number` of `service`: its `container_name` when set (Compose refuses to
 * scale such a service past 1), else `<project>-<service>-<n>`. A service missing from the project
 * (disabled by a profile, say) gets the default name.
 */
export function containerName(project: Project, service: string, number: number): string {
  const custom = project.services[service]?.container_name;
  return custom !== undefined && custom !== "" ? custom : defaultContainerName(project.name, service, number);
}

/**
 * What a replacement's `com.docker.compose.replace` label holds: the slot it takes over, as
 * Compose 2.x writes it (`recreateContainer`): the service's `container_name`, else
 * `<service>-<n>` (no project prefix). Older releases wrote the replaced container's ID;
 * nothing reads the label back, so it only has to match what Compose writes today.
 */
export function replacedSlot(project: Project, service: string, number: number): string {
  const custom = project.services[service]?.container_name;
  return custom !== undefined && custom !== "" ? custom : [service, String(number)].join(SEPARATOR);
}

/**
 * The image a service without `image:` is built as: `<project>-<service>`, lowercased. Compose uses
 * the service name as written (`GetImageNameOrDefault`), so a service named `Web` makes a reference
 * the engine refuses ("repository name must be lowercase"); berth builds `demo-web` and creates
 * the container from that same name. The one place this name is made: build, create, `--rmi` and
 * `config --images` must all agree on it.
 */
export function defaultImageName(project: string, service: string): string {
  return [project, service].join(SEPARATOR).toLowerCase();
}

/** The name of a one-off container of `compose run` with the given slug (a random hex ID). */
export function oneOffName(project: string, service: string, slug: string): string {
  return [project, service, "run", slug.slice(0, 12)].join(SEPARATOR);
}

/** The temporary name of a container created to replace `replacedId` (renamed to `name` after). */
export function replacementName(replacedId: string, name: string): string {
  return `${replacedId.slice(0, 12)}_${name}`;
}

/**
 * The final name hidden in a replacement's temporary name (`<12 hex>_<name>`), or undefined when
 * `name` is not one. An interrupted recreate can leave `<id>_<id>_<name>`: every prefix is removed.
 */
export function replacedName(name: string): string | undefined {
  const match = /^(?:[0-9a-f]{12}_)+(.+)$/.exec(name);
  return match?.[1];
}

/**
 * The container number in a container's labels, or undefined when the label is missing or not an
 * integer (Compose warns and skips such containers when it picks the next number).
 */
export function containerNumber(labels: Readonly<Record<string, string>>): number | undefined {
  const value = labels[CONTAINER_NUMBER_LABEL];
  if (value === undefined || !/^-?\d+$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** The number Compose gives the next replica: one more than the highest in use (`nextContainerNumber`). */
export function nextContainerNumber(labelSets: readonly Readonly<Record<string, string>>[]): number {
  let max = 0;
  for (const labels of labelSets) {
    const n = containerNumber(labels);
    if (n !== undefined && n > max) max = n;
  }
  return max + 1;
}
