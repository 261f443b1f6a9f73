/**
 * The part of Go's text/template that `docker … --format` users write, and docker/cli's formatter
 * around it (cli/command/formatter): `{{.Field}}`, `{{.Method "arg"}}`, `{{json .}}`, pipes, the
 * functions docker/cli adds (json, join, split, lower, upper, title, pad, truncate, println), `{{-`
 * and `-}}`; a `table ` prefix prints a header row and aligns the columns as Go's tabwriter does.
 * Pure: `ps`, `images`, `stats` and `ls` hand it their rows as structs. Anything outside this
 * subset (`range`, `if`, variables) is refused with one sentence, never half-rendered.
 */
import { UsageError } from "../../errors.js";

/** A method of a struct (`.Label "x"`): called with the template's arguments. */
export type TemplateMethod = (...args: TemplateValue[]) => TemplateValue;
export type TemplateValue =
  | string
  | number
  | boolean
  | null
  | undefined
  | TemplateMethod
  | TemplateStruct
  | readonly TemplateValue[]
  | { readonly [key: string]: TemplateValue };

/**
 * A Go struct: a missing field is an error naming the type (as Go's), where a map prints
 * `<no value>`. `json` marshals its non-method fields in the order given (Go's field order, or
 * sorted where Go marshals a map, as docker/cli does for a formatter context).
 */
export class TemplateStruct {
  constructor(
    readonly typeName: string,
    readonly fields: Readonly<Record<string, TemplateValue>>,
  ) {}
}

type Operand =
  | { readonly kind: "dot"; readonly path: readonly string[] }
  | { readonly kind: "string"; readonly value: string }
  | { readonly kind: "number"; readonly value: number }
  | { readonly kind: "func"; readonly name: string };
type Pipeline = readonly (readonly Operand[])[];
type Node =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "action"; readonly pipeline: Pipeline; readonly col: number };

export interface Template {
  readonly nodes: readonly Node[];
}

type Funcs = Readonly<Record<string, (...args: TemplateValue[]) => TemplateValue>>;

const NO_VALUE = "<no value>";

function parseError(col: number, message: string): UsageError {
  return new UsageError(`template parsing error: template: :1:${col}: ${message}`);
}

/** Parses a template; a malformed or unsupported action is a UsageError naming its column. */
export function parseTemplate(source: string): Template {
  const nodes: Node[] = [];
  let at = 0;
  let trimNext = false;
  // Bounded: each turn consumes at least one action or the rest of the text.
  while (at <= source.length) {
    const open = source.indexOf("{{", at);
    let text = source.slice(at, open === -1 ? source.length : open);
    if (trimNext) text = text.replace(/^\s+/, "");
    if (open === -1) {
      if (text !== "") nodes.push({ kind: "text", text });
      break;
    }
    const close = source.indexOf("}}", open + 2);
    if (close === -1) throw parseError(open + 1, "unclosed action");
    let inner = source.slice(open + 2, close);
    if (/^-\s/.test(inner)) {
      text = text.replace(/\s+$/, "");
      inner = inner.slice(1);
    }
    trimNext = /\s-$/.test(inner);
    if (trimNext) inner = inner.slice(0, -1);
    if (text !== "") nodes.push({ kind: "text", text });
    nodes.push({ kind: "action", pipeline: parsePipeline(inner, open + 3), col: open + 3 });
    at = close + 2;
  }
  return { nodes };
}

function parsePipeline(inner: string, col: number): Pipeline {
  const commands: Operand[][] = [[]];
  const token =
    /\s*(?:("(?:[^"\\]|\\.)*")|(`[^`]*`)|(\|)|(-?\d+(?:\.\d+)?)|(\.(?:[A-Za-z_]\w*)?(?:\.[A-Za-z_]\w*)*)|([A-Za-z_]\w*)|(\S))/y;
  let match: RegExpExecArray | null;
  // Bounded by the action's length: the sticky regex advances at each token.
  while (token.lastIndex < inner.length && (match = token.exec(inner)) !== null) {
    const current = commands[commands.length - 1] ?? [];
    const [, quoted, raw, pipe, num, dot, ident, other] = match;
    if (quoted !== undefined) current.push({ kind: "string", value: JSON.parse(quoted) as string });
    else if (raw !== undefined) current.push({ kind: "string", value: raw.slice(1, -1) });
    else if (pipe !== undefined) commands.push([]);
    else if (num !== undefined) current.push({ kind: "number", value: Number(num) });
    else if (dot !== undefined)
      current.push({
        kind: "dot",
        path: dot
          .split(".")
          .slice(1)
          .filter((p) => p !== ""),
      });
    else if (ident !== undefined) {
      if (["if", "range", "with", "end", "else", "define", "template", "block"].includes(ident))
        throw parseError(col, `"${ident}" is not supported in a --format template`);
      current.push({ kind: "func", name: ident });
    } else throw parseError(col, `unexpected "${other ?? ""}" in command`);
  }
  if (commands.some((c) => c.length === 0)) throw parseError(col, "missing value for command");
  return commands;
}

