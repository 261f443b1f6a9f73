/** `berth config`: load, validate and print the canonical project, as `docker compose config` does. */
import { writeFile } from "node:fs/promises";
import { imageReference } from "../../engine/desired.js";
import { UsageError } from "../../errors.js";
import { allProfiles } from "../../project/profiles.js";
import { renderProject } from "../../project/normalize.js";
import type { LoadedProject } from "../../project/load.js";
import type { Project } from "../../project/model.js";
import { withoutUnusedResources } from "../../project/resources.js";
import type { GlobalOptions } from "../global-options.js";
import type { ConfigFlags } from "../options/flags.js";
import { loadFromFlags, loadModelFromFlags, warnToStderr } from "../load-for-cli.js";
import { compareBytes, compareYamlKeys } from "../../project/key-order.js";
import { isMapping, type Mapping, type Node } from "../../project/tree.js";
import { extractVariables } from "../../project/variables.js";
import { tabwrite } from "../../ui/plain/go-template.js";

/** The project cut down to `services` and their dependencies (compose-go's WithSelectedServices). */
function onlySelected(loaded: LoadedProject, services: readonly string[]): Project {
  if (services.length === 0) return loaded.project;
  for (const name of services) {
    if (!Object.hasOwn(loaded.project.services, name)) throw new UsageError(`no such service: ${name}`);
  }
  const kept = loaded.graph.withDependencies(services);
  const selected = Object.entries(loaded.project.services).filter(([name]) => kept.has(name));
  return { ...loaded.project, services: Object.fromEntries(selected) };
}

export async function runConfig(
  globals: GlobalOptions,
  services: string[],
  flags: ConfigFlags,
): Promise<void> {
  const listing =
    flags.services === true ||
    flags.volumes === true ||
    flags.networks === true ||
    flags.profiles === true ||
    flags.images === true ||
    typeof flags.hash === "string";
  if (flags.variables === true) {
    await emit(await variablesText(globals, services, flags), flags.output);
    return;
  }
  if (flags.interpolate === false && flags.normalize !== false && !listing && flags.environment !== true) {
    // Compose renders the partly resolved model here, not the project: keys sorted, `$` as written.
    if (services.length > 0) {
      warnToStderr(
        "service filtering is not applied when --no-interpolate is set, the full model will be rendered",
      );
    }
    const model = await loadModelFromFlags(globals, {
      skipInterpolation: true,
      skipPathResolution: flags.pathResolution === false,
      skipConsistency: flags.consistency === false,
    });
    if (flags.quiet === true) return;
    const text =
      flags.format === "json"
        ? `${goJson(sortDeepBy(model, compareBytes))}\n`
        : (await import("yaml")).stringify(sortDeepBy(model, compareYamlKeys), YAML_OUTPUT);
    await emit(text, flags.output);
    return;
  }

  const loaded = await loadFromFlags(globals, {
    services,
    skipInterpolation: flags.interpolate === false,
    skipPathResolution: flags.pathResolution === false,
    skipConsistency: flags.consistency === false,
  });
  if (flags.quiet === true) return;
  // What Compose shows: the named services with what they depend on (all when none are named), and
  // no resource that none of those uses.
  const project = withoutUnusedResources(onlySelected(loaded, services));
  // Names print sorted, as Compose prints them.
  const selected = services.length > 0 ? services : Object.keys(project.services).sort();

  let text: string;
  if (flags.services === true) text = lines(selected);
  else if (flags.volumes === true) text = lines(Object.keys(project.volumes ?? {}).sort());
  else if (flags.networks === true) text = lines(Object.keys(project.networks ?? {}).sort());
  else if (flags.profiles === true)
    text = lines(allProfiles({ ...project.services, ...loaded.disabledServices }));
  else if (flags.environment === true) {
    // compose-go's Mapping.Values(): `KEY=value`, sorted.
    text = lines(
      Object.entries(project.environment ?? {})
        .map(([key, value]) => `${key}=${value}`)
        .sort(compareBytes),
    );
  } else if (flags.images === true) {
    text = lines(selected.map((name) => imageReference(project, name)));
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
        ? `${goJson(document)}\n`
        : (await import("yaml")).stringify(document, YAML_OUTPUT); // loaded only to print YAML
    // After interpolation a `$` left in a value is literal: Compose prints it escaped, so that the
    // output read back as a compose file means the same.
    if (flags.interpolate !== false) text = text.replaceAll("$", "$$$$");
  }
  await emit(text, flags.output);
}

/**
 * `config --variables`: the variables of the model read without interpolation, a row each, sorted
 * by name (Compose walks a Go map, in no fixed order): a table by default (Compose's
 * PrintPrettySection: columns at least 20 wide), or JSON / YAML keyed by name.
 */
async function variablesText(
  globals: GlobalOptions,
  services: readonly string[],
  flags: ConfigFlags,
): Promise<string> {
  if (services.length > 0) {
    warnToStderr(
      "service filtering is not applied when --variables is set, variables from the full model will be rendered",
    );
  }
  const model = await loadModelFromFlags(globals, {
    skipInterpolation: true,
    skipPathResolution: flags.pathResolution === false,
    skipConsistency: flags.consistency === false,
  });
  const variables = [...extractVariables(model).values()].sort((a, b) => compareBytes(a.name, b.name));
  if (flags.format === "json") {
    // Go's encoder: four-space indent, no HTML escaping; Println adds a blank line after it.
    const byName = Object.fromEntries(
      variables.map((v) => [
        v.name,
        { Name: v.name, DefaultValue: v.defaultValue, PresenceValue: v.presenceValue, Required: v.required },
      ]),
    );
    return `${JSON.stringify(byName, null, 4)}\n\n`;
  }
  if (flags.format === "yaml") {
    // go-yaml marshals the struct's fields lowercased, four spaces deep.
    const byName = Object.fromEntries(
      variables.map((v) => [
        v.name,
        { name: v.name, defaultvalue: v.defaultValue, presencevalue: v.presenceValue, required: v.required },
      ]),
    );
    return variables.length === 0
      ? "{}\n"
      : (await import("yaml")).stringify(byName, { ...YAML_OUTPUT, indent: 4 });
  }
  const rows = variables.map((v) => `${v.name}\t${v.required}\t${v.defaultValue}\t${v.presenceValue}\n`);
  return tabwrite(`NAME\tREQUIRED\tDEFAULT VALUE\tALTERNATE VALUE\n${rows.join("")}`, { minWidth: 20 });
}

async function emit(text: string, output: string | undefined): Promise<void> {
  if (output !== undefined) await writeFile(output, text);
  else process.stdout.write(text);
}

/** JSON as Go's encoding/json writes it: two-space indent, `<`, `>`, `&`, U+2028/9 escaped. */
function goJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** Every mapping's keys in `compare` order, as Go prints a map. */
function sortDeepBy(value: Node, compare: (a: string, b: string) => number): Node {
  if (Array.isArray(value)) return value.map((item) => sortDeepBy(item, compare));
  if (isMapping(value)) {
    const out: Mapping = {};
    for (const key of Object.keys(value).sort(compare)) out[key] = sortDeepBy(value[key] as Node, compare);
    return out;
  }
  return value;
}

/** go-yaml's look: two-space indent, indented sequences, no line folding. */
const YAML_OUTPUT = {
  indent: 2,
  indentSeq: true,
  lineWidth: 0,
  minContentWidth: 0,
  aliasDuplicateObjects: false,
} as const;

function lines(items: readonly string[]): string {
  return items.length === 0 ? "" : `${items.join("\n")}\n`;
}
