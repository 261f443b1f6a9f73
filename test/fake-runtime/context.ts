/** What each of the fake's stores needs of the runtime around it, and the errors they answer with. */
import { ConflictError, NotFoundError } from "../../src/runtime/errors.js";
import type { RuntimeEvent } from "../../src/runtime/runtime.js";

export interface StoreContext {
  now(): Date;
  emit(event: RuntimeEvent): void;
  /** Records the call and runs its hooks before `work` (see FakeRuntime.before). */
  call<T>(op: string, args: readonly unknown[], work: () => T | Promise<T>): Promise<T>;
}

/** The statuses the Docker backend's errors carry, so a case may check either backend's. */
export const notFound = (message: string): NotFoundError => new NotFoundError(message, { status: 404 });
export const conflict = (message: string): ConflictError => new ConflictError(message, { status: 409 });
