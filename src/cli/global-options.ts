/** Flags that come before the command: which project, which runtime, and how output looks. */
import type { AnsiMode, ProgressMode } from "../ui/select.js";

export type RuntimeChoice = "docker" | "native";

export interface GlobalOptions {
  readonly files: readonly string[];
  readonly projectName: string | undefined;
  readonly projectDirectory: string | undefined;
  readonly profiles: readonly string[];
  readonly envFiles: readonly string[];
  readonly debug: boolean;
  /** `--runtime`: the Docker Engine (default) or the native runtime. */
  readonly runtime: RuntimeChoice;
  /** `--ansi`: colour control for every stream. */
  readonly ansi: AnsiMode;
  /** `--progress`: how engine progress is shown on stderr. */
  readonly progress: ProgressMode;
}
