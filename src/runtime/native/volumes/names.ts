/**
 * Volume names as Docker's local driver takes them, and anonymous volumes' names and label.
 */
import { randomBytes } from "node:crypto";
import { InvalidRequestError } from "../../errors.js";

/** moby's `names.RestrictedNamePattern`, which the local driver applies to volume names. */
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** The label Docker gives volumes it makes for a container's anonymous mounts (23.0+). */
export const ANONYMOUS_LABEL = "com.docker.volume.anonymous";

/** The error Docker's local driver gives for `name`, or undefined when the name is valid. */
export function volumeNameProblem(name: string): string | undefined {
  if (name.length === 1) {
    return "volume name is too short, names should be at least two alphanumeric characters";
  }
  if (!NAME.test(name)) {
    return (
      `${JSON.stringify(name)} includes invalid characters for a local volume name, only ` +
      `"[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`
    );
  }
  return undefined;
}

export function validateVolumeName(name: string): void {
  const problem = volumeNameProblem(name);
  if (problem !== undefined) throw new InvalidRequestError(`create ${name}: ${problem}`);
}

/** A fresh anonymous volume's name: 64 hex characters, as Docker's `stringid.GenerateRandomID`. */
export function anonymousVolumeName(): string {
  return randomBytes(32).toString("hex");
}
