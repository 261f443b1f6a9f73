/**
 * `berth completion bash|zsh|fish`: a script that completes berth's commands and flags (read from
 * the same declarations `--help` prints, so they cannot drift), the current project's service
 * names (`berth config --services`) and `--profile` names (`berth config --profiles`). The project
 * is asked with the global flags typed so far (`-f`, `-p`, `--project-directory`, `--env-file`),
 * errors silenced: a directory without a compose file completes no services rather than printing.
 */
import { Command, type Option } from "commander";
import { UsageError } from "../../errors.js";
import { COMMANDS } from "../options/commands.js";
import { addOptions } from "../options/define.js";
import { GLOBAL_OPTIONS } from "../options/global.js";

export const SHELLS = ["bash", "zsh", "fish"] as const;

/** What a script needs to know of one command. */
export interface CompletedCommand {
  readonly name: string;
  readonly description: string;
  readonly flags: readonly string[];
  /** The flags that take a value (the next word is not an operand). */
  readonly valueFlags: readonly string[];
  /** Which operands are service names: every one (`[services...]`), the first only, or none. */
  readonly services: "all" | "first" | "none";
}

export interface CompletionModel {
  readonly commands: readonly CompletedCommand[];
  readonly globalFlags: readonly string[];
  readonly globalValueFlags: readonly string[];
}

function flagsOf(options: readonly Option[]): { flags: string[]; valueFlags: string[] } {
  const flags: string[] = [];
  const valueFlags: string[] = [];
  for (const option of options) {
    if (option.hidden) continue;
    const names = [option.short, option.long].filter((n): n is string => n !== undefined);
    flags.push(...names);
    if (option.required || option.optional) valueFlags.push(...names);
  }
  return { flags, valueFlags };
}

/** The model of berth's command line, from the declarations in options/. */
export function completionModel(): CompletionModel {
  // As main.ts sets it up: some commands pass their options through (exec, run).
  const program = addOptions(new Command("berth"), GLOBAL_OPTIONS).enablePositionalOptions();
  for (const command of COMMANDS) command.install(program);
  const global = flagsOf(program.options);
  const commands = program.commands.map((command): CompletedCommand => {
    const { flags, valueFlags } = flagsOf(command.options);
    const [first] = command.registeredArguments;
    const services =
      first === undefined || !/^services?\b|^service-/i.test(first.name())
        ? "none"
        : first.variadic && /^services$/i.test(first.name())
          ? "all"
          : "first";
    return {
      name: command.name(),
      description: command.description(),
      flags: [...flags, "--help"],
      valueFlags,
      services,
    };
  });
  commands.push({
    name: "help",
    description: "display help for command",
    flags: [],
    valueFlags: [],
    services: "none",
  });
  return { commands, globalFlags: [...global.flags, "--help"], globalValueFlags: global.valueFlags };
}

/** A word list as one single-quoted shell word (the names are berth's own, but quote anyway). */
function quoted(words: readonly string[]): string {
  return `'${words.join(" ").replaceAll("'", `'\\''`)}'`;
}

/** The global flags whose values say which project to ask for services and profiles. */
const PROJECT_FLAGS = [
  "-f",
  "--file",
  "-p",
  "--project-name",
  "--project-directory",
  "--env-file",
  "--profile",
];

export function bashScript(model: CompletionModel): string {
  const names = model.commands.map((c) => c.name);
  const perCommand = model.commands
    .map(
      (c) =>
        `    ${c.name}) flags=${quoted(c.flags)}; values=${quoted(c.valueFlags)}; services=${c.services} ;;`,
    )
    .join("\n");
  return `# berth completion for bash: source <(berth completion bash)
_berth_project() {
  # berth itself, with the project flags typed so far; nothing on error.
  "\${_berth_cmd[@]}" "\${_berth_project_args[@]}" config "$@" 2>/dev/null
}

