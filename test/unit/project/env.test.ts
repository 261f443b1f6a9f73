import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LoadError } from "../../../src/errors.js";
import { makeLookup, parseDotEnv, readEnvFiles, type LoadWarning } from "../../../src/project/env.js";
import { interpolate } from "../../../src/project/interpolate.js";
import { parseYaml } from "../../../src/project/parse.js";

const none = (): undefined => undefined;

function lookupIn(env: Readonly<Record<string, string>>) {
  return (name: string): string | undefined => (Object.hasOwn(env, name) ? env[name] : undefined);
}

function parse(text: string, env: Readonly<Record<string, string>> = {}): Record<string, string> {
  return Object.fromEntries(parseDotEnv(text, ".env", lookupIn(env)));
}

function parseError(text: string, env: Readonly<Record<string, string>> = {}): LoadError {
  try {
    parseDotEnv(text, ".env", lookupIn(env));
  } catch (error) {
    if (error instanceof LoadError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(text)} to fail`);
}

describe("parseDotEnv: syntax", () => {
  it.each<[string, string, Record<string, string>]>([
    ["plain", "FOO=bar", { FOO: "bar" }],
    ["several lines", "ONE=1\nTWO='2'\nTHREE = \"3\"", { ONE: "1", TWO: "2", THREE: "3" }],
    ["spaces around =", "FOO = bar", { FOO: "bar" }],
    ["leading blanks", "   KEY=value\n\tTAB=x", { KEY: "value", TAB: "x" }],
    ["yaml style", "OPTION_A: 1", { OPTION_A: "1" }],
    ["yaml style with = in value", "OPTION_A: Foo=bar", { OPTION_A: "Foo=bar" }],
    ["colon in value", "OPTION_A=1:B", { OPTION_A: "1:B" }],
    ["= in value", "FOO=foobar=", { FOO: "foobar=" }],
    [
      "url value",
      "DB=postgres://localhost:5432/db?sslmode=disable",
      { DB: "postgres://localhost:5432/db?sslmode=disable" },
    ],
    ["export", "export OPTION_A=2", { OPTION_A: "2" }],
    ["export with tab and indent", "  export\tOPTION_A=2", { OPTION_A: "2" }],
    ["export is a prefix of a name", "exportFOO=2\nexport_BAR=3", { exportFOO: "2", export_BAR: "3" }],
    ["export in a quoted value", 'export A="export B"', { A: "export B" }],
    ["trailing blanks trimmed", "FOO=bar   \t", { FOO: "bar" }],
    ["leading blanks of the value trimmed", "FOO=   bar", { FOO: "bar" }],
    ["empty value", "A=\nB=", { A: "", B: "" }],
    ["empty quotes", "A=\"\"\nB=''", { A: "", B: "" }],
    ["inline comment", "FOO=bar # this is foo", { FOO: "bar" }],
    ["inline comment without text", "FOO=bar #", { FOO: "bar" }],
    ["# not after a space is data", "FOO=123#not-a-comment", { FOO: "123#not-a-comment" }],
    ["# after a tab is data", "FOO=bar\t#x", { FOO: "bar\t#x" }],
    ["a value that starts with #", "FOO= # all of this", { FOO: "# all of this" }],
    ["# in double quotes", 'FOO="bar#baz" # comment', { FOO: "bar#baz" }],
    ["# in single quotes", "FOO='bar#baz' # comment", { FOO: "bar#baz" }],
    ["comment right after the quote", 'FOO="bar#baz"#', { FOO: "bar#baz" }],
    ["comment and blank lines", "# one\n\n   # two\n\t\nA=1\n# three", { A: "1" }],
    [
      "names with dots, dashes, brackets",
      "a.b=1\nVAR-WITH-DASHES=2\na[1]=3",
      { "a.b": "1", "VAR-WITH-DASHES": "2", "a[1]": "3" },
    ],
    [
      "unicode names and values",
      "árvíztűrő-TÜKÖRFÚRÓGÉP=ÁRVÍZTŰRŐ-tükörfúrógép",
      { "árvíztűrő-TÜKÖRFÚRÓGÉP": "ÁRVÍZTŰRŐ-tükörfúrógép" },
    ],
    ["a name of digits", "123=x", { "123": "x" }],
    ["an empty name", '="value"', { "": "value" }],
    ["later wins", "A=1\nA=2", { A: "2" }],
    ["a second statement after a quoted value", 'A="1" B=2', { A: "1", B: "2" }],
  ])("%s", (_name, text, expected) => {
    expect(parse(text)).toEqual(expected);
  });

  it("keeps the order in which variables were first defined", () => {
    expect([...parseDotEnv("B=1\nA=2\nB=3", ".env", none).keys()]).toEqual(["B", "A"]);
  });
});

describe("parseDotEnv: quoting and escapes", () => {
  it.each<[string, string, string]>([
    ["single quotes are literal", "A='quote $FOO \\n'", "quote $FOO \\n"],
    ["escaped single quote", "A='it\\'s'", "it's"],
    ["other backslashes stay in single quotes", "A='a\\\\b'", "a\\\\b"],
    ["escaped double quote", 'A="escaped\\"bar"', 'escaped"bar'],
    ["quoted quotes", 'A="\\"quoted\\""', '"quoted"'],
    ["single quotes inside double", "A=\"'d'\"", "'d'"],
    ["newline escape", 'A="bar\\nbaz"', "bar\nbaz"],
    ["tab escape", 'A="a\\tb"', "a\tb"],
    ["shell escapes", 'A="Z\\aZ\\bZ\\fZ\\nZ\\rZ\\tZ\\vZ\\\\Z\\0123Z"', "Z\x07Z\bZ\fZ\nZ\rZ\tZ\vZ\\ZSZ"],
    ["unknown escapes stay", 'A="bar\\n\\ b\\az"', "bar\n\\ b\x07z"],
    ["backslash before a newline escape", 'A="bar\\\\\\n\\ b\\az"', "bar\\\n\\ b\x07z"],
    ["escaped backslash before the closing quote", 'A="bar\\nbaz\\\\"', "bar\nbaz\\"],
    ["\\x, \\u and \\U are not escapes", 'A="\\x07\\u12e4\\U00101234"', "\\x07\\u12e4\\U00101234"],
    ["octal needs three digits", 'A="\\012|\\0|\\0777"', "\\12|\\|\\777"],
    ["unquoted backslashes are literal", "A=a\\tb", "a\\tb"],
    ["a real newline in double quotes", 'A="first line\nsecond line"', "first line\nsecond line"],
    ["a real newline in single quotes", "A='first\nsecond'", "first\nsecond"],
    ["leading and trailing spaces kept in quotes", "A='  x  '", "  x  "],
  ])("%s", (_name, text, expected) => {
    expect(parse(text)["A"]).toBe(expected);
  });
});

describe("parseDotEnv: expansion", () => {
  it.each<[string, string, Record<string, string>, Record<string, string>]>([
    ["$VAR from earlier in the file", "FOO=test\nBAR=$FOO", {}, { FOO: "test", BAR: "test" }],
    ["${VAR} from earlier in the file", "FOO=test\nBAR=${FOO}bar", {}, { FOO: "test", BAR: "testbar" }],
    ["in double quotes", 'FOO=test\nBAR="quote $FOO"', {}, { FOO: "test", BAR: "quote test" }],
    ["not in single quotes", "FOO=test\nBAR='quote $FOO'", {}, { FOO: "test", BAR: "quote $FOO" }],
    ["\\$ in double quotes", 'FOO="foo\\$BAR"', {}, { FOO: "foo$BAR" }],
    [
      "\\${} in double quotes",
      'FOO=test\nBAR="foo\\${FOO} ${FOO}"',
      {},
      { FOO: "test", BAR: "foo${FOO} test" },
    ],
    ["$$ unquoted", "A=$$x", {}, { A: "$x" }],
    ["default", "A=${UNSET:-def}", {}, { A: "def" }],
    ["nested default", "B=b\nA=${UNSET:-${B}}", {}, { B: "b", A: "b" }],
    ["from the lookup", "TEST=$ME", { ME: "YES" }, { TEST: "YES" }],
    [
      "the lookup wins over the file",
      "OPTION_A=1\nOPTION_B=${OPTION_A}",
      { OPTION_A: "5" },
      { OPTION_A: "1", OPTION_B: "5" },
    ],
    ["$(...) and ; stay literal", "A=$(rm -rf /); echo hi", {}, { A: "$(rm -rf /); echo hi" }],
    ["a looked-up value is not expanded again", "A=$X", { X: "${Y}" }, { A: "${Y}" }],
    [
      "a variable alone is inherited",
      "SHELL_VAR\nB=2",
      { SHELL_VAR: "from shell" },
      { SHELL_VAR: "from shell", B: "2" },
    ],
    ["an inherited variable that is not set is skipped", "NOT_FOUND\nB=2", {}, { B: "2" }],
    ["inherited with export", "export SHELL_VAR", { SHELL_VAR: "x" }, { SHELL_VAR: "x" }],
    ["inherited at the end of the file", "B=2\nSHELL_VAR", { SHELL_VAR: "x" }, { B: "2", SHELL_VAR: "x" }],
    ["inherited keeps an earlier value when unset", "A=1\nA", {}, { A: "1" }],
  ])("%s", (_name, text, env, expected) => {
    expect(parse(text, env)).toEqual(expected);
  });

  it("warns about unset variables, at the value", () => {
    const warnings: LoadWarning[] = [];
    const result = parseDotEnv("A=1\nBAR=x$FOO", "dev.env", none, (_message, detail) =>
      warnings.push(detail),
    );
    expect(result.get("BAR")).toBe("x");
    expect(warnings).toEqual([
      {
        message: 'The "FOO" variable is not set. Defaulting to a blank string.',
        location: { file: "dev.env", line: 2, col: 5 },
        path: "",
      },
    ]);
  });
});

describe("parseDotEnv: line ends and encoding", () => {
  it("reads CRLF files without carriage returns in values", () => {
    expect(parse("A=1\r\nB='2'\r\nC = \"3\" \r\n# c\r\nD\r\n", { D: "d" })).toEqual({
      A: "1",
      B: "2",
      C: "3",
      D: "d",
    });
  });

  it("keeps a carriage return inside a quoted value that spans CRLF lines, as Compose does", () => {
    expect(parse('A="one\r\ntwo"\r\n')["A"]).toBe("one\r\ntwo");
  });

  it("ignores a UTF-8 byte order mark", () => {
    expect(parse("\ufeffA=1\nB=2")).toEqual({ A: "1", B: "2" });
  });
});

describe("parseDotEnv: errors", () => {
  it.each<[string, string, string, number, number]>([
    ["a space in a key", "A=1\nKEY VALUE\nB=2", "key cannot contain a space", 2, 4],
    ["a space in a key on the last line", "KEY VALUE", "key cannot contain a space", 1, 4],
    ["a space in a key before =", "MY KEY=1", "key cannot contain a space", 1, 3],
    ["$ in a name", "lol$wut", 'unexpected character "$" in variable name', 1, 4],
    ["% in a name", "%!(EXTRA string)=foo", 'unexpected character "%" in variable name', 1, 1],
    ["a quote after a name", 'A=1\nB"=2', 'unexpected character "\\"" in variable name', 2, 2],
    ["a unicode symbol in a name", "A→B=1", 'unexpected character "→" in variable name', 1, 2],
    ["unterminated double quote", 'KEY="value', "unterminated quoted value", 1, 5],
    ["unterminated single quote", "KEY='", "unterminated quoted value", 1, 5],
    ["escaped closing double quote", 'KEY="value\\"', "unterminated quoted value", 1, 5],
    ["escaped closing single quote", "KEY='value\\'", "unterminated quoted value", 1, 5],
    ["mismatched quotes", "A=1\n\nKEY=  \"value'", "unterminated quoted value", 3, 7],
    [
      "invalid template",
      "A=1\nB=x${",
      "invalid interpolation format for B; you may need to escape any $ with another $",
      2,
      3,
    ],
    [
      "invalid template in double quotes",
      'B="${ X}"',
      "invalid interpolation format for B; you may need to escape any $ with another $",
      1,
      3,
    ],
    [
      "required variable",
      "B=${NEEDED:?set NEEDED first}",
      "required variable NEEDED is missing a value: set NEEDED first",
      1,
      3,
    ],
  ])("%s", (_name, text, message, line, col) => {
    const error = parseError(text);
    expect(error.message).toBe(message);
    expect(error.location).toEqual({ file: ".env", line, col });
  });

  it("never puts a value in a message", () => {
    for (const text of [
      'PASSWORD="hunter2',
      "PASSWORD=hunter2${",
      "PASSWORD='hunter2\nX=1",
      'PASSWORD="hunter2${ x}"',
    ]) {
      const error = parseError(text);
      expect(error.describe()).not.toContain("hunter2");
    }
  });
});

describe("readEnvFiles", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "berth-env-"));
    await writeFile(path.join(dir, "first.env"), "A=1\nSHARED=first\n");
    await writeFile(path.join(dir, "second.env"), "B=${A}-two\nSHARED=second\nC=${SHARED}\n");
    await writeFile(
      path.join(dir, "bom.env"),
      new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode("X=1\n")]),
    );
    await writeFile(path.join(dir, "bad.env"), "OK=1\nNOT OK\n");
    await mkdir(path.join(dir, "folder.env"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads files in order: later files override and can reference earlier ones", async () => {
    const env = await readEnvFiles([path.join(dir, "first.env"), path.join(dir, "second.env")], none);
    // C sees the earlier file's SHARED before its own file's, as compose-go's lookup order makes it.
    expect(Object.fromEntries(env)).toEqual({ A: "1", SHARED: "second", B: "1-two", C: "first" });
  });

  it("lets the shell win in references", async () => {
    const env = await readEnvFiles(
      [path.join(dir, "first.env"), path.join(dir, "second.env")],
      lookupIn({ A: "shell" }),
    );
    expect(env.get("B")).toBe("shell-two");
    expect(env.get("A")).toBe("1");
  });

  it("drops a byte order mark", async () => {
    expect(Object.fromEntries(await readEnvFiles([path.join(dir, "bom.env")], none))).toEqual({ X: "1" });
  });

  it("reports a missing file by the name it was given", async () => {
    const missing = path.join(dir, "nope.env");
    await expect(readEnvFiles([path.join(dir, "first.env"), missing], none)).rejects.toThrow(
      new LoadError(`env file ${missing} not found`),
    );
  });

  it("reports a directory", async () => {
    await expect(readEnvFiles([path.join(dir, "folder.env")], none)).rejects.toThrow(/is a directory$/);
  });

  // Before: read with readFile, /dev/zero grew until memory ran out (`--env-file /dev/zero`,
  // `env_file: /dev/zero`), and a symlink loop was "cannot read env file … (ELOOP)".
  it("stops at the size bound on a file that never ends", async () => {
    const started = Date.now();
    const error = await readEnvFiles(["/dev/zero"], none).catch((e: unknown) => e);
    expect((error as LoadError).describe()).toBe("/dev/zero:1:1: file is larger than 8 MiB");
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("says a symlink loop is one", async () => {
    await symlink("loop-2.env", path.join(dir, "loop-1.env"));
    await symlink("loop-1.env", path.join(dir, "loop-2.env"));
    const loop = path.join(dir, "loop-1.env");
    await expect(readEnvFiles([loop], none)).rejects.toThrow(
      new LoadError(`env file ${loop} is a symlink loop`),
    );
  });

  it("reports errors with the file they are in", async () => {
    const bad = path.join(dir, "bad.env");
    const error = await readEnvFiles([path.join(dir, "first.env"), bad], none).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LoadError);
    expect((error as LoadError).location).toEqual({ file: bad, line: 2, col: 4 });
  });
});

describe("makeLookup", () => {
  const dotenv = new Map([
    ["A", "from-dotenv"],
    ["B", "from-dotenv"],
    ["C", "from-dotenv"],
  ]);
  const lookup = makeLookup({ A: "from-shell", B: "", C: undefined }, dotenv);

  it.each<[string, string | undefined]>([
    ["A", "from-shell"],
    ["B", ""],
    ["C", "from-dotenv"],
    ["D", undefined],
    ["__proto__", undefined],
    ["constructor", undefined],
    ["toString", undefined],
  ])("%s → %j", (name, expected) => {
    expect(lookup(name)).toBe(expected);
  });
});

describe(".env values in a compose file", () => {
  it("stays one string however it looks (no YAML injection)", () => {
    const dotenv = parseDotEnv("X='a\\n  privileged: true'\nY=\"b\n  privileged: true\"", ".env", none);
    const [doc] = parseYaml(
      "services:\n  web:\n    image: app\n    environment: ['X=${X}', 'Y=${Y}']\n",
      "compose.yaml",
    );
    if (!doc) throw new Error("no document");
    const tree = interpolate(doc.tree, doc.sources, makeLookup({}, dotenv));
    expect(tree).toEqual({
      services: {
        web: { image: "app", environment: ["X=a\\n  privileged: true", "Y=b\n  privileged: true"] },
      },
    });
  });
});
