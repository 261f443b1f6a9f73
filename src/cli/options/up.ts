/** `berth up`'s operands and options (its code: ../commands/up.ts). */
import { command } from "./command.js";
import { choice, type FlagsOf, flag, list, negation, refuseBoth, value } from "./define.js";
import { timeout } from "./shared.js";

export const UP_OPTIONS = [
  flag("-d, --detach", "run containers in the background"),
  flag("--build", "build images before starting containers"),
  negation("--no-build", "do not build an image, even if it is missing"),
  choice("--pull <policy>", "pull images before running", ["always", "missing", "never", "policy"]),
  flag("--force-recreate", "recreate containers even if their configuration has not changed"),
  negation("--no-recreate", "if containers already exist, do not recreate them"),
  negation("--no-deps", "do not start linked services"),
  flag("--remove-orphans", "remove containers for services not defined in the compose file"),
  list("--scale <SERVICE=NUM>", "scale SERVICE to NUM instances (repeatable)"),
  flag("--wait", "wait for services to be running|healthy (implies --detach)"),
  value("--wait-timeout <seconds>", "maximum duration to wait for the project to be running|healthy"),
  negation("--no-start", "do not start the services after creating them"),
  flag("--abort-on-container-exit", "stop all containers if any container was stopped"),
  value("--exit-code-from <service>", "return the exit code of the selected service container"),
  timeout(),
  list("--attach <service>", "only print the output of these services (repeatable)"),
  list("--no-attach <service>", "do not print the output of these services (repeatable)"),
  flag("--attach-dependencies", "also print the output of the services' dependencies"),
  negation("--no-log-prefix", "do not print a prefix in logs"),
  negation("--no-color", "produce monochrome output"),
  flag("--timestamps", "show timestamps"),
  flag("--dry-run", "print the plan and do nothing"),
  negation("--no-dashboard", "on a terminal, print plain prefixed logs instead of the dashboard"),
] as const;

export type UpFlags = FlagsOf<typeof UP_OPTIONS>;

export const up = command({
  name: "up",
  description: "create and start containers, then print their output (unless detached)",
  operands: { syntax: "[services...]", description: "only these services (and what they depend on)" },
  options: UP_OPTIONS,
  configure: (command) => refuseBoth(command, "build"),
  run: async (globals, services, flags) =>
    (await import("../commands/up.js")).runUp(globals, services, flags),
});
