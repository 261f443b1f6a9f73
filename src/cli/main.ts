/**
 * berth's command line. Global flags come before the command, as with `docker compose -f a.yaml config`.
 * Commands are imported only when run, so `berth --version` loads almost nothing.
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { UsageError } from "../errors.js";
import { reportError } from "./exit.js";
import { DEFAULT_RUNTIME, RUNTIME_NAMES } from "../runtime/backends.js";
import type { GlobalOptions, RuntimeChoice } from "./global-options.js";
import type { AnsiMode, ProgressMode } from "../ui/select.js";

const debugFromArgv = process.argv.includes("--debug") || process.env["BERTH_DEBUG"] === "1";
// The CLI runs from a bundle (scripts/bundle.mjs); with --debug, stack traces name the sources.
if (debugFromArgv) process.setSourceMapsEnabled(true);

function version(): string {
  const raw = readFileSync(new URL("../../package.json", import.meta.url), "utf8");
  return (JSON.parse(raw) as { version: string }).version;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];
/** For flags that may be repeated and have no default (commander passes `undefined` first). */
const gather = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** Whole seconds for `-t, --timeout`; parsed (and checked) by the command. */
const timeoutOption = (): Option =>
  new Option("-t, --timeout <seconds>", "seconds to wait for each container to stop before killing it");

/** `--no-attach <service>` is a list of services, not the negation of `--attach`. */
function listOption(flags: string, description: string): Option {
  const option = new Option(flags, description).argParser(gather);
  option.negate = false;
  return option;
}

/**
 * Commander folds `--NAME` and `--no-NAME` into one value, the last given winning; Compose treats
 * them as two flags and refuses both at once, as berth does (`--build and --no-build are incompatible`).
 */
function refuseBoth(command: Command, name: string): Command {
  const given = new Set<string>();
  return command
    .on(`option:${name}`, () => given.add(name))
    .on(`option:no-${name}`, () => given.add(`no-${name}`))
    .hook("preAction", () => {
      if (given.size === 2) throw new UsageError(`--${name} and --no-${name} are incompatible`);
    });
}

/** Runs a command and turns its result into the process's exit status. */
function exitWith(code: number): void {
  process.exitCode = code;
}

