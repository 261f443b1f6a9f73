/**
 * Cross-references the schema cannot see: every network, volume, secret and config a service names
 * must be declared at the top level, and every service needs an image or a build. Runs on the
 * normalized model, over the active services only (a disabled service may name things nobody declares).
 */
import { LoadError } from "../errors.js";
import type { Project, Service } from "./model.js";
import type { SourceMap } from "./source-map.js";
import type { Path } from "./tree.js";

export function checkConsistency(project: Project, sources: SourceMap): void {
  for (const name of Object.keys(project.services).sort()) {
    const service = project.services[name];
    if (service) checkService(project, name, service, sources);
  }
}

function checkService(project: Project, name: string, service: Service, sources: SourceMap): void {
  const fail = (message: string, path: Path): never => {
    throw new LoadError(message, sources.keyAt(path) ?? sources.valueAt(path));
  };
  const at = (...rest: (string | number)[]): Path => ["services", name, ...rest];

  if (service.image === undefined && service.build === undefined) {
    fail(`service "${name}" has neither an image nor a build context specified`, at());
  }
  for (const network of Object.keys(service.networks ?? {})) {
    if (!Object.hasOwn(project.networks ?? {}, network)) {
      fail(`service "${name}" refers to undefined network "${network}"`, at("networks", network));
    }
  }
  (service.volumes ?? []).forEach((volume, index) => {
    if (volume.type === "volume" && volume.source && !Object.hasOwn(project.volumes ?? {}, volume.source)) {
      fail(`service "${name}" refers to undefined volume "${volume.source}"`, at("volumes", index));
    }
  });
  (service.secrets ?? []).forEach((secret, index) => {
    if (!Object.hasOwn(project.secrets ?? {}, secret.source)) {
      fail(`service "${name}" refers to undefined secret "${secret.source}"`, at("secrets", index));
    }
  });
  (service.configs ?? []).forEach((config, index) => {
    if (!Object.hasOwn(project.configs ?? {}, config.source)) {
      fail(`service "${name}" refers to undefined config "${config.source}"`, at("configs", index));
    }
  });
}
