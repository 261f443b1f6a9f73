/** `berth config`: load, validate and print the canonical project, as `docker compose config` does. */
import { writeFile } from "node:fs/promises";
import { UsageError } from "../../errors.js";
import { allProfiles } from "../../project/profiles.js";
import { renderProject } from "../../project/normalize.js";
import type { GlobalOptions } from "../global-options.js";
import { loadFromFlags } from "../load-for-cli.js";

export interface ConfigFlags {
  format?: unknown;
  output?: unknown;
  quiet?: unknown;
  services?: unknown;
  volumes?: unknown;
  networks?: unknown;
  profiles?: unknown;
  images?: unknown;
  hash?: unknown;
  interpolate?: unknown;
  normalize?: unknown;
  pathResolution?: unknown;
  consistency?: unknown;
}

export async function runConfig(
  globals: GlobalOptions,
  services: string[],
  flags: ConfigFlags,
): Promise<void> {
  const loaded = await loadFromFlags(globals, {
    services,
    skipInterpolation: flags.interpolate === false,
    skipPathResolution: flags.pathResolution === false,
    skipConsistency: flags.consistency === false,
  });
  if (flags.quiet === true) return;
  const { project } = loaded;
  // Names print sorted, as Compose prints them.
  const selected = services.length > 0 ? services : Object.keys(project.services).sort();

  let text: string;
  if (flags.services === true) text = lines(selected);
  else if (flags.volumes === true) text = lines(Object.keys(project.volumes ?? {}).sort());
  else if (flags.networks === true) text = lines(Object.keys(project.networks ?? {}).sort());
  else if (flags.profiles === true)
    text = lines(allProfiles({ ...project.services, ...loaded.disabledServices }));
  else if (flags.images === true) {
    text = lines(
      selected.map((name) => project.services[name]?.image ?? defaultImageName(project.name, name)),
    );
  } else if (typeof flags.hash === "string") {
    const { serviceConfigHash } = await import("../../engine/hash.js"); // node:crypto only when asked
    const wanted =
      flags.hash === "*" ? Object.keys(project.services).sort() : flags.hash.split(",").map((s) => s.trim());
    text = lines(
      wanted.map((name) => {
        const service = project.services[name];
        if (!service) throw new UsageError(`no such service: ${name}`);
        return `${name} ${serviceConfigHash(service)}`;
      }),
    );
  } else {
    const document =
      flags.normalize === false ? { name: project.name, ...loaded.merged } : renderProject(project);
    text =
      flags.format === "json"
        ? `${JSON.stringify(document, null, 2)}\n`
        : (await import("yaml")).stringify(document, YAML_OUTPUT); // loaded only to print YAML
  }

  if (typeof flags.output === "string") await writeFile(flags.output, text);
  else process.stdout.write(text);
}

/** go-yaml's look: two-space indent, indented sequences, no line folding. */
const YAML_OUTPUT = {
  indent: 2,
  indentSeq: true,
  lineWidth: 0,
  minContentWidth: 0,
  aliasDuplicateObjects: false,
} as const;

/** The image Compose builds for a service without `image:`: `<project>-<service>`. */
export function defaultImageName(project: string, service: string): string {
  return `${project}-${service}`;
}

function lines(items: readonly string[]): string {
  return items.length === 0 ? "" : `${items.join("\n")}\n`;
}
