import { describe, expect, it } from "vitest";
import { LoadError } from "../../../src/errors.js";
import { decodeSource, parseYaml } from "../../../src/project/parse.js";

function parseOne(text: string) {
  const docs = parseYaml(text, "compose.yaml");
  expect(docs).toHaveLength(1);
  return docs[0]!;
}

function loadError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(LoadError);
    return (error as LoadError).describe();
  }
  throw new Error("expected a LoadError");
}

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe("parse: values and locations", () => {
  it("records line and column of every key and value", () => {
    const doc = parseOne("services:\n  web:\n    image: nginx\n    ports:\n      - 80:80\n");
    expect(doc.tree).toEqual({ services: { web: { image: "nginx", ports: ["80:80"] } } });
    expect(doc.sources.keyAt(["services", "web", "image"])).toEqual({
      file: "compose.yaml",
      line: 3,
      col: 5,
    });
    expect(doc.sources.valueAt(["services", "web", "image"])).toEqual({
      file: "compose.yaml",
      line: 3,
      col: 12,
    });
    expect(doc.sources.valueAt(["services", "web", "ports", 0])).toEqual({
      file: "compose.yaml",
      line: 5,
      col: 9,
    });
  });

  it("reads scalars as Compose's go-yaml v3 does", () => {
    const doc = parseOne(
      "a: no\nb: yes\nc: on\nd: 0x1F\ne: 1.5\nf: ~\ng: true\nh: '123'\ni: 0440\nj: 09\nk: 1_000\nl: 0b101\nm: '0440'\n",
    );
    expect(doc.tree).toEqual({
      a: "no",
      b: "yes",
      c: "on",
      d: 31,
      e: 1.5,
      f: null,
      g: true,
      h: "123",
      i: 0o440,
      j: 9,
      k: 1000,
      l: 5,
      m: "0440",
    });
  });

  it("rejects control characters with their position", () => {
    expect(loadError(() => decodeSource(bytes("a: 1\nb: x\u0000y\n"), "f.yaml"))).toBe(
      "f.yaml:2:5: control character U+0000 is not allowed in YAML",
    );
  });

  it("falls back to the nearest ancestor's location", () => {
    const doc = parseOne("services:\n  web:\n    image: nginx\n");
    expect(doc.sources.valueAt(["services", "web", "nothing", 3])).toEqual({
      file: "compose.yaml",
      line: 3,
      col: 5,
    });
  });

  it("expands anchors, aliases and merge keys; explicit keys win", () => {
    const doc = parseOne(
      "x-base: &base\n  image: a\n  restart: always\nservices:\n  web:\n    <<: *base\n    image: b\n  api: *base\n",
    );
    expect(doc.tree["services"]).toEqual({
      web: { image: "b", restart: "always" },
      api: { image: "a", restart: "always" },
    });
  });

  it("merges a list of anchors with the earlier one winning", () => {
    const doc = parseOne("a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc:\n  <<: [*a, *b]\n");
    expect(doc.tree["c"]).toEqual({ x: 1, y: 1, z: 2 });
  });

  it("records !reset and !override paths and drops !reset values", () => {
    const doc = parseOne("services:\n  web:\n    ports: !reset []\n    command: !override [a]\n");
    expect(doc.tree).toEqual({ services: { web: { command: ["a"] } } });
    expect(doc.resetPaths).toEqual([
      ["services", "web", "ports"],
      ["services", "web", "command"],
    ]);
  });

  it("accepts CRLF line endings with no carriage return in values", () => {
    const doc = parseOne("services:\r\n  web:\r\n    image: nginx\r\n");
    expect(doc.tree).toEqual({ services: { web: { image: "nginx" } } });
  });

  it("accepts several documents in one file", () => {
    expect(parseYaml("a: 1\n---\nb: 2\n", "f.yaml").map((d) => d.tree)).toEqual([{ a: 1 }, { b: 2 }]);
  });

  it("yields nothing for an empty file or one of only comments", () => {
    expect(parseYaml("", "f.yaml")).toEqual([]);
    expect(parseYaml("# nothing\n", "f.yaml")).toEqual([]);
  });
});

