/**
 * Types for compose-validator.generated.js, which scripts/build-validator.mjs writes from
 * schemas/compose-spec.json (ajv standalone code, `allErrors: true`, `messages: false`).
 */

/** One ajv error object, as the generated code builds it (no `message`: messages are ours). */
export interface SchemaError {
  /** JSON pointer into the validated tree: `/services/web/ports/1`. */
  readonly instancePath: string;
  /** Where in the schema: `#/properties/build/oneOf`; relative to the definition a `$ref` named. */
  readonly schemaPath: string;
  readonly keyword: string;
  /** Keyword-specific details, e.g. `{ type: "string" }`, `{ additionalProperty: "x" }`. */
  readonly params: Readonly<Record<string, unknown>>;
}

export interface ComposeValidator {
  /** True when `data` satisfies the schema; otherwise `errors` lists every failure. */
  (data: unknown): boolean;
  errors: SchemaError[] | null;
}

export declare const validate: ComposeValidator;
export default validate;

/** The custom format checks the schema uses (strings only; numbers are range-checked by the schema). */
export declare const formats: {
  /** Go duration syntax (`1m30s`, `500ms`, `0`), not negative. */
  readonly duration: (value: string) => boolean;
  /** docker/go-units RAMInBytes syntax (`512m`, `1g`, `100kb`, `2 GiB`). */
  readonly bytes: (value: string) => boolean;
  /** Port short syntax `[HOST_IP:][HOST_PORT[-END]:]CONTAINER_PORT[-END][/PROTOCOL]`. */
  readonly ports: (value: string) => boolean;
  /** `expose` entries: `PORT[-END][/PROTOCOL]`. */
  readonly expose: (value: string) => boolean;
};

/** The schema as JSON text, without descriptions (parsed only to explain an error). */
export declare const schemaJson: string;
