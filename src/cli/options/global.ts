/**
 * The flags that come before the command (`berth -f a.yaml -p demo up`): which project, which
 * runtime, and how output looks. Declared once here; GlobalOptions is what commands read.
 */
import type { Command } from "commander";
import { DEFAULT_RUNTIME, RUNTIME_CHOICES } from "../../runtime/backends.js";
import type { AnsiMode, ProgressMode } from "../../ui/select.js";
import type { GlobalOptions } from "../global-options.js";
import { choice, flag, type FlagsOf, repeated, value } from "./define.js";

/** As ui/select.ts lists them (that module loads the renderers, so it is not imported here). */
export const ANSI_CHOICES = ["never", "always", "auto"] as const satisfies readonly AnsiMode[];
export const PROGRESS_CHOICES = [
  "auto",
  "tty",
  "plain",
  "quiet",
  "json",
] as const satisfies readonly ProgressMode[];

export const GLOBAL_OPTIONS = [
  repeated("-f, --file <path>", "compose file (repeatable; - for stdin)"),
  value("-p, --project-name <name>", "project name"),
  value("--project-directory <dir>", "project directory (default: the first file's directory)"),
  repeated("--profile <name>", "enable a profile (repeatable)"),
  repeated("--env-file <path>", "environment file (repeatable; default: .env in the project directory)"),
  flag("--debug", "print stack traces with errors"),
  choice(
    "--runtime <runtime>",
    "container runtime (auto: native where it can serve, else the Docker Engine)",
    RUNTIME_CHOICES,
    {
      default: DEFAULT_RUNTIME,
      env: "BERTH_RUNTIME",
    },
  ),
  choice("--ansi <when>", "control when to print ANSI control characters", ANSI_CHOICES, {
    default: "auto",
    env: "COMPOSE_ANSI",
  }),
  choice("--progress <type>", "how progress is shown on stderr", PROGRESS_CHOICES, {
    default: "auto",
    env: "COMPOSE_PROGRESS",
  }),
] as const;

export type GlobalFlags = FlagsOf<typeof GLOBAL_OPTIONS>;

/** The global flags as commands read them, from the program or any of its commands. */
export function globalsOf(command: Command): GlobalOptions {
  const root = command.parent ?? command;
  const o = root.opts<GlobalFlags>();
  return {
    files: o.file,
    projectName: o.projectName,
    projectDirectory: o.projectDirectory,
    profiles: o.profile,
    envFiles: o.envFile,
    debug: o.debug === true,
    runtime: o.runtime,
    ansi: o.ansi,
    progress: o.progress,
  };
}
