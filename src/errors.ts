/**
 * Errors are values with a kind, a stable code and (for load errors) a place in a file.
 * The CLI edge turns any BerthError into one sentence and an exit code; nothing below it prints.
 */

/** A position in a source file, 1-based, with the file named as the user wrote it. */
export interface Location {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

export interface BerthErrorOptions {
  readonly hint?: string | undefined;
  readonly cause?: unknown;
}

export class BerthError extends Error {
  readonly code: string = "BERTH_ERROR";
  readonly hint: string | undefined;

  constructor(message: string, options: BerthErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
  }

  /** The one line a person reads: place (if any), then the sentence. */
  describe(): string {
    return this.message;
  }
}

/** Anything wrong with the compose files, the .env files or the flags that select them. */
export class LoadError extends BerthError {
  override readonly code: string = "LOAD_ERROR";
  readonly location: Location | undefined;
  /** Dotted path into the model, e.g. `services.web.ports[1]`; empty when the error is about a whole file. */
  readonly path: string;

  constructor(message: string, location?: Location, path = "", options: BerthErrorOptions = {}) {
    super(message, options);
    this.location = location;
    this.path = path;
  }

  override describe(): string {
    const place = this.location ? `${this.location.file}:${this.location.line}:${this.location.col}: ` : "";
    const path = this.path ? `${this.path}: ` : "";
    return `${place}${path}${this.message}`;
  }
}

/** A problem in the service graph: cycles, dependencies on missing services. */
export class GraphError extends BerthError {
  override readonly code: string = "GRAPH_ERROR";
  readonly location: Location | undefined;

  constructor(message: string, location?: Location, options: BerthErrorOptions = {}) {
    super(message, options);
    this.location = location;
  }

  override describe(): string {
    const place = this.location ? `${this.location.file}:${this.location.line}:${this.location.col}: ` : "";
    return `${place}${this.message}`;
  }
}

/** Bad command-line usage (unknown flag values, conflicting flags). */
export class UsageError extends BerthError {
  override readonly code: string = "USAGE_ERROR";
}
