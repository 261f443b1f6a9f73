/**
 * The `com.docker.compose.*` labels, spelled as Docker Compose v2 spells them
 * (`docker/compose` `pkg/api/labels.go`), so `docker compose ps|ls|down|logs` sees berth's stacks and
 * berth sees Compose's.
 *
 * What Compose puts on a service container (`pkg/compose/create.go` `prepareLabels`, the CLI's
 * `ToProject` "custom labels", `ensureImagesExists`): project, service, version, project.working_dir,
 * project.config_files (comma-joined absolute paths), project.environment_file (only when `--env-file`
 * was given), oneoff (`False`; `True` plus a `slug` for `compose run`), container-number, config-hash,
 * depends_on (`svc:condition:restart`, comma-joined, present and empty when there are none), image
 * (the image ID the container was created from) and, for a container created to replace another,
 * replace (the slot it takes over, `web-1`: names.ts `replacedSlot`). The service's own `labels:`
 * are written first and the Compose labels override them.
 *
 * How Compose selects containers (`pkg/compose/containers.go` `getDefaultFilters`,
 * `pkg/compose/filters.go`): `project=<name>` AND the config-hash label present, plus `oneoff=False`
 * or `oneoff=True` when it excludes or wants one-off containers; `service=<name>` when one service is
 * asked for. `docker compose ls` lists any container with a project label. Networks and volumes carry
 * `project`, `network`/`volume` (the key in the file), `version` and `config-hash`.
 */
import type { LabelTerms } from "../runtime/runtime.js";

export const PROJECT_LABEL = "com.docker.compose.project";
export const SERVICE_LABEL = "com.docker.compose.service";
export const CONFIG_HASH_LABEL = "com.docker.compose.config-hash";
export const CONTAINER_NUMBER_LABEL = "com.docker.compose.container-number";
export const VOLUME_LABEL = "com.docker.compose.volume";
export const NETWORK_LABEL = "com.docker.compose.network";
export const WORKING_DIR_LABEL = "com.docker.compose.project.working_dir";
export const CONFIG_FILES_LABEL = "com.docker.compose.project.config_files";
export const ENVIRONMENT_FILE_LABEL = "com.docker.compose.project.environment_file";
export const ONEOFF_LABEL = "com.docker.compose.oneoff";
export const SLUG_LABEL = "com.docker.compose.slug";
/** The image ID (`sha256:…`) the container was created from; a change recreates the container. */
export const IMAGE_LABEL = "com.docker.compose.image";
export const DEPENDS_ON_LABEL = "com.docker.compose.depends_on";
export const VERSION_LABEL = "com.docker.compose.version";
/** On a container created to replace another (recreate): the slot it takes over (`web-1`). */
export const REPLACE_LABEL = "com.docker.compose.replace";

/** The values of the oneoff label. */
export const ONEOFF_TRUE = "True";
export const ONEOFF_FALSE = "False";

/**
 * The value berth writes in `com.docker.compose.version`: a Compose v2 release, on purpose, not
 * berth's own version.
 *
 * - Compose v2 writes its version there (`api.ComposeVersion`, the `X.Y.Z` core of its build) and
 *   never reads it: no filter, convergence rule or warning of `up`, `ps`, `ls` or `down` looks at it.
 * - docker-compose v1 (1.29) parses it as a version: `has_legacy_proj_name` asks whether it is
 *   below 1.21.0. `berth-0.1` makes that comparison raise (str against int) and `0.1.0` makes v1
 *   take the containers of a project named like its own without `-`/`_` as its own legacy ones and
 *   recreate them; a Compose version ≥ 1.21.0 is the only kind of value that is safe.
 * - IDEs group containers into Compose projects only when the label is set (an empty one is not).
 *
 * So a plain `X.Y.Z` of the last Compose v2 release whose container layout berth reproduces.
 */
export const COMPOSE_VERSION = "2.40.3";

/** The label terms that select every container, network and volume of a project. */
export function projectFilter(project: string): LabelTerms {
  return [`${PROJECT_LABEL}=${project}`];
}

/** The label terms that select the containers of one service of a project. */
export function serviceFilter(project: string, service: string): LabelTerms {
  return [...projectFilter(project), `${SERVICE_LABEL}=${service}`];
}

/**
 * The terms Compose uses to list a project's containers (`getDefaultFilters`): the project, the
 * config-hash label present, and optionally one service and the one-off selection.
 */
export function containersFilter(
  project: string,
  options: { readonly service?: string; readonly oneOff?: "include" | "exclude" | "only" } = {},
): LabelTerms {
  const terms = [...projectFilter(project)];
  if (options.service !== undefined) terms.push(`${SERVICE_LABEL}=${options.service}`);
  terms.push(CONFIG_HASH_LABEL);
  if (options.oneOff === "exclude") terms.push(`${ONEOFF_LABEL}=${ONEOFF_FALSE}`);
  if (options.oneOff === "only") terms.push(`${ONEOFF_LABEL}=${ONEOFF_TRUE}`);
  return terms;
}

/** True for a container Compose counts as a one-off (`isNotOneOff`: absent or `False` is not). */
export function isOneOff(labels: Readonly<Record<string, string>>): boolean {
  const value = labels[ONEOFF_LABEL];
  return value !== undefined && value !== ONEOFF_FALSE;
}
