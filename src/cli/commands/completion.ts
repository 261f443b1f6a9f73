/**
 * `berth completion bash|zsh|fish`: a script that completes berth's commands and flags (read from
 * the same declarations `--help` prints, so they cannot drift), the current project's service
 * names (`berth config --services`) and `--profile` names (`berth config --profiles`). The project
 * is asked with the global flags typed so far (`-f`, `-p`, `--project-directory`, `--env-file`),
 * errors silenced: a directory without a compose file completes no services rather than printing.
 */
import { Command, type Option } from "commander";
import { UsageError } from "../../errors.js";
import type { DeclaredCommand } from "../options/command.js";
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

/**
 * The model of berth's command line, from the declarations in options/ (the command table hands
 * them over, so this module does not import the table that imports it).
 */
export function completionModel(declared: readonly DeclaredCommand[]): CompletionModel {
  // As main.ts sets it up: some commands pass their options through (exec, run).
  const program = addOptions(new Command("berth"), GLOBAL_OPTIONS).enablePositionalOptions();
  for (const command of declared) command.install(program);
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

/** A zsh array literal's elements, each single-quoted. */
function zshWords(words: readonly string[]): string {
  return words.map((w) => `'${w.replaceAll("'", `'\\''`)}'`).join(" ");
}

/**
 * A native zsh completion function, as zsh's own `_git` or cobra's scripts are: it works sourced
 * (`source <(berth completion zsh)` after `compinit`) and saved as `_berth` in a directory of
 * `$fpath` (the `#compdef` line), and gives the commands with their descriptions.
 */
export function zshScript(model: CompletionModel): string {
  const described = model.commands.map((c) => `${c.name.replaceAll(":", "\\:")}:${c.description}`);
  const perCommand = model.commands
    .map(
      (c) =>
        `    (${c.name}) flags=(${zshWords(c.flags)}); values=(${zshWords(c.valueFlags)}); services=${c.services} ;;`,
    )
    .join("\n");
  return `#compdef berth
# berth completion for zsh: source <(berth completion zsh) (after compinit), or save it as _berth
# in a directory of $fpath.

# berth itself, with the project flags typed before the command; nothing on error.
__berth_project() {
  local -a project_args
  local i
  for ((i = 2; i < __berth_cmd_at; i++)); do
    case \${words[i]} in
      (${PROJECT_FLAGS.join("|")})
        (( i + 1 < CURRENT )) && project_args+=("\${words[i]}" "\${words[i+1]}")
        (( i++ )) ;;
    esac
  done
  \${words[1]} "\${project_args[@]}" config "$@" 2>/dev/null
}

# The lines \`berth config "$@"\` prints, as matches (none when it prints nothing).
__berth_add_project() {
  local -a found=(\${(f)"$(__berth_project "$@")"})
  compadd -- \${found:#}
}

_berth() {
  local -a global_values=(${zshWords(model.globalValueFlags)})
  # Not \`commands\`: zsh's own parameter of that name (the commands on PATH) would be hidden.
  local -a berth_commands=(${zshWords(described)})
  local -a flags values
  local cmd= services=none prev=\${words[CURRENT-1]} i
  local -i __berth_cmd_at=CURRENT
  for ((i = 2; i < CURRENT; i++)); do
    if (( \${global_values[(Ie)\${words[i]}]} )); then
      (( i++ ))
    elif [[ \${words[i]} != -* ]]; then
      cmd=\${words[i]}; __berth_cmd_at=i
      break
    fi
  done

  if (( __berth_cmd_at >= CURRENT - 1 )); then
    case $prev in
      (--profile) __berth_add_project --profiles; return ;;
      (-f|--file|--env-file|--project-directory) _files; return ;;
    esac
    (( \${global_values[(Ie)$prev]} )) && return
  fi
  if [[ -z $cmd ]]; then
    if [[ $PREFIX == -* ]]; then
      compadd -- ${zshWords(model.globalFlags)}
    else
      _describe -t commands 'berth command' berth_commands
    fi
    return
  fi

  case $cmd in
${perCommand}
  esac
  if [[ $cmd == help ]]; then
    (( CURRENT == __berth_cmd_at + 1 )) && _describe -t commands 'berth command' berth_commands
    return
  fi
  if (( \${values[(Ie)$prev]} )); then
    _files
    return
  fi
  if [[ $PREFIX == -* ]]; then
    compadd -- "\${flags[@]}"
    return
  fi
  # Operands typed so far after the command (flag values excluded).
  local -i operands=0
  for ((i = __berth_cmd_at + 1; i < CURRENT; i++)); do
    if (( \${values[(Ie)\${words[i]}]} )); then
      (( i++ ))
    elif [[ \${words[i]} != -* ]]; then
      (( operands++ ))
    fi
  done
  if [[ $services == all || ( $services == first && operands -eq 0 ) ]]; then
    __berth_add_project --services
  fi
}

if [[ \${funcstack[1]} == _berth ]]; then
  _berth "$@"
else
  compdef _berth berth
fi
`;
}

function fishEscape(text: string): string {
  return `'${text.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}

/** `-s x` / `-l name` as fish's `complete` names a flag. */
function fishFlag(flag: string): string {
  return flag.startsWith("--") ? `-l ${flag.slice(2)}` : `-s ${flag.slice(1)}`;
}

/** Flags whose value is a path: fish offers files after them (the rest of berth completes no files). */
const FILE_FLAGS = new Set(["-f", "--file", "--env-file", "--project-directory"]);

/**
 * fish's script. Where the command is, and how many operands follow it, is read past the global
 * flags' values (fish's `__fish_use_subcommand` would take `-p NAME`'s NAME for the command).
 */
export function fishScript(model: CompletionModel): string {
  const names = model.commands.map((c) => c.name);
  const valueCases = model.commands
    .filter((c) => c.valueFlags.length > 0)
    .map((c) => `            case ${c.name}\n                set values ${c.valueFlags.join(" ")}`);
  const out = [
    "# berth completion for fish: berth completion fish | source",
    "",
    "# The command typed so far, then how many operands follow it (flag values not counted).",
    "function __berth_state",
    "    set -l words (commandline -opc)",
    `    set -l global_values ${model.globalValueFlags.join(" ")}`,
    "    set -l cmd",
    "    set -l values",
    "    set -l operands 0",
    "    set -l i 2",
    "    while test $i -le (count $words)",
    "        set -l word $words[$i]",
    '        if test -z "$cmd"',
    "            if contains -- $word $global_values",
    "                set i (math $i + 1)",
    "            else if not string match -q -- '-*' $word",
    "                set cmd $word",
    "                switch $cmd",
    ...valueCases,
    "                end",
    "            end",
    "        else if contains -- $word $values",
    "            set i (math $i + 1)",
    "        else if not string match -q -- '-*' $word",
    "            set operands (math $operands + 1)",
    "        end",
    "        set i (math $i + 1)",
    "    end",
    "    echo $cmd",
    "    echo $operands",
    "end",
    "",
    "function __berth_needs_command",
    "    set -l state (__berth_state)",
    '    test -z "$state[1]"',
    "end",
    "",
    "function __berth_using",
    "    set -l state (__berth_state)",
    '    test "$state[1]" = $argv[1]',
    "end",
    "",
    "# Whether the next operand of command $argv[1] is a service: any (all) or only the first.",
    "function __berth_wants_service",
    "    set -l state (__berth_state)",
    '    test "$state[1]" = $argv[1]; or return 1',
    '    test "$argv[2]" = all; or test "$state[2]" -eq 0',
    "end",
    "",
    "# berth with the project flags typed before the command (and their values); nothing on error.",
    "function __berth_project",
    "    set -l words (commandline -opc)",
    `    set -l global_values ${model.globalValueFlags.join(" ")}`,
    "    set -l args",
    "    set -l i 2",
    "    while test $i -le (count $words)",
    "        set -l word $words[$i]",
    "        if contains -- $word $global_values",
    "            if test $i -lt (count $words)",
    `                contains -- $word ${PROJECT_FLAGS.join(" ")}; and set -a args $word $words[(math $i + 1)]`,
    "            end",
    "            set i (math $i + 1)",
    "        else if not string match -q -- '-*' $word",
    "            break",
    "        end",
    "        set i (math $i + 1)",
    "    end",
    "    $words[1] $args config $argv 2>/dev/null",
    "end",
    "",
    "complete -c berth -f",
  ];
  for (const c of model.commands) {
    out.push(`complete -c berth -n __berth_needs_command -a ${c.name} -d ${fishEscape(c.description)}`);
  }
  for (const flag of model.globalFlags) {
    // -x: a value, no files (the project's name, a profile...); -r -F: a path.
    const value = !model.globalValueFlags.includes(flag)
      ? ""
      : flag === "--profile"
        ? " -x -a '(__berth_project --profiles)'"
        : FILE_FLAGS.has(flag)
          ? " -r -F"
          : " -x";
    out.push(`complete -c berth -n __berth_needs_command ${fishFlag(flag)}${value}`);
  }
  for (const c of model.commands) {
    const when = `'__berth_using ${c.name}'`;
    for (const flag of c.flags) {
      out.push(`complete -c berth -n ${when} ${fishFlag(flag)}${c.valueFlags.includes(flag) ? " -r" : ""}`);
    }
    if (c.services !== "none") {
      out.push(
        `complete -c berth -n '__berth_wants_service ${c.name} ${c.services}' -a '(__berth_project --services)'`,
      );
    }
  }
  out.push(`complete -c berth -n '__berth_wants_service help first' -a ${fishEscape(names.join(" "))}`);
  return `${out.join("\n")}\n`;
}

export function runCompletion(shell: string, declared: readonly DeclaredCommand[]): void {
  const model = completionModel(declared);
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
