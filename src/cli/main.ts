/**
 * berth's command line. Global flags come before the command, as with `docker compose -f a.yaml config`.
 * Each command declares its operands and options in src/cli/options/commands.ts and its code is
 * imported only when it runs, so `berth --version` loads almost nothing.
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { reportError } from "./exit.js";
import { COMMANDS } from "./options/commands.js";
import { addOptions } from "./options/define.js";
import { GLOBAL_OPTIONS } from "./options/global.js";
import { unknownCommandLine } from "./suggest.js";

const debugFromArgv = process.argv.includes("--debug") || process.env["BERTH_DEBUG"] === "1";
// The CLI runs from a bundle (scripts/bundle.mjs); with --debug, stack traces name the sources.
if (debugFromArgv) process.setSourceMapsEnabled(true);

function version(): string {
  const raw = readFileSync(new URL("../../package.json", import.meta.url), "utf8");
  return (JSON.parse(raw) as { version: string }).version;
}

export function buildProgram(): Command {
  const program = new Command("berth")
    .description("Run multi-container stacks from a compose.yaml")
    .version(version(), "-v, --version", "print the version");
  addOptions(program, GLOBAL_OPTIONS)
    .enablePositionalOptions()
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({
      writeErr: (text) => process.stderr.write(text),
      outputError: (text, write) => write(unknownCommand(program, text) ?? text),
    });
  for (const command of COMMANDS) command.install(program);
  addHelpCommand(program);
  // The commands keep the help after a wrong option (they inherited it above); a mistyped command
  // gets one line with the closest command, as Compose's does, not the whole global help.
  program.showHelpAfterError(false).showSuggestionAfterError(false);
  return program;
}

/**
 * `berth help CMD` prints CMD's help; `berth help` the global help; an unknown CMD gets the one line
 * an unknown command gets (commander's own help command would print the whole global help).
 */
function addHelpCommand(program: Command): void {
  program.helpCommand(false);
  program
    .command("help")
    .argument("[command]", "the command to describe")
    .description("display help for command")
    .action((name: string | undefined) => {
      if (name === undefined) return program.outputHelp();
      const found = program.commands.find((c) => c.name() === name || c.aliases().includes(name));
      if (found) return found.outputHelp();
      process.stderr.write(
        unknownCommandLine(
          name,
          program.commands.map((c) => c.name()),
        ),
      );
      process.exitCode = 1;
    });
}

/** berth's line for commander's "unknown command" error; undefined for any other error. */
function unknownCommand(program: Command, text: string): string | undefined {
  const typed = /^error: unknown command '(.*)'\n?$/.exec(text)?.[1];
  if (typed === undefined) return undefined;
  return unknownCommandLine(
    typed,
    program.commands.map((c) => c.name()),
  );
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

// Not awaited at the top level: this module also runs as CommonJS (launch.ts). main() reports its
// own errors.
void main();
