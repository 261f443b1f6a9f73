/**
 * Docker's restart policies as its restart manager applies them
 * (moby daemon/internal/restartmanager/restartmanager.go), as a pure function of one exit.
 *
 * - `no`: never; `always`: after any exit; `unless-stopped`: unless stopped by hand;
 *   `on-failure[:N]`: after a non-zero exit, at most N restarts (N = 0: no limit), counted by the
 *   container's restart count.
 * - The delay starts at 100 ms and doubles per restart up to 1 min; a run of 10 s or more resets it.
 *   The delay is updated on every exit, whether or not the container comes back, as Docker does.
 * - A stop by hand cancels the restart manager in Docker (`always` included) until the next start:
 *   a container stopped by hand is not restarted, whatever its policy.
 */
import type { RestartPolicy } from "../../runtime.js";

export const INITIAL_DELAY_MS = 100;
export const MAX_DELAY_MS = 60_000;
/** A run at least this long resets the delay. */
export const RESET_AFTER_MS = 10_000;

export interface RestartInput {
  readonly policy: RestartPolicy | undefined;
  readonly exitCode: number;
  readonly stoppedByUser: boolean;
  /** Restarts made so far (the container's restart count). */
  readonly restartCount: number;
  /** How long the run that ended lasted. */
  readonly runMs: number;
  /** The delay used last time (0: none yet, as for a fresh restart manager). */
  readonly previousDelayMs: number;
}

export interface RestartDecision {
  readonly restart: boolean;
  /** The wait before the restart; kept as the next decision's `previousDelayMs`. */
  readonly delayMs: number;
}

export function isRestartPolicyActive(policy: RestartPolicy | undefined): boolean {
  return policy !== undefined && policy.name !== "no";
}

export function decideRestart(input: RestartInput): RestartDecision {
  const { policy } = input;
  if (!isRestartPolicyActive(policy) || policy === undefined) {
    return { restart: false, delayMs: input.previousDelayMs };
  }
  let delayMs = input.runMs >= RESET_AFTER_MS ? 0 : input.previousDelayMs;
  delayMs = delayMs <= 0 ? INITIAL_DELAY_MS : Math.min(delayMs * 2, MAX_DELAY_MS);
  if (input.stoppedByUser) return { restart: false, delayMs };
  switch (policy.name) {
    case "always":
    case "unless-stopped":
      return { restart: true, delayMs };
    case "on-failure": {
      const max = policy.maximumRetryCount ?? 0;
      const within = max <= 0 || input.restartCount < max;
      return { restart: within && input.exitCode !== 0, delayMs };
    }
    default:
      return { restart: false, delayMs };
  }
}
