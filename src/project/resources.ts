/**
 * The project as Compose shows it (compose-go `WithoutUnnecessaryResources`): the networks,
 * volumes, secrets, configs and models that no active service uses are left out. "Used" is what a
 * service names: its networks (the implicit `default` too, which normalize adds), the sources of its
 * `volume` mounts, its secrets and build secrets, its configs and models. `volumes_from` shares
 * another container's mounts and uses no top-level volume by itself.
 */
import type { Project } from "./model.js";

export function withoutUnusedResources(project: Project): Project {
  const networks = new Set<string>();
  const volumes = new Set<string>();
  const secrets = new Set<string>();
  const configs = new Set<string>();
  const models = new Set<string>();
  for (const service of Object.values(project.services)) {
    for (const key of Object.keys(service.networks ?? {})) networks.add(key);
    for (const mount of service.volumes ?? []) {
      if (mount.type === "volume" && mount.source) volumes.add(mount.source);
    }
    for (const secret of service.secrets ?? []) secrets.add(secret.source);
    for (const secret of service.build?.secrets ?? []) secrets.add(secret.source);
    for (const config of service.configs ?? []) configs.add(config.source);
    for (const key of Object.keys(service.models ?? {})) models.add(key);
  }
  return {
    ...project,
    networks: only(project.networks, networks),
    volumes: only(project.volumes, volumes),
    secrets: only(project.secrets, secrets),
    configs: only(project.configs, configs),
    models: only(project.models, models),
  };
}

function only<T>(section: Readonly<Record<string, T>>, used: ReadonlySet<string>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const key of Object.keys(section)) if (used.has(key)) out[key] = section[key] as T;
  return out;
}
