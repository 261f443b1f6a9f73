/**
 * What decoding and normalize's canonical steps need besides the value itself: the SourceMap to
 * place an error at the value it is about, where warnings go, and whether a value that cannot be
 * parsed is kept as written. One per normalize run.
 */
import { LoadError } from "../errors.js";
import type { SourceMap } from "./source-map.js";
import { formatPath, type Path } from "./tree.js";

export class DecodeContext {
  constructor(
    readonly sources: SourceMap,
    readonly onWarning?: ((message: string) => void) | undefined,
    /** Keep a value a canonical step cannot parse, as written (`config --no-interpolate`). */
    readonly keepUnparsed = false,
  ) {}

  /** A LoadError at the value found at `path`. */
  error(path: Path, message: string): LoadError {
    return new LoadError(message, this.sources.valueAt(path), formatPath(path));
  }

  warn(message: string): void {
    this.onWarning?.(message);
  }
}
