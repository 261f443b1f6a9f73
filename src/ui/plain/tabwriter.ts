/**
 * Rows aligned as Go's text/tabwriter aligns tab-separated cells (padding with spaces, no flags):
 * each column as wide as its widest cell plus `padding`, at least `minWidth`; the last cell of a
 * line is not a column and is never padded. Compose and the Docker CLI pick different settings per
 * command (Compose's tables 20/3, `top` 4/2; Docker's formatter 10/3), so they are parameters.
 */
export interface TabwriterOptions {
  readonly minWidth: number;
  readonly padding: number;
}

export function tabwrite(rows: readonly (readonly string[])[], options: TabwriterOptions): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      if (i === row.length - 1) return;
      widths[i] = Math.max(widths[i] ?? options.minWidth, [...cell].length + options.padding);
    });
  }
  const pad = (cell: string, width: number): string =>
    cell + " ".repeat(Math.max(0, width - [...cell].length));
  return rows
    .map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : pad(cell, widths[i] ?? 0))).join(""))
    .map((line) => `${line}\n`)
    .join("");
}
