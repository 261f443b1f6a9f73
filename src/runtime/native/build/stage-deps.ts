/**
 * Which stages a build needs: the target and, transitively, the stages it names in FROM or
 * `COPY --from` (by name or index). The others are skipped, as BuildKit (what Compose v2 builds
 * with) skips them; the classic builder would run them all. Pure.
 */
import { InvalidRequestError } from "../../errors.js";
import type { Dockerfile, Stage } from "./dockerfile.js";

/** The earlier stage `ref` names (a stage name, any case, or an index), if any. */
export function stageNamed(dockerfile: Dockerfile, ref: string, before: number): Stage | undefined {
  const lower = ref.toLowerCase();
  const byName = dockerfile.stages.find((s) => s.index < before && s.name === lower);
  if (byName) return byName;
  if (/^\d+$/.test(ref)) {
    const index = Number(ref);
    if (index >= before)
      throw new InvalidRequestError(
        `invalid from flag value ${ref}: refers to current or future build stage`,
      );
    return dockerfile.stages[index];
  }
  return undefined;
}

/** The index of the stage `target` names (the last stage when undefined or empty). */
export function targetIndex(dockerfile: Dockerfile, target?: string): number {
  if (target === undefined || target === "") return dockerfile.stages.length - 1;
  const index = dockerfile.stages.findIndex((s) => s.name === target.toLowerCase());
  if (index < 0) throw new InvalidRequestError(`failed to reach build target ${target} in Dockerfile`);
  return index;
}

/**
 * The indexes (ascending) of the stages the target needs. `expand` gives a word's value in the
 * stage (its ARGs known before the build: meta args, build args, defaults).
 */
export function neededStages(
  dockerfile: Dockerfile,
  target: number,
  expand: (stage: Stage, word: string) => string,
): number[] {
  const needed = new Set<number>();
  const visit = (stage: Stage): void => {
    if (needed.has(stage.index)) return;
    needed.add(stage.index);
    const base = stageNamed(dockerfile, expand(stage, stage.base), stage.index);
    if (base) visit(base);
    for (const ins of stage.instructions) {
      if (ins.keyword !== "COPY") continue;
      const from = ins.flags.findLast((f) => f.name === "from")?.value;
      if (from === undefined) continue;
      const ref = stageNamed(dockerfile, expand(stage, from), stage.index);
      if (ref) visit(ref);
    }
  };
  visit(dockerfile.stages[target]!);
  return [...needed].sort((a, b) => a - b);
}
