/**
 * Cross-references the schema cannot see: every network, volume, secret and config a service names
 * must be declared at the top level, and every service needs an image or a build. Runs on the
 * normalized model, over the active services only (a disabled service may name things nobody declares).
 */
import { LoadError } from "../errors.js";
import type { Project, Service } from "./model.js";
import { locateReference, referenceAt } from "./references.js";
import type { SourceMap } from "./source-map.js";
import type { Mapping } from "./tree.js";

/** The merged tree (as the files wrote it) and where each of its values was written. */
export interface Written {
  readonly tree: Mapping;
  readonly sources: SourceMap;
}

export function checkConsistency(project: Project, written: Written): void {
  for (const name of Object.keys(project.services).sort()) {
    const service = project.services[name];
    if (service) checkService(project, name, service, written);
  }
}

type Kind = "networks" | "volumes" | "secrets" | "configs";

function checkService(project: Project, name: string, service: Service, written: Written): void {
  if (service.image === undefined && service.build === undefined) {
    throw new LoadError(
      `service "${name}" has neither an image nor a build context specified`,
      written.sources.keyAt(["services", name]),
    );
  }
  /** An undefined reference: the error points at where the service names it. */
  const undefinedRef = (kind: Kind, what: string, ref: string): never => {
    const reference = referenceAt(written.tree, name, kind, ref);
    const location = reference
      ? locateReference(written.sources, reference)
      : written.sources.keyAt(["services", name, kind]);
    throw new LoadError(`service "${name}" refers to undefined ${what} "${ref}"`, location);
  };
  for (const network of Object.keys(service.networks ?? {})) {
    if (!Object.hasOwn(project.networks ?? {}, network)) undefinedRef("networks", "network", network);
  }
  for (const volume of service.volumes ?? []) {
    if (volume.type === "volume" && volume.source && !Object.hasOwn(project.volumes ?? {}, volume.source)) {
      undefinedRef("volumes", "volume", volume.source);
    }
  }
  for (const secret of service.secrets ?? []) {
    if (!Object.hasOwn(project.secrets ?? {}, secret.source))
      undefinedRef("secrets", "secret", secret.source);
  }
  for (const config of service.configs ?? []) {
    if (!Object.hasOwn(project.configs ?? {}, config.source))
      undefinedRef("configs", "config", config.source);
  }
}
