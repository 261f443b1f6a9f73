/**
 * A test hook, not a feature: `BERTH_FAULT_KILL_AT=<step>[:<k>]` makes the process SIGKILL itself
 * the k-th time (the first when `:k` is left out) the executor reaches `<step>`, so the reliability
 * tests can stop a real `berth up`/`down` at an exact point, as a crash or `kill -9` would.
 *
 * Steps, each counted over the whole process in the order they complete:
 * `network-created`, `volume-created`, `container-created` (right after the engine made the
 * container, before its files are copied in), `recreate-tmp-created` (a replacement exists under
 * its temporary name, the old container still runs), `container-started`, `container-stopped`,
 * `container-removed`, `container-renamed`, `network-removed`.
 *
 * The variable is read once, when the executor loads this module; unset, `faultPoint` is a no-op.
 */

export type FaultStep =
  | "network-created"
  | "volume-created"
  | "container-created"
  | "recreate-tmp-created"
  | "container-started"
  | "container-stopped"
  | "container-removed"
  | "container-renamed"
  | "network-removed";

export interface FaultTarget {
  readonly step: string;
  readonly count: number;
}

/** `step` or `step:k` (k ≥ 1); undefined for an unset, empty or malformed value. */
export function parseFaultTarget(value: string | undefined): FaultTarget | undefined {
  const match = /^([a-z-]+)(?::(\d+))?$/.exec(value?.trim() ?? "");
  if (!match?.[1]) return undefined;
  const count = match[2] === undefined ? 1 : Number(match[2]);
  return count >= 1 ? { step: match[1], count } : undefined;
}

/** A counter that calls `fire` when `target`'s step is reached for the target's count-th time. */
export function faultCounter(target: FaultTarget, fire: () => void): (step: FaultStep) => void {
  let seen = 0;
  return (step) => {
    if (step === target.step && ++seen === target.count) fire();
  };
}

const target = parseFaultTarget(process.env["BERTH_FAULT_KILL_AT"]);

/** Marks that `step` was just completed; kills the process when it is the configured target. */
export const faultPoint: (step: FaultStep) => void =
  target === undefined
    ? () => undefined
    : faultCounter(target, () => {
        process.kill(process.pid, "SIGKILL");
      });
