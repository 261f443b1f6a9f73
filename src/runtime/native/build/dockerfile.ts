/**
 * The Dockerfile parser, as moby/buildkit's `frontend/dockerfile/parser` reads one for the classic
 * builder: parser directives (`# syntax`, `# escape`) at the top only, comments, line
 * continuations (comment and empty lines inside one skipped), the instruction keyword in any case,
 * leading `--flag[=value]`s, JSON (exec) or shell form. Variables are not expanded here: that needs
 * the build's ARGs and ENVs as each step runs (shell-words.ts). Heredocs (`<<EOF`) are refused:
 * the classic builder has none.
 */
import { InvalidRequestError } from "../../errors.js";

export interface Flag {
  readonly name: string;
  /** undefined for a bare `--flag`. */
  readonly value: string | undefined;
}

export interface Instruction {
  /** Upper case: `RUN`, `COPY`, … */
  readonly keyword: string;
  /** 1-based lines the instruction spans in the file. */
  readonly line: number;
  readonly endLine: number;
  /** The instruction as Docker prints it in a step: keyword and arguments, continuations joined. */
  readonly text: string;
  readonly flags: readonly Flag[];
  /** The arguments after the flags, trimmed. */
  readonly args: string;
  /** The arguments' JSON array, when written in exec form. */
  readonly json: readonly string[] | undefined;
}

export interface Stage {
  readonly index: number;
  /** Lower case, as `FROM … AS name` names it (buildkit lower-cases stage names). */
  readonly name: string | undefined;
  /** The base as written (ARGs not yet expanded). */
  readonly base: string;
  readonly from: Instruction;
  /** The stage's instructions after its FROM. */
  readonly instructions: readonly Instruction[];
}

export interface Dockerfile {
  readonly directives: { readonly syntax?: string | undefined; readonly escape: string };
  /** ARGs before the first FROM: usable in FROM lines only. */
  readonly metaArgs: readonly Instruction[];
  readonly stages: readonly Stage[];
}

