/** Flags that come before the command: which project, which runtime, and how output looks. */
import type { RuntimeChoice as BackendChoice } from "../runtime/backends.js";
import type { AnsiMode, ProgressMode } from "../ui/select.js";

/** A name from the registry of backends (src/runtime/backends.ts), or `auto`. */
export type RuntimeChoice = BackendChoice;

export interface GlobalOptions {
  readonly files: readonly string[];
  readonly projectName: string | undefined;
  readonly projectDirectory: string | undefined;
  readonly profiles: readonly string[];
  readonly envFiles: readonly string[];
  readonly debug: boolean;
  /** `--runtime`: which backend runs the containers (`BERTH_RUNTIME`; default auto: native where it can serve, else Docker; a project stays on the runtime it runs on). */
  readonly runtime: RuntimeChoice;
  /** `--ansi`: colour control for every stream. */
  readonly ansi: AnsiMode;
  /** `--progress`: how engine progress is shown on stderr. */
  readonly progress: ProgressMode;
}
