/** `berth dashboard`'s options (its code: ../commands/dashboard.ts). */
import { command } from "./command.js";
import { type FlagsOf, flag, negation } from "./define.js";
import { timeout } from "./shared.js";

export const DASHBOARD_OPTIONS = [
  timeout(),
  negation("--no-color", "no colours"),
  flag("--timestamps", "show timestamps in the logs pane"),
] as const;

export type DashboardFlags = FlagsOf<typeof DASHBOARD_OPTIONS>;

export const dashboard = command({
  name: "dashboard",
  description: "the interactive dashboard for the running stack (needs a terminal)",
  options: DASHBOARD_OPTIONS,
  run: async (globals, _operands, flags) =>
    (await import("../commands/dashboard.js")).runDashboard(globals, flags),
});
