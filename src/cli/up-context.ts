/** What the engine's `up` and `scale` get from the command line besides their flags. */
import path from "node:path";
import type { UpContext } from "../engine/index.js";
import type { GlobalOptions } from "./global-options.js";
import { engineIsLocal } from "./runtime-for-cli.js";

/**
 * `--env-file` paths (absolute), which `up` records in the `project.environment_file` label, and the
 * host-port pre-check when the engine is on this host.
 */
export function upContext(globals: GlobalOptions): UpContext {
  return {
    ...(globals.envFiles.length > 0
      ? { environmentFiles: globals.envFiles.map((file) => path.resolve(process.cwd(), file)) }
      : {}),
    ...(engineIsLocal(globals) ? { checkHostPorts: true } : {}),
  };
}
