/**
 * berth's command line. Global flags come before the command, as with `docker compose -f a.yaml config`.
 * Commands are imported only when run, so `berth --version` loads almost nothing.
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { reportError } from "./exit.js";
import type { GlobalOptions } from "./global-options.js";

const debugFromArgv = process.argv.includes("--debug") || process.env["BERTH_DEBUG"] === "1";

function version(): string {
  const raw = readFileSync(new URL("../../package.json", import.meta.url), "utf8");
  return (JSON.parse(raw) as { version: string }).version;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

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
  }>();
  return {
    files: o.file,
    projectName: o.projectName,
    projectDirectory: o.projectDirectory,
    profiles: o.profile,
    envFiles: o.envFile,
    debug: o.debug === true,
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
