/**
 * A bind mount's host path before the container is made: Docker creates a missing source
 * directory for the short syntax (`./data:/data`, Compose's `create_host_path: true`) and refuses
 * a missing one otherwise, with the engine's message.
 */
import { mkdir, stat } from "node:fs/promises";
import path from "node:path";
import { InvalidRequestError } from "../../errors.js";
import { errnoCode } from "../../../errno.js";

export async function ensureBindSource(source: string, createHostPath: boolean): Promise<void> {
  if (!path.isAbsolute(source)) {
    throw new InvalidRequestError(
      `invalid mount config for type "bind": invalid mount path: '${source}' mount path must be absolute`,
    );
  }
  const found = await stat(source).catch((error: unknown) => {
    if (errnoCode(error) === "ENOENT") return undefined;
    throw error;
  });
  if (found !== undefined) return;
  if (!createHostPath) {
    throw new InvalidRequestError(
      `invalid mount config for type "bind": bind source path does not exist: ${source}`,
    );
  }
  await mkdir(source, { recursive: true, mode: 0o755 });
}