const keywords = new Set([
  "ADD",
  "ARG",
  "CMD",
  "COPY",
  "ENTRYPOINT",
  "ENV",
  "EXPOSE",
  "FROM",
  "HEALTHCHECK",
  "LABEL",
  "MAINTAINER",
  "ONBUILD",
  "RUN",
  "SHELL",
  "STOPSIGNAL",
  "USER",
  "VOLUME",
  "WORKDIR",
]);
/** Instructions whose arguments may be a JSON array. */
const jsonable = new Set(["ADD", "CMD", "COPY", "ENTRYPOINT", "RUN", "SHELL", "VOLUME"]);
const heredocKeywords = new Set(["ADD", "COPY", "RUN"]);
const directive = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/;
const stageName = /^[a-z][a-z0-9-_.]*$/;
const heredoc = /(^|\s)<<-?\s*(["']?)[A-Za-z_][A-Za-z0-9_]*\2/;

/** Parses `text`; errors name `file:line:col`. */
export function parseDockerfile(text: string, file = "Dockerfile"): Dockerfile {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  const fail = (line: number, col: number, message: string): never => {
    throw new InvalidRequestError(`${file}:${line}:${col}: ${message}`);
  };
  let escape = "\\";
  let syntax: string | undefined;
  let i = 0;
  // Directives: only the leading comment lines that look like one; anything else ends them.
  const seen = new Set<string>();
  for (; i < lines.length; i++) {
    const match = directive.exec(lines[i]!.trim());
    if (!match) break;
    const name = match[1]!.toLowerCase();
    const value = match[2]!;
    if (seen.has(name)) fail(i + 1, 1, `only one ${name} parser directive can be used`);
    seen.add(name);
    if (name === "escape") {
      if (value !== "\\" && value !== "`")
        fail(i + 1, 1, `invalid escape token '${value}' does not match \` or \\`);
      escape = value;
    } else if (name === "syntax") syntax = value;
  }
  const continuation = new RegExp(`${escape === "\\" ? "\\\\" : "`"}[ \\t]*$`);
  const isComment = (line: string): boolean => line.trimStart().startsWith("#");

  const instructions: Instruction[] = [];
  for (; i < lines.length; i++) {
    const first = lines[i]!.trimStart();
    if (first === "" || isComment(first)) continue;
    const start = i + 1;
    let joined = first;
    let open = continuation.test(joined);
    if (open) joined = joined.replace(continuation, "");
    while (open && i + 1 < lines.length) {
      i++;
      const next = lines[i]!;
      if (isComment(next) || next.trim() === "") continue;
      open = continuation.test(next);
      joined += open ? next.replace(continuation, "") : next;
    }
    instructions.push(instruction(joined.trim(), start, i + 1, fail));
  }

  const metaArgs: Instruction[] = [];
  const stages: {
    index: number;
    name: string | undefined;
    base: string;
    from: Instruction;
    instructions: Instruction[];
  }[] = [];
  for (const ins of instructions) {
    if (ins.keyword === "FROM") {
      const words = ins.args.split(/\s+/).filter((w) => w !== "");
      let name: string | undefined;
      if (words.length === 3 && words[1]!.toLowerCase() === "as") {
        name = words[2]!.toLowerCase();
        if (!stageName.test(name))
          fail(
            ins.line,
            1,
            `invalid name for build stage: "${words[2]!}", name can't start with a number or contain symbols`,
          );
        if (stages.some((s) => s.name === name)) fail(ins.line, 1, `duplicate name ${name}`);
      } else if (words.length !== 1) fail(ins.line, 1, "FROM requires either one or three arguments");
      stages.push({ index: stages.length, name, base: words[0]!, from: ins, instructions: [] });
    } else if (stages.length === 0) {
      if (ins.keyword !== "ARG")
        fail(ins.line, 1, `no build stage in current context: ${ins.keyword} before the first FROM`);
      metaArgs.push(ins);
    } else stages.at(-1)!.instructions.push(ins);
  }
  if (stages.length === 0)
    fail(instructions.at(-1)?.endLine ?? 1, 1, "the Dockerfile has no FROM instruction");
  return { directives: { syntax, escape }, metaArgs, stages };
}

function instruction(
  line: string,
  start: number,
  end: number,
  fail: (line: number, col: number, message: string) => never,
): Instruction {
  const [word = "", rest = ""] = line.split(/\s+(.*)/s);
  const keyword = word.toUpperCase();
  if (!keywords.has(keyword)) fail(start, 1, `unknown instruction: ${word}`);
  const flags: Flag[] = [];
  let args = rest.trim();
  // Leading `--name[=value]` words are the builder's flags (buildkit's extractBuilderFlags).
  while (args.startsWith("--")) {
    const [flagWord = "", after = ""] = args.split(/\s+(.*)/s);
    if (flagWord === "--") break;
    const eq = flagWord.indexOf("=");
    flags.push(
      eq < 0
        ? { name: flagWord.slice(2), value: undefined }
        : { name: flagWord.slice(2, eq), value: flagWord.slice(eq + 1) },
    );
    args = after.trim();
  }
  let json: string[] | undefined;
  if (jsonable.has(keyword) && args.startsWith("[")) {
    try {
      const parsed: unknown = JSON.parse(args);
      if (Array.isArray(parsed) && parsed.every((v) => typeof v === "string")) json = parsed;
    } catch {
      // Not JSON: the shell form, as buildkit falls back to it.
    }
  }
  if (json === undefined && heredocKeywords.has(keyword) && heredoc.test(args))
    fail(
      start,
      1,
      `${keyword} with a heredoc (<<EOF) is not supported by the native builder; put the text in a file of the build context and COPY it`,
    );
  if (args === "" && keyword !== "CMD" && keyword !== "ENTRYPOINT" && keyword !== "RUN")
    fail(start, 1, `${keyword} requires at least one argument`);
  return { keyword, line: start, endLine: end, text: `${keyword} ${args}`.trim(), flags, args, json };
}

/**
 * An ONBUILD trigger as its own instruction (the text after `ONBUILD`), refused where the builder
 * refuses it: `ONBUILD ONBUILD`, FROM and MAINTAINER.
 */
export function parseTrigger(text: string, line = 1, file = "Dockerfile"): Instruction {
  const fail = (at: number, col: number, message: string): never => {
    throw new InvalidRequestError(`${file}:${at}:${col}: ${message}`);
  };
  const keyword = (text.trim().split(/\s+/)[0] ?? "").toUpperCase();
  if (keyword === "ONBUILD") fail(line, 1, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  if (keyword === "FROM" || keyword === "MAINTAINER")
    fail(line, 1, `${keyword} isn't allowed as an ONBUILD trigger`);
  return instruction(text.trim(), line, line, fail);
}

/** The stages a build of `target` (the last stage when undefined) runs: those up to it. */
export function stagesFor(dockerfile: Dockerfile, target?: string): readonly Stage[] {
  if (target === undefined || target === "") return dockerfile.stages;
  const index = dockerfile.stages.findIndex((s) => s.name === target.toLowerCase());
  if (index < 0) throw new InvalidRequestError(`failed to reach build target ${target} in Dockerfile`);
  return dockerfile.stages.slice(0, index + 1);
}

/** `KEY=VALUE` pairs of ENV and LABEL (or the legacy `ENV KEY value`), quotes kept for expansion. */
export function keyValues(
  ins: Instruction,
  escape = "\\",
  file = "Dockerfile",
): readonly (readonly [string, string])[] {
  const words = rawWords(ins.args, escape);
  if (words.length > 0 && !words[0]!.includes("=")) {
    // Legacy form: one key, the rest of the line its value.
    const value = ins.args.slice(ins.args.indexOf(words[0]!) + words[0]!.length).trim();
    if (value === "")
      throw new InvalidRequestError(`${file}:${ins.line}:1: ${ins.keyword} must have two arguments`);
    return [[words[0]!, value]];
  }
  return words.map((w) => {
    const eq = w.indexOf("=");
    if (eq <= 0)
      throw new InvalidRequestError(
        `${file}:${ins.line}:1: Syntax error - can't find = in "${w}". Must be of the form: name=value`,
      );
    return [w.slice(0, eq), w.slice(eq + 1)] as const;
  });
}

/** ARG's `name[=default]` words. */
export function argDefinitions(
  ins: Instruction,
  escape = "\\",
): readonly { readonly name: string; readonly value: string | undefined }[] {
  return rawWords(ins.args, escape).map((w) => {
    const eq = w.indexOf("=");
    return eq < 0 ? { name: w, value: undefined } : { name: w.slice(0, eq), value: w.slice(eq + 1) };
  });
}

/** Words split at unquoted whitespace, quotes and escapes kept (buildkit's parseWords). */
function rawWords(text: string, escape: string): string[] {
  const words: string[] = [];
  let word = "";
  let quote: string | undefined;
  for (let k = 0; k < text.length; k++) {
    const ch = text[k]!;
    if (quote === undefined && /\s/.test(ch)) {
      if (word !== "") words.push(word);
      word = "";
      continue;
    }
    if (ch === escape && k + 1 < text.length) {
      word += ch + text[++k]!;
      continue;
    }
    if (quote === undefined && (ch === '"' || ch === "'")) quote = ch;
    else if (ch === quote) quote = undefined;
    word += ch;
  }
  if (word !== "") words.push(word);
  return words;
}
