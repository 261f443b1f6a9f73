/**
 * `security_opt: seccomp=<file>`: the profile's text, read from the host, for the pure spec code.
 * Docker's API takes the JSON itself (the docker CLI and Compose read the file into the option);
 * a value that is already JSON, `unconfined` or absent needs no read.
 */
import { readFile } from "node:fs/promises";
import { InvalidRequestError } from "../../errors.js";
import { isInlineProfile, seccompChoice } from "./seccomp.js";

export async function readSeccompProfile(
  securityOpt: readonly string[] | undefined,
): Promise<string | undefined> {
  const choice = seccompChoice(securityOpt);
  if (choice.kind !== "profile" || isInlineProfile(choice.value)) return undefined;
  try {
    return await readFile(choice.value, "utf8");
  } catch (error) {
    // Compose's words for the same failure.
    throw new InvalidRequestError(
      `opening seccomp profile (${choice.value}) failed: ${(error as Error).message}`,
    );
  }
}
