/**
 * The `code` of a failed system call (`ENOENT`, `EPERM`…): Node throws such errors as `unknown`, so
 * the field is checked here rather than cast where it is read.
 */
export function errnoCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null || !("code" in error)) return undefined;
  return typeof error.code === "string" ? error.code : undefined;
}