/** docker/cli's template functions (cli/templates), for rows. */
const ROW_FUNCS: Funcs = {
  json: (v) => marshal(v),
  join: (list, sep) => (Array.isArray(list) ? list.map(show).join(show(sep)) : show(list)),
  split: (s, sep) => show(s).split(show(sep)),
  lower: (s) => show(s).toLowerCase(),
  upper: (s) => show(s).toUpperCase(),
  title: (s) =>
    show(s).replace(/(^|[^\p{L}\p{N}])(\p{L})/gu, (_, a: string, b: string) => a + b.toUpperCase()),
  pad: (s, before, after) => `${" ".repeat(Number(before))}${show(s)}${" ".repeat(Number(after))}`,
  truncate: (s, n) => [...show(s)].slice(0, Number(n)).join(""),
  println: (...args) => `${args.map(show).join(" ")}\n`,
  print: (...args) => args.map(show).join(""),
};

/** docker/cli's HeaderFunctions: what a function prints in a table's header row. */
const HEADER_FUNCS: Funcs = {
  ...Object.fromEntries(Object.keys(ROW_FUNCS).map((name) => [name, (v: TemplateValue) => show(v)])),
  json: () => "",
  join: () => "",
  split: () => "",
};

/** Renders `template` with `.` bound to `dot`. */
export function execute(template: Template, dot: TemplateValue, funcs: Funcs = ROW_FUNCS): string {
  return template.nodes
    .map((node) =>
      node.kind === "text" ? node.text : show(runPipeline(node.pipeline, dot, funcs, node.col)),
    )
    .join("");
}

function runPipeline(pipeline: Pipeline, dot: TemplateValue, funcs: Funcs, col: number): TemplateValue {
  let piped: { value: TemplateValue } | undefined;
  for (const command of pipeline) {
    const [head, ...rest] = command;
    if (head === undefined) break;
    const args = rest.map((op) => operandValue(op, dot, funcs, col, false));
    if (piped) args.push(piped.value);
    let value: TemplateValue;
    if (head.kind === "func") {
      const fn = funcs[head.name];
      if (!fn) throw parseError(col, `function "${head.name}" not defined`);
      value = fn(...args);
    } else {
      const v = operandValue(head, dot, funcs, col, true);
      if (typeof v === "function") value = v(...args);
      else if (args.length > 0)
        throw parseError(col, `can't give argument to non-function ${describe(head)}`);
      else value = v;
    }
    piped = { value };
  }
  return piped?.value;
}

function describe(op: Operand): string {
  return op.kind === "dot"
    ? `.${op.path.join(".")}`
    : op.kind === "func"
      ? op.name
      : JSON.stringify(op.value);
}

function operandValue(
  op: Operand,
  dot: TemplateValue,
  funcs: Funcs,
  col: number,
  head: boolean,
): TemplateValue {
  switch (op.kind) {
    case "string":
    case "number":
      return op.value;
    case "func": {
      const fn = funcs[op.name];
      if (!fn) throw parseError(col, `function "${op.name}" not defined`);
      return fn();
    }
    case "dot": {
      let value: TemplateValue = dot;
      op.path.forEach((name, i) => {
        value = field(value, name, col);
        // A method in the middle of a chain (or as an argument) is called with no arguments.
        if (typeof value === "function" && (i < op.path.length - 1 || !head)) value = value();
      });
      return value;
    }
  }
}

function field(value: TemplateValue, name: string, col: number): TemplateValue {
  if (value instanceof TemplateStruct) {
    if (!(name in value.fields))
      throw new UsageError(
        `template parsing error: template: :1:${col}: executing "" at <.${name}>: can't evaluate field ${name} in type ${value.typeName}`,
      );
    return value.fields[name];
  }
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    return (value as Readonly<Record<string, TemplateValue>>)[name];
  }
  throw new UsageError(
    `template parsing error: template: :1:${col}: executing "" at <.${name}>: can't evaluate field ${name} in type ${goType(value)}`,
  );
}

