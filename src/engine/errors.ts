/**
 * Engine errors: what went wrong bringing a project up or down, naming the service (or network,
 * volume, image) and keeping the engine's own message. The CLI turns them into one sentence.
 */
import { BerthError, type BerthErrorOptions } from "../errors.js";

export class EngineError extends BerthError {
  override readonly code: string = "ENGINE_ERROR";
  /** The service the error is about, when there is one. */
  readonly service: string | undefined;

  constructor(message: string, options: BerthErrorOptions & { service?: string | undefined } = {}) {
    super(message, options);
    this.service = options.service;
  }
}

/** The plan cannot be carried out as asked; found before anything was changed. */
export class PlanError extends EngineError {
  override readonly code: string = "PLAN_ERROR";
}

/** A `depends_on` condition (or `--wait`) failed: unhealthy, exited, or not met in time. */
export class DependencyError extends EngineError {
  override readonly code: string = "DEPENDENCY_FAILED";
}

/** One or more steps of a plan failed; `failures` lists each with the step it came from. */
export class ExecuteError extends EngineError {
  override readonly code: string = "EXECUTE_FAILED";
  readonly failures: readonly { readonly node: number; readonly resource: string; readonly error: unknown }[];

  constructor(
    message: string,
    failures: ExecuteError["failures"],
    options: BerthErrorOptions & { service?: string | undefined } = {},
  ) {
    super(message, options);
    this.failures = failures;
  }
}

/** A host port that new containers would publish is held by another process; found before any change. */
export class PortInUseError extends PlanError {
  override readonly code: string = "PORT_IN_USE";
  readonly port: number;
  /** The process holding the port, when the host's /proc says. */
  readonly holder: { readonly pid: number; readonly command: string } | undefined;

  constructor(
    message: string,
    options: BerthErrorOptions & {
      service?: string | undefined;
      port: number;
      holder?: { readonly pid: number; readonly command: string } | undefined;
    },
  ) {
    super(message, options);
    this.port = options.port;
    this.holder = options.holder;
  }
}
