/**
 * Step 5 of normalize: the canonical tree → the model's types, field by field as the field table
 * (`fields.ts`) says, the way compose-go's mapstructure hooks decode it. The structs list their
 * fields in compose-go's order, which is the order `config` prints.
 */
import type { DecodeContext } from "./decode-context.js";
import { extensionsOf, mapOf, type FieldType } from "./decoders.js";
import { SECTIONS } from "./fields.js";
import type { FileObject, Model, Network, Project, Service, Volume } from "./model.js";
import type { Mapping } from "./tree.js";

/** What the Project carries besides the decoded sections. */
export interface ProjectInfo {
  readonly projectName: string;
  /** Absolute project directory. */
  readonly workingDir: string;
  readonly environment?: Readonly<Record<string, string>> | undefined;
}

export function decodeProject(dict: Mapping, info: ProjectInfo, cx: DecodeContext): Project {
  const section = <T>(key: keyof typeof SECTIONS): Record<string, T> => {
    const value = dict[key];
    if (value === undefined || value === null) return {};
    const type: FieldType = SECTIONS[key];
    return (mapOf(type).decode(value, [key], cx) ?? {}) as Record<string, T>;
  };
  const services = section<Service>("services");
  const extensions = extensionsOf(dict);

  for (const [name, service] of Object.entries(services)) {
    const scale = service.scale;
    const deploy = service.deploy as { replicas?: number } | undefined;
    if (scale !== undefined && deploy !== undefined) {
      if (deploy.replicas !== undefined && deploy.replicas !== scale) {
        throw cx.error(
          ["services", name, "scale"],
          "can't set distinct values on 'scale' and 'deploy.replicas'",
        );
      }
      (services[name] as { deploy: unknown }).deploy = withReplicas(service.deploy ?? {}, scale);
    }
  }

  return {
    name: info.projectName,
    workingDir: info.workingDir,
    services,
    networks: section<Network>("networks"),
    volumes: section<Volume>("volumes"),
    secrets: section<FileObject>("secrets"),
    configs: section<FileObject>("configs"),
    models: section<Model>("models"),
    ...(Object.keys(extensions).length > 0 ? { extensions } : {}),
    ...(info.environment ? { environment: info.environment } : {}),
  };
}

/** `deploy` with `replicas` set, keeping compose-go's field order. */
function withReplicas(deploy: object, replicas: number): object {
  const out: Record<string, unknown> = {};
  const entries = Object.entries(deploy);
  let placed = false;
  for (const [key, value] of entries) {
    if (key === "replicas") continue;
    if (!placed && key !== "mode") {
      out.replicas = replicas;
      placed = true;
    }
    out[key] = value;
  }
  if (!placed) out.replicas = replicas;
  return out;
}
