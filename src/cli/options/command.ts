/**
 * A command as declared: name, operands, options, and the function that loads its code (with
 * `import()`, so that declaring every command loads none of them) and runs it with flags typed
 * from its own option list.
 */
import type { Command } from "commander";
import type { GlobalOptions } from "../global-options.js";
import { addOptions, type FlagsOf, type OptionSpec } from "./define.js";
import { globalsOf } from "./global.js";

export interface CommandSpec<L extends readonly OptionSpec[]> {
  readonly name: string;
  readonly description: string;
  /** Commander's syntax (`[services...]`, `<SERVICE=REPLICAS...>`) and what they are; none if absent. */
  readonly operands?: { readonly syntax: string; readonly description: string };
  readonly options: L;
  /** Checks across the options once they are added (`refuseBoth`). */
  readonly configure?: (command: Command) => void;
  /** Loads the command's code and runs it; a number is the process's exit status. */
  readonly run: (globals: GlobalOptions, operands: string[], flags: FlagsOf<L>) => Promise<number | void>;
}

export interface DeclaredCommand {
  /** Adds the command to `program`. */
  install(program: Command): Command;
}

export function command<const L extends readonly OptionSpec[]>(spec: CommandSpec<L>): DeclaredCommand {
  return {
    install(program) {
      // program.command(), not new Command(): the command inherits the program's settings
      // (exitOverride, output, help after an error).
      const command = program.command(spec.name).description(spec.description);
      if (spec.operands) command.argument(spec.operands.syntax, spec.operands.description);
      addOptions(command, spec.options);
      spec.configure?.(command);
      command.action(async () => {
        // Commander hands over the operands and the flags as untyped values; read from the command,
        // they have the types the option list declares.
        const operands = spec.operands ? (command.processedArgs[0] as string[]) : [];
        const code = await spec.run(globalsOf(command), operands, command.opts<FlagsOf<L>>());
        if (typeof code === "number") process.exitCode = code;
      });
      return command;
    },
  };
}
