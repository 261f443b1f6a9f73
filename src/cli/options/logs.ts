/** `berth logs`'s operands and options (its code: ../commands/logs.ts). */
import { command } from "./command.js";
import { type FlagsOf, flag, negation, value } from "./define.js";

export const LOGS_OPTIONS = [
  flag("-f, --follow", "follow log output"),
  value("--tail <n>", 'number of lines to show from the end of the logs for each container, or "all"'),
  value("--since <time>", "show logs since a timestamp (2013-01-02T13:23:37Z) or relative (42m)"),
  value("--until <time>", "show logs before a timestamp (2013-01-02T13:23:37Z) or relative (42m)"),
  flag("-t, --timestamps", "show timestamps"),
  negation("--no-color", "produce monochrome output"),
  negation("--no-log-prefix", "do not print a prefix in logs"),
  value("--index <n>", "index of the container if the service has multiple replicas"),
] as const;

export type LogsFlags = FlagsOf<typeof LOGS_OPTIONS>;

export const logs = command({
  name: "logs",
  description: "view output from containers",
  operands: { syntax: "[services...]", description: "only these services" },
  options: LOGS_OPTIONS,
  run: async (globals, services, flags) =>
    (await import("../commands/logs.js")).runLogs(globals, services, flags),
});
