/**
 * A test hook, not a feature: `BERTH_FAULT_KILL_AT=<step>[:<k>][@<ms>]` makes the process SIGKILL
 * itself the k-th time (the first when `:k` is left out) the executor reaches `<step>`, so the
 * reliability tests can stop a real `berth up`/`down` at an exact point, as a crash or `kill -9`
 * would. With `@ms` the kill comes that long after the step, while the call that follows it is in
 * flight (the engine carries on with it alone).
 *
 * Steps, each counted over the whole process in the order they are reached:
 * `network-created`, `volume-created`, `container-created` (right after the engine made the
 * container, before its files are copied in), `recreate-tmp-created` (a replacement exists under
 * its temporary name, the old container still runs), `container-stopping` (a stop is about to be
 * asked for; `container-stopping@500` kills while the engine is stopping a container that takes its
 * time to exit), `container-stopped`, `container-removed`, `container-renamed`, `container-started`,
 * `network-removed`.
 *
 * The variable is read once, when the executor loads this module; unset, `faultPoint` is a no-op.
 */

export type FaultStep =
  | "network-created"
  | "volume-created"
  | "container-created"
  | "recreate-tmp-created"
  | "container-started"
  | "container-stopping"
  | "container-stopped"
  | "container-removed"
  | "container-renamed"
  | "network-removed";

export interface FaultTarget {
  readonly step: string;
  readonly count: number;
  /** Milliseconds from reaching the step to the kill; 0 kills at once. */
  readonly delayMs: number;
}

/** `step`, `step:k` (k ≥ 1), each optionally `@ms`; undefined for an unset, empty or malformed value. */
export function parseFaultTarget(value: string | undefined): FaultTarget | undefined {
  const match = /^([a-z-]+)(?::(\d+))?(?:@(\d+))?$/.exec(value?.trim() ?? "");
  if (!match?.[1]) return undefined;
  const count = match[2] === undefined ? 1 : Number(match[2]);
  const delayMs = match[3] === undefined ? 0 : Number(match[3]);
  return count >= 1 ? { step: match[1], count, delayMs } : undefined;
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
        const kill = (): void => void process.kill(process.pid, "SIGKILL");
        // A pending (ref'd) timer keeps the process alive until it fires: the run always ends killed.
        if (target.delayMs > 0) setTimeout(kill, target.delayMs);
        else kill();
      });