export function buildProgram(): Command {
  const program = new Command("berth")
    .description("Run multi-container stacks from a compose.yaml")
    .version(version(), "-v, --version", "print the version")
    .option("-f, --file <path>", "compose file (repeatable; - for stdin)", collect, [])
    .option("-p, --project-name <name>", "project name")
    .option("--project-directory <dir>", "project directory (default: the first file's directory)")
    .option("--profile <name>", "enable a profile (repeatable)", collect, [])
    .option(
      "--env-file <path>",
      "environment file (repeatable; default: .env in the project directory)",
      collect,
      [],
    )
    .option("--debug", "print stack traces with errors")
    .addOption(
      new Option("--runtime <runtime>", "container runtime")
        .choices(RUNTIME_NAMES)
        .default(DEFAULT_RUNTIME)
        .env("BERTH_RUNTIME"),
    )
    .addOption(
      new Option("--ansi <when>", "control when to print ANSI control characters")
        .choices(["never", "always", "auto"])
        .default("auto")
        .env("COMPOSE_ANSI"),
    )
    .addOption(
      new Option("--progress <type>", "how progress is shown on stderr")
        .choices(["auto", "tty", "plain", "quiet", "json"])
        .default("auto")
        .env("COMPOSE_PROGRESS"),
    )
    .enablePositionalOptions()
    .showHelpAfterError()
    .exitOverride();
  program.configureOutput({ writeErr: (text) => process.stderr.write(text) });

  program
    .command("config")
    .description("validate the project and print its canonical form")
    .argument("[services...]", "only these services")
    .addOption(new Option("--format <format>", "output format").choices(["yaml", "json"]).default("yaml"))
    .option("-o, --output <path>", "write to a file instead of stdout")
    .option("-q, --quiet", "only validate; print nothing")
    .option("--services", "print the service names, one per line")
    .option("--volumes", "print the volume names, one per line")
    .option("--networks", "print the network names, one per line")
    .option("--profiles", "print the profile names, one per line")
    .option("--images", "print the image names, one per line")
    .option("--hash <services>", 'print the config hash of services ("*" for all)')
    .option("--no-interpolate", "do not substitute ${VAR} variables")
    .option("--no-normalize", "print the merged model without normalizing it")
    .option("--no-path-resolution", "keep relative paths as written")
    .option("--no-consistency", "skip cross-reference checks")
    .action(async (services: string[], flags: Record<string, unknown>, command: Command) => {
      const { runConfig } = await import("./commands/config.js");
      await runConfig(globals(command), services, flags);
    });

  const up = program
    .command("up")
    .description("create and start containers, then print their output (unless detached)")
    .argument("[services...]", "only these services (and what they depend on)")
    .option("-d, --detach", "run containers in the background")
    .option("--build", "build images before starting containers")
    .option("--no-build", "do not build an image, even if it is missing")
    .addOption(
      new Option("--pull <policy>", "pull images before running").choices([
        "always",
        "missing",
        "never",
        "policy",
      ]),
    )
    .option("--force-recreate", "recreate containers even if their configuration has not changed")
    .option("--no-recreate", "if containers already exist, do not recreate them")
    .option("--no-deps", "do not start linked services")
    .option("--remove-orphans", "remove containers for services not defined in the compose file")
    .addOption(listOption("--scale <SERVICE=NUM>", "scale SERVICE to NUM instances (repeatable)"))
    .option("--wait", "wait for services to be running|healthy (implies --detach)")
    .option("--wait-timeout <seconds>", "maximum duration to wait for the project to be running|healthy")
    .option("--no-start", "do not start the services after creating them")
    .option("--abort-on-container-exit", "stop all containers if any container was stopped")
    .option("--exit-code-from <service>", "return the exit code of the selected service container")
    .addOption(timeoutOption())
    .addOption(listOption("--attach <service>", "only print the output of these services (repeatable)"))
    .addOption(listOption("--no-attach <service>", "do not print the output of these services (repeatable)"))
    .option("--attach-dependencies", "also print the output of the services' dependencies")
    .option("--no-log-prefix", "do not print a prefix in logs")
    .option("--no-color", "produce monochrome output")
    .option("--timestamps", "show timestamps")
    .option("--dry-run", "print the plan and do nothing")
    .option("--no-dashboard", "on a terminal, print plain prefixed logs instead of the dashboard")
    .action(async (services: string[], flags: Record<string, unknown>, command: Command) => {
      const { runUp } = await import("./commands/up.js");
      exitWith(await runUp(globals(command), services, flags));
    });
  refuseBoth(up, "build");

  program
    .command("down")
    .description("stop and remove containers and networks")
    .option("-v, --volumes", "remove named volumes declared in the volumes section and anonymous volumes")
    .addOption(new Option("--rmi <type>", "remove images used by services").choices(["local", "all"]))
    .option("--remove-orphans", "remove containers for services not defined in the compose file")
    .addOption(timeoutOption())
    .action(async (flags: Record<string, unknown>, command: Command) => {
      const { runDown } = await import("./commands/down.js");
      exitWith(await runDown(globals(command), flags));
    });

  program
    .command("ps")
    .description("list containers")
    .argument("[services...]", "only these services")
    .option("-a, --all", "show all stopped containers")
    .option("-q, --quiet", "only display IDs")
    .option("--services", "display services")
    .addOption(
      listOption(
        "--status <status>",
        "filter services by status (paused, restarting, removing, running, dead, created, exited; repeatable)",
      ),
    )
    .addOption(listOption("--filter <filter>", "filter services by a property (supported: status)"))
    .addOption(new Option("--format <format>", "output format").choices(["table", "json"]).default("table"))
    .action(async (services: string[], flags: Record<string, unknown>, command: Command) => {
      const { runPs } = await import("./commands/ps.js");
      exitWith(await runPs(globals(command), services, flags));
    });

  program
    .command("logs")
    .description("view output from containers")
    .argument("[services...]", "only these services")
    .option("-f, --follow", "follow log output")
    .option("--tail <n>", 'number of lines to show from the end of the logs for each container, or "all"')
    .option("--since <time>", "show logs since a timestamp (2013-01-02T13:23:37Z) or relative (42m)")
    .option("--until <time>", "show logs before a timestamp (2013-01-02T13:23:37Z) or relative (42m)")
    .option("-t, --timestamps", "show timestamps")
    .option("--no-color", "produce monochrome output")
    .option("--no-log-prefix", "do not print a prefix in logs")
    .option("--index <n>", "index of the container if the service has multiple replicas")
    .action(async (services: string[], flags: Record<string, unknown>, command: Command) => {
      const { runLogs } = await import("./commands/logs.js");
      exitWith(await runLogs(globals(command), services, flags));
    });

  program
    .command("scale")
    .description("scale services")
    .argument("<SERVICE=REPLICAS...>", "services and their number of replicas")
    .action(async (pairs: string[], _flags: Record<string, unknown>, command: Command) => {
      const { runScale } = await import("./commands/scale.js");
      exitWith(await runScale(globals(command), pairs));
    });

  program
    .command("stop")
    .description("stop services")
    .argument("[services...]", "only these services")
    .addOption(timeoutOption())
    .action(async (services: string[], flags: Record<string, unknown>, command: Command) => {
      const { runStop } = await import("./commands/stop.js");
      exitWith(await runStop(globals(command), services, flags));
    });

  program
    .command("start")
    .description("start services")
    .argument("[services...]", "only these services")
    .action(async (services: string[], _flags: Record<string, unknown>, command: Command) => {
      const { runStart } = await import("./commands/start.js");
      exitWith(await runStart(globals(command), services));
    });

  program
    .command("restart")
    .description("restart service containers")
    .argument("[services...]", "only these services")
    .addOption(timeoutOption())
    .action(async (services: string[], flags: Record<string, unknown>, command: Command) => {
      const { runRestart } = await import("./commands/restart.js");
      exitWith(await runRestart(globals(command), services, flags));
    });

  program
    .command("dashboard")
    .description("the interactive dashboard for the running stack (needs a terminal)")
    .addOption(timeoutOption())
    .option("--no-color", "no colours")
    .option("--timestamps", "show timestamps in the logs pane")
    .action(async (flags: Record<string, unknown>, command: Command) => {
      const { runDashboard } = await import("./commands/dashboard.js");
      exitWith(await runDashboard(globals(command), flags));
    });

  return program;
}

function globals(command: Command): GlobalOptions {
  const root = command.parent ?? command;
  const o = root.opts<{
    file: string[];
    projectName?: string;
    projectDirectory?: string;
    profile: string[];
    envFile: string[];
    debug?: boolean;
    runtime: RuntimeChoice;
    ansi: AnsiMode;
    progress: ProgressMode;
  }>();
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

async function main(): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(process.argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode;
      return;
    }
    process.exitCode = reportError(error, debugFromArgv, (text) => process.stderr.write(text));
  }
}

await main();
