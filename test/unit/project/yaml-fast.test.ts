/**
 * The fast reader must answer exactly as js-yaml (with the compose schema) does, or not at all.
 * Checked on every YAML file in the repository, on snippets of each construct it reads, on
 * snippets it must leave to js-yaml, and on seeded random mutations of all of them.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { loadAll } from "js-yaml";
import { describe, expect, it } from "vitest";
import { readFast } from "../../../src/project/yaml-fast.js";
import { COMPOSE_SCHEMA } from "../../../src/project/yaml-schema.js";

const root = path.resolve(import.meta.dirname, "../../..");

function jsYaml(text: string): { value?: unknown[]; error?: unknown } {
  try {
    return { value: loadAll(text, undefined, { schema: COMPOSE_SCHEMA }) };
  } catch (error) {
    return { error };
  }
}

/**
 * Equal values, keys in the same order, and objects shared in the same places (an alias is the
 * anchored object itself in both). Linear even for "billion laughs": a pair met again is not walked again.
 */
function sameTree(a: unknown, b: unknown, pairs = new Map<object, object>()): boolean {
  if (typeof a !== "object" || a === null || typeof b !== "object" || b === null) return Object.is(a, b);
  const paired = pairs.get(a);
  if (paired !== undefined) return paired === b;
  pairs.set(a, b);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.join("\u0000") !== keysB.join("\u0000")) return false;
  return keysA.every((k) =>
    sameTree((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], pairs),
  );
}

/** The fast reader's answer is js-yaml's, or it declined. Returns whether it answered. */
function agrees(text: string): boolean {
  const fast = readFast(text);
  if (fast === undefined) return false;
  const reference = jsYaml(text);
  if (reference.error !== undefined) {
    throw new Error(`fast reader accepted what js-yaml rejects:\n${text}\n${String(reference.error)}`);
  }
  if (!sameTree(fast, reference.value)) {
    throw new Error(
      `fast reader differs:\n${text}\nfast: ${JSON.stringify(fast)}\njs-yaml: ${JSON.stringify(reference.value)}`,
    );
  }
  return true;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === "node_modules" ? [] : yamlFiles(full);
    return /\.ya?ml$/.test(name) ? [full] : [];
  });
}

