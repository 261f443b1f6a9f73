/**
 * Whether `berth up` opens the dashboard (pure; imported by up.ts without loading Ink). Only for
 * an attached `up` on a terminal (stdin and stdout both TTYs) that asked for nothing else:
 * `-d`/`--wait`/`--no-start`, `--no-dashboard`, `--progress plain|json|quiet` and the exit-code
 * modes (`--abort-on-container-exit`, `--exit-code-from`) keep today's plain output.
 */
import type { ProgressMode } from "../select.js";

export interface DashboardChoice {
  readonly stdinTTY: boolean;
  readonly stdoutTTY: boolean;
  /** Commander's value for `--no-dashboard`: false when given. */
  readonly flag: unknown;
  readonly detach: boolean;
  readonly abortOnExit: boolean;
  readonly progress: ProgressMode;
}

export function wantsDashboard(choice: DashboardChoice): boolean {
  return (
    choice.flag !== false &&
    choice.stdinTTY &&
    choice.stdoutTTY &&
    !choice.detach &&
    !choice.abortOnExit &&
    (choice.progress === "auto" || choice.progress === "tty")
  );
}
