/** `berth config`'s operands and options (its code: ../commands/config.ts). */
import { command } from "./command.js";
import { choice, type FlagsOf, flag, negation, value } from "./define.js";

export const CONFIG_OPTIONS = [
  choice("--format <format>", "output format", ["yaml", "json"], { default: "yaml" }),
  value("-o, --output <path>", "write to a file instead of stdout"),
  flag("-q, --quiet", "only validate; print nothing"),
  flag("--services", "print the service names, one per line"),
  flag("--volumes", "print the volume names, one per line"),
  flag("--networks", "print the network names, one per line"),
  flag("--profiles", "print the profile names, one per line"),
  flag("--images", "print the image names, one per line"),
  value("--hash <services>", 'print the config hash of services ("*" for all)'),
  negation("--no-interpolate", "do not substitute ${VAR} variables"),
  negation("--no-normalize", "print the merged model without normalizing it"),
  negation("--no-path-resolution", "keep relative paths as written"),
  negation("--no-consistency", "skip cross-reference checks"),
] as const;

export type ConfigFlags = FlagsOf<typeof CONFIG_OPTIONS>;

export const config = command({
  name: "config",
  description: "validate the project and print its canonical form",
  operands: { syntax: "[services...]", description: "only these services" },
  options: CONFIG_OPTIONS,
  run: async (globals, services, flags) =>
    (await import("../commands/config.js")).runConfig(globals, services, flags),
});