function goType(value: TemplateValue): string {
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "float64";
  if (Array.isArray(value)) return "[]interface {}";
  return value === null || value === undefined ? "interface {}" : typeof value;
}

/** A value as text/template prints it. */
export function show(value: TemplateValue): string {
  if (value === undefined) return NO_VALUE;
  if (value === null) return "<nil>";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (typeof value === "function") return show(value());
  if (Array.isArray(value)) return `[${value.map(show).join(" ")}]`;
  if (value instanceof TemplateStruct)
    return `{${plain(value.fields)
      .map(([, v]) => show(v))
      .join(" ")}}`;
  const entries = Object.entries(value as Readonly<Record<string, TemplateValue>>).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  return `map[${entries.map(([k, v]) => `${k}:${show(v)}`).join(" ")}]`;
}

function plain(fields: Readonly<Record<string, TemplateValue>>): [string, TemplateValue][] {
  return Object.entries(fields).filter(([, v]) => typeof v !== "function");
}

/** Go's encoding/json as docker/cli's `json` function uses it (no HTML escaping). */
export function marshal(value: TemplateValue): string {
  return JSON.stringify(toJson(value));
}

function toJson(value: TemplateValue): unknown {
  if (value === undefined) return null;
  if (typeof value === "function") return toJson(value());
  if (value instanceof TemplateStruct)
    return Object.fromEntries(plain(value.fields).map(([k, v]) => [k, toJson(v)]));
  if (Array.isArray(value)) return value.map(toJson);
  if (value !== null && typeof value === "object") {
    const record = value as Readonly<Record<string, TemplateValue>>;
    return Object.fromEntries(
      Object.keys(record)
        .sort()
        .map((k) => [k, toJson(record[k])]),
    );
  }
  return value;
}

/**
 * docker/cli's formatter.Context: `json` is `{{json .}}`; `table …` drops the word, prints the
 * header row (the template run on the header map, with the header functions) and aligns the
 * columns; `\t` and `\n` written literally are tab and newline. Each row ends with a newline.
 */
export function formatRows(
  format: string,
  rows: readonly TemplateValue[],
  header: Readonly<Record<string, string>>,
): string {
  const isTable = format.startsWith("table");
  let source = format === "json" ? "{{json .}}" : isTable ? format.slice("table".length) : format;
  source = source
    .replace(/^ +| +$/g, "")
    .replace(/\\t/g, "\t")
    .replace(/\\n/g, "\n");
  const template = parseTemplate(source);
  const body = rows.map((row) => `${execute(template, row)}\n`).join("");
  if (!isTable) return body;
  const headerDot = { ...header, Label: (name: TemplateValue) => labelHeader(show(name)) };
  return tabwrite(`${execute(template, headerDot, HEADER_FUNCS)}\n${body}`);
}

/** SubHeaderContext.Label: the last dotted part, `-` and `_` as spaces. */
function labelHeader(name: string): string {
  return (name.split(".").pop() ?? "").replace(/[-_]/g, " ");
}

/**
 * Go's tabwriter as docker/cli sets it up (min width 10, padding 3, spaces; Compose's sections use
 * min width 20): a cell ended by a tab is padded to its column's widest such cell plus the padding; text after a line's last tab is not aligned.
 * A column is measured over the run of adjacent lines that have it, as Go's column blocks are.
 */
export function tabwrite(text: string, { minWidth = 10, padding = 3 } = {}): string {
  const lines = text.split("\n").map((line) => line.split("\t"));
  const widths = lines.map((cells) => cells.map(() => 0));
  const cellsOf = (i: number): number => (lines[i]?.length ?? 1) - 1; // tab-terminated cells
  for (let col = 0; ; col++) {
    let any = false;
    for (let i = 0; i < lines.length;) {
      if (cellsOf(i) <= col) {
        i++;
        continue;
      }
      any = true;
      let end = i;
      let width = 0;
      while (end < lines.length && cellsOf(end) > col) {
        width = Math.max(width, [...(lines[end]?.[col] ?? "")].length + padding);
        end++;
      }
      width = Math.max(width, minWidth);
      for (let j = i; j < end; j++) (widths[j] ?? [])[col] = width;
      i = end;
    }
    if (!any) break;
  }
  return lines
    .map((cells, i) =>
      cells
        .map((cell, col) =>
          col < cells.length - 1
            ? cell + " ".repeat(Math.max(0, (widths[i]?.[col] ?? 0) - [...cell].length))
            : cell,
        )
        .join(""),
    )
    .join("\n");
}