/** Each construct the fast reader takes on. */
const READ_FAST: Record<string, string> = {
  "nested mappings": "services:\n  web:\n    image: nginx\n    restart: always\n",
  "document start": "---\nservices:\n  web: {image: nginx}\n",
  "document start with a comment": "--- # a comment\nname: x\n",
  "comments everywhere":
    "# top\nservices: # trailing\n  # inside\n  web:\n    image: nginx # why\n\n    # gap\n    init: true\n",
  "sequence under a key, same column":
    "services:\n  web:\n    ports:\n    - 80:80\n    - '443:443'\n    init: true\n",
  "sequence under a key, deeper":
    "services:\n  web:\n    command:\n      - sh\n      - -c\n      - echo hi\n",
  "compact mappings in a sequence":
    "x:\n  - name: a\n    value: 1\n  -   name: b\n      value: 2\n  - target: /data\n    read_only: true\n",
  "empty values": "a:\nb: ~\nc: null\nd:\n  e:\n",
  "empty sequence item": "a:\n  -\n  - x\n",
  "scalars as go-yaml reads them":
    "a: 1\nb: 0x1F\nc: 0o17\nd: 017\ne: 1_000\nf: 1.5\ng: .5\nh: -2\ni: +3\nj: true\nk: False\nl: yes\nm: no\nn: on\no: 1e3\np: .inf\nq: -.Inf\nr: .NaN\ns: 12:30\nt: 0.1.2\nu: NULL\nv: Null\nw: tRue\n",
  "plain strings with colons, hashes and quotes":
    'a: http://example.com:8080/x#frag\nb: it\'s\nc: say "hi"\nd: a#b\nf: x:y\ng: -x\nh: --flag=1\ni: a - b\nj: trailing   \n',
  "quoted scalars":
    "a: \"x: y # not a comment\"\nb: 'it''s'\nc: \"tab\\there\\nnew \\\\ \\\" \\/\"\nd: ''\ne: \"\"\nf: ' spaced '\ng: \"123\"\nh: 'true'\n",
  "quoted keys": "\"a b\": 1\n'c''d': 2\n\"<<\": 3\n",
  "keys with dots, slashes and dollars":
    "labels:\n  com.example.tier: web\n  traefik.http/x: y\n  $x: 1\n  a b: 2\n  key:x: 3\n",
  "flow collections":
    "a: [1, two, \"three\", 'four', [5, 6], {}]\nb: {x: 1, y: [a, b], 'z': \"q\"}\nc: []\nd: {}\ne: [ spaced , items ]\nf: [CMD, wget, -q, -O-]\n",
  "literal block scalars":
    "a: |\n  line one\n    indented\n\n  after a blank\nb: |-\n  stripped\n  end\nc:\n  - |\n    in a sequence\n  - x\nd: | # comment\n  x\n\n\ne: 1\n",
  "anchors and aliases":
    "x-a: &a\n  restart: always\n  labels: &labels\n    t: 1\nx-s: &s just text\nservices:\n  one:\n    <<: *a\n    image: one\n  two:\n    labels: *labels\n    command: *s\n    list: [*s, *s]\n",
  "merge keys: several sources, explicit keys win":
    "a: &a {x: 1, y: 2}\nb: &b {y: 3, z: 4}\nc:\n  w: 0\n  <<: [*a, *b]\n  x: 9\n",
  "merge key after explicit keys": "a: &a {x: 1, y: 2}\nc:\n  x: 0\n  <<: *a\n",
  "keys named like Object.prototype's":
    "a: &a {constructor: 1, toString: 2}\nb:\n  <<: *a\n  hasOwnProperty: 3\n  valueOf: 4\n",
  "merge of an inline block": "c:\n  <<:\n    x: 1\n  y: 2\n",
  "anchored sequence item and empty anchor":
    "a:\n  - &i item\n  - *i\n  - &m\n    k: v\n  - *m\nb: &e\nc: *e\n",
  "many services": Array.from(
    { length: 50 },
    (_, i) =>
      `  svc${i}:\n    image: app:${i}\n    ports:\n      - "127.0.0.1:${10000 + i}:80"\n    environment:\n      N: "${i}"\n`,
  ).reduce((all, s) => all + s, "services:\n"),
};

/** What the fast reader must leave to js-yaml (whose answer, value or error, then stands). */
const LEFT_TO_JS_YAML: Record<string, string> = {
  tab: "a:\n\tb: 1\n",
  CRLF: "a: 1\r\nb: 2\r\n",
  "byte order mark inside": "a: \uFEFFx\n",
  tag: "a: !reset []\n",
  "unknown tag": "a: !!str 1\n",
  "folded scalar": "a: >\n  x\n  y\n",
  "keep chomping": "a: |+\n  x\n\n",
  "indentation indicator": "a: |2\n   x\n",
  "multi-line plain": "a: one\n  two\n",
  "multi-line quoted": 'a: "one\n  two"\n',
  "complex key": "? a\n: b\n",
  "two documents": "a: 1\n---\nb: 2\n",
  "document end": "a: 1\n...\n",
  "duplicate key": "a: 1\na: 2\n",
  "duplicate key after a merge override": "x: &x {a: 1}\ny:\n  <<: *x\n  a: 2\n  a: 3\n",
  "undefined alias": "a: *nope\n",
  "numeric key": "1: a\n",
  "quoted numeric keys (the precise reader tells them from plain ones)": "'1': a\n\"2\": b\n",
  "alias expansion past the node bound": ["x0: &x0 [a, b, c, d, e, f, g, h, i, j]"]
    .concat(
      Array.from({ length: 7 }, (_, i) => `x${i + 1}: &x${i + 1} [${Array(10).fill(`*x${i}`).join(", ")}]`),
    )
    .join("\n"),
  "boolean key": "true: a\n",
  "null key": "~: a\n",
  "float key": ".inf: a\n",
  "key with space before colon": "a : 1\n",
  "mapping in a plain value": "a: b: c\n",
  "top-level sequence": "- a\n- b\n",
  "top-level scalar": "just text\n",
  "indented top level": "  a: 1\n",
  "nested compact sequence": "a:\n  - - x\n",
  "unclosed flow": "a: [1, 2\n",
  "flow across lines": "a: [1,\n  2]\n",
  "trailing comma": "a: [1, 2, ]\n",
  "flow pair in a sequence": "a: [x: 1]\n",
  "escape outside the common set": 'a: "\\u00e9"\n',
  "comment without a space": 'a: 1#x\nb: "q"#c\n',
  directive: "%YAML 1.2\n---\na: 1\n",
  "bad indentation": "a:\n    b: 1\n  c: 2\n",
  "deep nesting": `${Array.from({ length: 60 }, (_, i) => `${" ".repeat(i)}k${i}:`).join("\n")} x\n`,
  "proto key": "__proto__: x\n",
  "empty file": "",
  "comments only": "# nothing\n",
  "merge of a scalar": "a:\n  <<: text\n",
  "line of spaces inside a literal": "a: |\n  x\n   \n  y\n",
};

