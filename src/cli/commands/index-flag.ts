/** `--index N`: which replica (1-based, as the container-number label counts); 0 or absent is "the first". */
import { UsageError } from "../../errors.js";

export function parseIndex(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`invalid --index "${value}": expected a replica number`);
  return Number(value);
}