_berth() {
  COMPREPLY=()
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  local global_values=${quoted(model.globalValueFlags)}
  local i word cmd="" cmd_at=0
  _berth_cmd=("\${COMP_WORDS[0]}")
  _berth_project_args=()
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    if [[ -z "$cmd" && " $global_values " == *" $word "* ]]; then
      case " ${PROJECT_FLAGS.join(" ")} " in *" $word "*) _berth_project_args+=("$word" "\${COMP_WORDS[i+1]}") ;; esac
      ((i++))
      continue
    fi
    if [[ -z "$cmd" && "$word" != -* ]]; then cmd="$word"; cmd_at=$i; fi
  done

  case "$prev" in
    --profile) COMPREPLY=($(compgen -W "$(_berth_project --profiles)" -- "$cur")); return ;;
    -f | --file | --env-file | --project-directory) COMPREPLY=($(compgen -f -- "$cur")); return ;;
  esac

  if [[ -z "$cmd" ]]; then
    if [[ "$cur" == -* ]]; then
      COMPREPLY=($(compgen -W ${quoted(model.globalFlags)} -- "$cur"))
    elif [[ " $global_values " != *" $prev "* || $COMP_CWORD -eq 1 ]]; then
      COMPREPLY=($(compgen -W ${quoted(names)} -- "$cur"))
    fi
    return
  fi

  local flags="" values="" services=none
  case "$cmd" in
${perCommand}
  esac
  if [[ "$cmd" == help ]]; then
    COMPREPLY=($(compgen -W ${quoted(names)} -- "$cur"))
    return
  fi
  if [[ " $values " == *" $prev "* ]]; then
    COMPREPLY=($(compgen -f -- "$cur"))
    return
  fi
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$flags" -- "$cur"))
    return
  fi
  # Operands typed so far after the command (flag values excluded).
  local operands=0
  for ((i = cmd_at + 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    if [[ " $values " == *" $word "* ]]; then ((i++)); elif [[ "$word" != -* ]]; then ((operands++)); fi
  done
  if [[ "$services" == all || ( "$services" == first && $operands -eq 0 ) ]]; then
    COMPREPLY=($(compgen -W "$(_berth_project --services)" -- "$cur"))
  fi
}

complete -F _berth berth
`;
}

/** zsh runs the bash function through bashcompinit, the way many CLIs ship one script for both. */
export function zshScript(model: CompletionModel): string {
  return `#compdef berth
# berth completion for zsh: source <(berth completion zsh)
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
${bashScript(model).replace(/^# berth completion for bash.*\n/, "")}`;
}

function fishEscape(text: string): string {
  return `'${text.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}

export function fishScript(model: CompletionModel): string {
  const out = [
    "# berth completion for fish: berth completion fish | source",
    "function __berth_project",
    "    # berth with the project flags typed so far; nothing on error.",
    "    set -l words (commandline -opc)",
    "    set -l args",
    "    set -l i 2",
    "    while test $i -le (count $words)",
    "        switch $words[$i]",
    `            case ${PROJECT_FLAGS.join(" ")}`,
    "                set -a args $words[$i] $words[(math $i + 1)]",
    "                set i (math $i + 1)",
    "        end",
    "        set i (math $i + 1)",
    "    end",
    "    $words[1] $args config $argv 2>/dev/null",
    "end",
    "complete -c berth -f",
    "complete -c berth -l profile -r -f -a '(__berth_project --profiles)'",
  ];
  for (const c of model.commands) {
    out.push(`complete -c berth -n __fish_use_subcommand -a ${c.name} -d ${fishEscape(c.description)}`);
  }
  for (const flag of model.globalFlags) {
    if (flag === "--profile") continue;
    const kind = flag.startsWith("--") ? `-l ${flag.slice(2)}` : `-s ${flag.slice(1)}`;
    out.push(
      `complete -c berth -n __fish_use_subcommand ${kind}${model.globalValueFlags.includes(flag) ? " -r" : ""}`,
    );
  }
  for (const c of model.commands) {
    const when = `'__fish_seen_subcommand_from ${c.name}'`;
    for (const flag of c.flags) {
      const kind = flag.startsWith("--") ? `-l ${flag.slice(2)}` : `-s ${flag.slice(1)}`;
      out.push(`complete -c berth -n ${when} ${kind}${c.valueFlags.includes(flag) ? " -r" : ""}`);
    }
    if (c.services !== "none") out.push(`complete -c berth -n ${when} -a '(__berth_project --services)'`);
  }
  return `${out.join("\n")}\n`;
}

export function runCompletion(shell: string): void {
  const model = completionModel();
  switch (shell) {
    case "bash":
      process.stdout.write(bashScript(model));
      return;
    case "zsh":
      process.stdout.write(zshScript(model));
      return;
    case "fish":
      process.stdout.write(fishScript(model));
      return;
    default:
      throw new UsageError(`unsupported shell "${shell}": expected one of ${SHELLS.join(", ")}`);
  }
}
