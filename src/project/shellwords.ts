/**
 * Split a command line into words as go-shellwords v1.0.12 does (Compose's `command`/`entrypoint`
 * strings): blanks separate words; `'...'` is literal; `"..."` groups; a backslash escapes the next
 * character (outside single quotes); `$(...)` and backquotes are kept as text; parsing stops at an
 * unquoted `;`, `&`, `|`, `<` or `>`. Throws on an unterminated quote or escape.
 */
export function shellSplit(line: string): string[] {
  const invalid = (): Error => new Error("invalid command line string");
  const args: string[] = [];
  let buf = "";
  let escaped = false;
  let doubleQuoted = false;
  let singleQuoted = false;
  let backQuote = false;
  let dollarQuote = false;
  let got: "none" | "single" | "quoted" = "none";
  loop: for (const r of line) {
    if (escaped) {
      buf += r;
      escaped = false;
      got = "single";
      continue;
    }
    if (r === "\\") {
      if (singleQuoted) buf += r;
      else escaped = true;
      continue;
    }
    if (r === " " || r === "\t" || r === "\r" || r === "\n") {
      if (singleQuoted || doubleQuoted || backQuote || dollarQuote) {
        buf += r;
      } else if (got !== "none") {
        args.push(buf);
        buf = "";
        got = "none";
      }
      continue;
    }
    switch (r) {
      case "`":
        if (!singleQuoted && !doubleQuoted && !dollarQuote) backQuote = !backQuote;
        break;
      case ")":
        if (!singleQuoted && !doubleQuoted && !backQuote) dollarQuote = !dollarQuote;
        break;
      case "(":
        if (!singleQuoted && !doubleQuoted && !backQuote) {
          if (!dollarQuote && buf.endsWith("$")) {
            dollarQuote = true;
            buf += "(";
            continue;
          }
          throw invalid();
        }
        break;
      case '"':
        if (!singleQuoted && !dollarQuote) {
          if (doubleQuoted) got = "quoted";
          doubleQuoted = !doubleQuoted;
          continue;
        }
        break;
      case "'":
        if (!doubleQuoted && !dollarQuote) {
          if (singleQuoted) got = "quoted";
          singleQuoted = !singleQuoted;
          continue;
        }
        break;
      case ";":
      case "&":
      case "|":
      case "<":
      case ">":
        if (!(singleQuoted || doubleQuoted || backQuote || dollarQuote)) {
          if (r === ">" && buf.length > 0 && isAsciiDigit(buf[0])) got = "none";
          break loop;
        }
        break;
    }
    got = "single";
    buf += r;
  }
  if (got !== "none") args.push(buf);
  if (escaped || singleQuoted || doubleQuoted || backQuote || dollarQuote) throw invalid();
  return args;
}

function isAsciiDigit(c: string | undefined): boolean {
  return c !== undefined && c >= "0" && c <= "9";
}