describe("parse: encodings", () => {
  it("drops a UTF-8 byte order mark", () => {
    expect(decodeSource(bytes("\uFEFFa: 1\n"), "f.yaml")).toBe("a: 1\n");
  });

  it("decodes UTF-16 with a byte order mark", () => {
    const text = "a: 1\n";
    const le = new Uint8Array(2 + text.length * 2);
    le[0] = 0xff;
    le[1] = 0xfe;
    for (let i = 0; i < text.length; i++) le[2 + i * 2] = text.charCodeAt(i);
    expect(decodeSource(le, "f.yaml")).toBe(text);
  });

  it("rejects invalid UTF-8 at the offending byte", () => {
    const data = new Uint8Array([...bytes("a: 1\nb: "), 0xc3, 0x28, 0x0a]);
    expect(loadError(() => decodeSource(data, "f.yaml"))).toBe("f.yaml:2:4: file is not valid UTF-8");
  });

  it("refuses a file over the size cap", () => {
    const big = new Uint8Array(8 * 1024 * 1024 + 1);
    expect(loadError(() => decodeSource(big, "big.yaml"))).toBe("big.yaml:1:1: file is larger than 8 MiB");
  });
});

describe("parse: bad input", () => {
  const cases: [string, string, string][] = [
    // At the quote, as go-yaml ("while scanning a quoted scalar"), not at the end of the file.
    [
      "unclosed quote",
      'services:\n  web:\n    image: "busybox\n',
      'compose.yaml:3:12: invalid YAML: unclosed quote: the string starting here has no closing "',
    ],
    [
      "unclosed single quote before more lines",
      "services:\n  web:\n    image: 'busybox\n    ports: []\n",
      "compose.yaml:3:12: invalid YAML: unclosed quote: the string starting here has no closing '",
    ],
    [
      "unclosed bracket",
      "services:\n  web:\n    image: busybox\n    ports: [80, 81\n  db:\n    image: x\n",
      "compose.yaml:4:12: invalid YAML: unclosed bracket: the collection starting here has no closing ]",
    ],
    // An indentation mistake is told as one, never as an unclosed quote or bracket.
    [
      "list item indented less than its key",
      "services:\n  web:\n    image: nginx\n    ports:\n   - 80\n",
      "compose.yaml:5:4: invalid YAML: bad indentation: this list item lines up with no mapping or list above it",
    ],
    [
      "list item indented less than the items above",
      "services:\n  web:\n    environment:\n      - A=1\n     - B=2\n",
      "compose.yaml:5:6: invalid YAML: bad indentation: this list item lines up with no mapping or list above it",
    ],
    [
      "key indented less than its siblings",
      "services:\n  web:\n    image: nginx\n   ports: []\n",
      "compose.yaml:4:1: invalid YAML: bad indentation: all keys of a mapping must start at the same column",
    ],
    // go-yaml: "mapping values are not allowed in this context", at the `:`.
    [
      "a value holding ': '",
      "services:\n  web:\n    image: busybox: latest\n",
      "compose.yaml:3:19: invalid YAML: mapping values are not allowed here: quote a value that holds ': '",
    ],
    [
      "a key indented deeper than the one above",
      "services:\n  web:\n    image: nginx\n      ports: []\n",
      "compose.yaml:4:12: invalid YAML: bad indentation: this line is indented deeper than the key above it",
    ],
    [
      "a line without a colon",
      "services:\n  web:\n    image: nginx\n  x\n",
      "compose.yaml:4:3: invalid YAML: could not find the expected ':' after this key",
    ],
    // `..` is a string to go-yaml (it is no float): a key, checked by the schema like any other.
    [
      "a key of dots",
      "services:\n  ..:\n    image: [a\n",
      "compose.yaml:3:12: invalid YAML: unclosed bracket",
    ],
    ["a float key", "services:\n  .5:\n    image: a\n", "compose.yaml:2:3: non-string key in services: .5"],
    ["tab indentation", "services:\n\tweb:\n", "compose.yaml:2:1: invalid YAML"],
    ["top level is a list", "- a\n- b\n", "compose.yaml:1:1: top-level object must be a mapping"],
    ["top level is a scalar", "---\n42\n", "compose.yaml:2:1: top-level object must be a mapping"],
    [
      "duplicate key",
      "services:\n  web:\n    command: a\n    command: b\n",
      'compose.yaml:4:5: services.web: mapping key "command" already defined at line 3',
    ],
    ["numeric key", "services:\n  123:\n    image: a\n", "compose.yaml:2:3: non-string key in services: 123"],
    ["boolean key at top", "true: 1\n", "compose.yaml:1:1: non-string key at top level: true"],
    [
      "unknown tag",
      "services:\n  web: !custom {}\n",
      "compose.yaml:2:16: services.web: unknown YAML tag !custom",
    ],
    ["undefined alias", "a: *nothing\n", "compose.yaml:1:4: unknown alias *nothing"],
    [
      "merge of a scalar",
      "a:\n  <<: 3\n",
      "compose.yaml:2:3: a merge key (<<) needs a mapping or a list of mappings",
    ],
  ];
  for (const [name, text, expected] of cases) {
    it(name, () => {
      expect(loadError(() => parseYaml(text, "compose.yaml"))).toContain(expected);
    });
  }

  it("stops a billion-laughs file quickly with a clear error", () => {
    const levels = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(", ")}]`);
    }
    const started = Date.now();
    const message = loadError(() => parseYaml(`${levels.join("\n")}\n`, "bomb.yaml"));
    expect(message).toMatch(/^bomb\.yaml:\d+:\d+: excessive aliasing/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("reads a quoted key that looks like a number as a string, in block and in flow style", () => {
    for (const text of ['labels:\n  "123": a\n', 'labels: {"123": a}\n', "'1.5': [x]\n"]) {
      const [doc] = parseYaml(text, "compose.yaml");
      expect(Object.keys((doc?.tree["labels"] ?? doc?.tree) as object)).toEqual([
        text.includes("1.5") ? "1.5" : "123",
      ]);
    }
  });

  it("reads keys of dots as strings", () => {
    expect(parseYaml("..: 1\n.a: [2]\n", "compose.yaml")[0]?.tree).toEqual({ "..": 1, ".a": [2] });
  });

  // Every reader recursed once per level: 100000 brackets overflowed the stack ("maximum call
  // stack size exceeded"), and the time grew with the depth.
  const deepCases: [string, string, string][] = [
    ["flow sequences", `a: ${"[".repeat(100_000)}\n`, "deep.yaml:1:504:"],
    ["flow mappings", `a: ${"{a: ".repeat(100_000)}\n`, "deep.yaml:1:2004:"],
    ["block sequences on one line", `a:\n${"- ".repeat(100_000)}x\n`, "deep.yaml:2:1001:"],
    [
      "block mappings",
      Array.from({ length: 2000 }, (_, i) => `${" ".repeat(i)}k:\n`).join(""),
      "deep.yaml:502:502:",
    ],
  ];
  for (const [name, text, place] of deepCases) {
    it(`stops deep nesting of ${name} at the level past the cap, quickly`, () => {
      const started = Date.now();
      expect(loadError(() => parseYaml(text, "deep.yaml"))).toBe(
        `${place} nesting is deeper than 500 levels`,
      );
      expect(Date.now() - started).toBeLessThan(2000);
    });
  }

  it("refuses nesting deeper than the cap", () => {
    const deep = `${"[".repeat(600)}${"]".repeat(600)}`;
    expect(loadError(() => parseYaml(`a: ${deep}\n`, "deep.yaml"))).toContain(
      "nesting is deeper than 500 levels",
    );
  });
});
