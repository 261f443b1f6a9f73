/**
 * `berth scale`, `stop`, `start` and `restart`: operands and options (their code: ../commands/).
 * One file for the four, as each declares a line or two.
 */
import { command } from "./command.js";
import type { FlagsOf } from "./define.js";
import { timeout } from "./shared.js";

export const scale = command({
  name: "scale",
  description: "scale services",
  operands: { syntax: "<SERVICE=REPLICAS...>", description: "services and their number of replicas" },
  options: [],
  run: async (globals, pairs) => (await import("../commands/scale.js")).runScale(globals, pairs),
});

export const STOP_OPTIONS = [timeout()] as const;
export type StopFlags = FlagsOf<typeof STOP_OPTIONS>;

export const stop = command({
  name: "stop",
  description: "stop services",
  operands: { syntax: "[services...]", description: "only these services" },
  options: STOP_OPTIONS,
  run: async (globals, services, flags) =>
    (await import("../commands/stop.js")).runStop(globals, services, flags),
});

export const start = command({
  name: "start",
  description: "start services",
  operands: { syntax: "[services...]", description: "only these services" },
  options: [],
  run: async (globals, services) => (await import("../commands/start.js")).runStart(globals, services),
});

export const RESTART_OPTIONS = [timeout()] as const;
export type RestartFlags = FlagsOf<typeof RESTART_OPTIONS>;

export const restart = command({
  name: "restart",
  description: "restart service containers",
  operands: { syntax: "[services...]", description: "only these services" },
  options: RESTART_OPTIONS,
  run: async (globals, services, flags) =>
    (await import("../commands/restart.js")).runRestart(globals, services, flags),
});
