/** Shape checks for JSON read from files and answers, so its fields are read without a cast. */

/** A JSON object (not null, not an array): its fields are `unknown` until checked. */
export function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The object's fields, or none when `value` is not an object. */
export function fieldsOf(value: unknown): Readonly<Record<string, unknown>> {
  return isRecord(value) ? value : {};
}

/** The array's items, or none when `value` is not an array. */
export function itemsOf(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}
