/**
 * The critical path of an `up`: the chain of services that decided how long it took. It ends at
 * the service that became ready last; each step back is the dependency of the current service that
 * became ready last (the one whose condition released it). Pure over the timeline and the edges.
 *
 *     db (ready 2.1s) → api (start 2.2s, ready 2.4s) → web (start 2.5s, ready 2.6s)
 */
import type { ServiceDef, UpTimeline } from "./model.js";

export interface PathStep {
  readonly service: string;
  /** Milliseconds after the `up` began; undefined when the service was not started by it. */
  readonly started: number | undefined;
  readonly ready: number | undefined;
}

export interface CriticalPath {
  readonly steps: readonly PathStep[];
  /** From the `up`'s start to the last service ready. */
  readonly totalMs: number;
}

export function criticalPath(
  services: readonly ServiceDef[],
  timeline: UpTimeline | undefined,
): CriticalPath | undefined {
  if (!timeline) return undefined;
  const origin = timeline.startedAt;
  const readyAt = (name: string): number | undefined => timeline.services[name]?.ready;
  let end: string | undefined;
  for (const def of services) {
    const ready = readyAt(def.name);
    if (ready === undefined) continue;
    const best = end === undefined ? undefined : readyAt(end);
    if (best === undefined || ready > best) end = def.name;
  }
  if (end === undefined) return undefined;

  const byName = new Map(services.map((s) => [s.name, s]));
  const steps: PathStep[] = [];
  const seen = new Set<string>();
  for (let current: string | undefined = end; current !== undefined && !seen.has(current);) {
    seen.add(current);
    const timing = timeline.services[current];
    steps.unshift({
      service: current,
      started: timing?.started === undefined ? undefined : timing.started - origin,
      ready: timing?.ready === undefined ? undefined : timing.ready - origin,
    });
    let gate: string | undefined;
    for (const dep of byName.get(current)?.dependsOn ?? []) {
      const ready = readyAt(dep.service);
      if (ready === undefined) continue;
      const best = gate === undefined ? undefined : readyAt(gate);
      if (best === undefined || ready > best) gate = dep.service;
    }
    current = gate;
  }
  return { steps, totalMs: (readyAt(end) ?? origin) - origin };
}