describe("the fast YAML reader", () => {
  it("agrees with js-yaml on every YAML file in the repository, and reads the examples", () => {
    const files = [...yamlFiles(path.join(root, "test")), ...yamlFiles(path.join(root, "examples"))];
    expect(files.length).toBeGreaterThan(50);
    let read = 0;
    for (const file of files) {
      const text = readFileSync(file, "utf8").replace(/^\uFEFF/, "");
      if (agrees(text)) read++;
    }
    expect(read).toBeGreaterThan(files.length / 2);
    for (const example of ["examples/webapp/compose.yaml", "examples/demo/compose.yaml"]) {
      expect(agrees(readFileSync(path.join(root, example), "utf8")), example).toBe(true);
    }
  });

  for (const [what, text] of Object.entries(READ_FAST)) {
    it(`reads ${what} as js-yaml does`, () => {
      expect(agrees(text)).toBe(true);
    });
  }

  for (const [what, text] of Object.entries(LEFT_TO_JS_YAML)) {
    it(`leaves ${what} to js-yaml`, () => {
      expect(readFast(text)).toBeUndefined();
    });
  }

  it("keeps aliases as shared objects, as js-yaml does", () => {
    const [doc] = readFast("a: &a {x: 1}\nb: *a\nc: [*a]\n") as [Record<string, unknown>];
    expect(doc["b"]).toBe(doc["a"]);
    expect((doc["c"] as unknown[])[0]).toBe(doc["a"]);
  });

  it("agrees with js-yaml on 4,000 seeded random mutations of the snippets", () => {
    const seeds = Object.values(READ_FAST).filter((s) => s.length < 2_000);
    const pieces = [
      ":",
      " ",
      "-",
      "#",
      "'",
      '"',
      "[",
      "]",
      "{",
      "}",
      ",",
      "&a",
      "*a",
      "|",
      "|-",
      ">",
      "!",
      "\n",
      "  ",
      "<<",
      "\\",
      "?",
      "1",
      "0x1",
      "true",
      "~",
      ".5",
      "\n  ",
      "\n- ",
      ": ",
      " #",
      "---",
      "&b ",
      "*b",
    ];
    let state = Number(process.env["BERTH_TEST_SEED"] ?? 20261123);
    const random = (): number => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state / 2147483648;
    };
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    let read = 0;
    for (let round = 0; round < 4_000; round++) {
      let text = pick(seeds);
      for (let edits = 1 + Math.floor(random() * 3); edits > 0; edits--) {
        const at = Math.floor(random() * text.length);
        const how = random();
        if (how < 0.45) text = text.slice(0, at) + pick(pieces) + text.slice(at);
        else if (how < 0.75) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(random() * 3));
        else {
          const lines = text.split("\n");
          lines.splice(Math.floor(random() * lines.length), 0, pick(lines));
          text = lines.join("\n");
        }
      }
      if (agrees(text)) read++;
    }
    // Most mutations break the text or leave the subset; enough must stay read fast to mean something.
    expect(read).toBeGreaterThan(500);
  });
});
