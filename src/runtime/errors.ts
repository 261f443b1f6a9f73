/**
 * Runtime errors have a kind and a stable code, whatever the backend. The Docker client maps HTTP
 * statuses onto them; the native runtime raises them directly. The engine's own message is kept.
 */
import { BerthError, type BerthErrorOptions } from "../errors.js";

export class RuntimeError extends BerthError {
  override readonly code: string = "RUNTIME_ERROR";
  /** The HTTP status (Docker backend) when there was one. */
  readonly status: number | undefined;

  constructor(message: string, options: BerthErrorOptions & { status?: number | undefined } = {}) {
    super(message, options);
    this.status = options.status;
  }
}

/** The object does not exist (404). */
export class NotFoundError extends RuntimeError {
  override readonly code: string = "NOT_FOUND";
}

/** The object exists or is in a state that forbids the call (409, and 403 for networks on 20.10). */
export class ConflictError extends RuntimeError {
  override readonly code: string = "CONFLICT";
}

/** The engine cannot be reached: no socket, connection refused, TLS failure, timeout. */
export class EngineUnavailableError extends RuntimeError {
  override readonly code: string = "ENGINE_UNAVAILABLE";
}

/** The request was refused as invalid (400). */
export class InvalidRequestError extends RuntimeError {
  override readonly code: string = "INVALID";
}

/** Any other error the engine reports, with its message (including in-band stream errors). */
export class ApiError extends RuntimeError {
  override readonly code: string = "API_ERROR";
}
