/** `berth down`'s options (its code: ../commands/down.ts). */
import { command } from "./command.js";
import { choice, type FlagsOf, flag } from "./define.js";
import { timeout } from "./shared.js";

export const DOWN_OPTIONS = [
  flag("-v, --volumes", "remove named volumes declared in the volumes section and anonymous volumes"),
  choice("--rmi <type>", "remove images used by services", ["local", "all"]),
  flag("--remove-orphans", "remove containers for services not defined in the compose file"),
  timeout(),
] as const;

export type DownFlags = FlagsOf<typeof DOWN_OPTIONS>;

export const down = command({
  name: "down",
  description: "stop and remove containers and networks",
  options: DOWN_OPTIONS,
  run: async (globals, _operands, flags) => (await import("../commands/down.js")).runDown(globals, flags),
});
