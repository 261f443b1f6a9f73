/**
 * Rows of cells through the shared Go tabwriter (go-template.ts): each row's cells joined by tabs,
 * each line ended by a newline. Compose and the Docker CLI pick different settings per command
 * (Compose's tables 20/3, `top` 4/2; Docker's formatter 10/3), so they are parameters.
 */
import { tabwrite } from "./go-template.js";

export interface TabwriterOptions {
  readonly minWidth: number;
  readonly padding: number;
}

export function tabwriteRows(rows: readonly (readonly string[])[], options: TabwriterOptions): string {
  return tabwrite(rows.map((row) => `${row.join("\t")}\n`).join(""), options);
}
