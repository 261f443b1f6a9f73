/** `berth ps`'s operands and options (its code: ../commands/ps.ts). */
import { command } from "./command.js";
import { choice, type FlagsOf, flag, list } from "./define.js";

export const PS_OPTIONS = [
  flag("-a, --all", "show all stopped containers"),
  flag("-q, --quiet", "only display IDs"),
  flag("--services", "display services"),
  list(
    "--status <status>",
    "filter services by status (paused, restarting, removing, running, dead, created, exited; repeatable)",
  ),
  list("--filter <filter>", "filter services by a property (supported: status)"),
  choice("--format <format>", "output format", ["table", "json"], { default: "table" }),
] as const;

export type PsFlags = FlagsOf<typeof PS_OPTIONS>;

export const ps = command({
  name: "ps",
  description: "list containers",
  operands: { syntax: "[services...]", description: "only these services" },
  options: PS_OPTIONS,
  run: async (globals, services, flags) =>
    (await import("../commands/ps.js")).runPs(globals, services, flags),
});
