/**
 * berth's command line. Global flags come before the command, as with `docker compose -f a.yaml config`.
 * Each command declares its operands and options in src/cli/options/<verb>.ts and its code is
 * imported only when it runs, so `berth --version` loads almost nothing.
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { reportError } from "./exit.js";
import type { DeclaredCommand } from "./options/command.js";
import { config } from "./options/config.js";
import { dashboard } from "./options/dashboard.js";
import { addOptions } from "./options/define.js";
import { down } from "./options/down.js";
import { GLOBAL_OPTIONS } from "./options/global.js";
import { restart, scale, start, stop } from "./options/lifecycle.js";
import { logs } from "./options/logs.js";
import { ps } from "./options/ps.js";
import { up } from "./options/up.js";

const debugFromArgv = process.argv.includes("--debug") || process.env["BERTH_DEBUG"] === "1";
// The CLI runs from a bundle (scripts/bundle.mjs); with --debug, stack traces name the sources.
if (debugFromArgv) process.setSourceMapsEnabled(true);

/** In the order `--help` lists them. */
const COMMANDS: readonly DeclaredCommand[] = [
  config,
  up,
  down,
  ps,
  logs,
  scale,
  stop,
  start,
  restart,
  dashboard,
];

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
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  for (const command of COMMANDS) command.install(program);
  return program;
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
