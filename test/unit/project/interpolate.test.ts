import { describe, expect, it } from "vitest";
import { LoadError } from "../../../src/errors.js";
import {
  interpolate,
  MAX_TEMPLATE_NESTING,
  substitute,
  TemplateError,
  type LoadWarning,
} from "../../../src/project/interpolate.js";
import { parseYaml } from "../../../src/project/parse.js";
import type { Mapping } from "../../../src/project/tree.js";

const ENV: Readonly<Record<string, string>> = {
  A: "a",
  a: "lower",
  B: "b",
  EMPTY: "",
  SPACED: "x y",
  TEMPLATE: "${A}",
  ESCAPED: "$$A",
  MULTILINE: "a\n  privileged: true",
  UNICODE: "héllo → 🌍",
  SHELL: "$(rm -rf /); echo pwned",
  PRIV: "true",
};

function lookupIn(env: Readonly<Record<string, string>>) {
  return (name: string): string | undefined => (Object.hasOwn(env, name) ? env[name] : undefined);
}

function expandWith(template: string, env: Readonly<Record<string, string>> = ENV) {
  const missing: string[] = [];
  const value = substitute(template, lookupIn(env), (name) => missing.push(name));
  return { value, missing };
}

function templateError(template: string, env: Readonly<Record<string, string>> = ENV): TemplateError {
  try {
    substitute(template, lookupIn(env));
  } catch (error) {
    if (error instanceof TemplateError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(template)} to fail`);
}

const yaml = (...lines: string[]): string => `${lines.join("\n")}\n`;

function load(text: string, env: Readonly<Record<string, string>> = ENV) {
  const [doc] = parseYaml(text, "compose.yaml");
  if (!doc) throw new Error("no document");
  const warnings: LoadWarning[] = [];
  const messages: string[] = [];
  const tree = interpolate(doc.tree, doc.sources, lookupIn(env), (message, detail) => {
    messages.push(message);
    warnings.push(detail);
  });
  return { tree, warnings, messages, input: doc.tree };
}

function loadError(text: string, env: Readonly<Record<string, string>> = ENV): LoadError {
  try {
    load(text, env);
  } catch (error) {
    if (error instanceof LoadError) return error;
    throw error;
  }
  throw new Error("expected the load to fail");
}

/** `services.web.<key>: <value>` as a one-service compose file; the value starts at line 3, col 5 + key + 2. */
function service(key: string, value: string): string {
  return yaml("services:", "  web:", `    ${key}: ${value}`);
}

function serviceValue(tree: Mapping, key: string): unknown {
  const services = tree["services"] as Mapping;
  return (services["web"] as Mapping)[key];
}

describe("substitute", () => {
  it.each([
    // plain references
    ["$A", "a"],
    ["${A}", "a"],
    ["${a}", "lower"],
    ["pre-${A}-post", "pre-a-post"],
    ["$A$B", "ab"],
    ["${A}_x", "a_x"],
    ["$A.b", "a.b"],
    ["$A-b", "a-b"],
    ["$A/b:${B}", "a/b:b"],
    ["line one $A\nline two ${B}", "line one a\nline two b"],
    // :- and -
    ["${UNSET:-def}", "def"],
    ["${EMPTY:-def}", "def"],
    ["${A:-def}", "a"],
    ["${UNSET-def}", "def"],
    ["${EMPTY-def}", ""],
    ["${A-def}", "a"],
    ["${UNSET:-}", ""],
    ["${UNSET-}", ""],
    ["${UNSET:-with spaces and : - ? + chars}", "with spaces and : - ? + chars"],
    // :+ and +
    ["${A:+alt}", "alt"],
    ["${EMPTY:+alt}", ""],
    ["${UNSET:+alt}", ""],
    ["${A+alt}", "alt"],
    ["${EMPTY+alt}", "alt"],
    ["${UNSET+alt}", ""],
    // :? and ? when the variable has a value
    ["${A:?unused}", "a"],
    ["${EMPTY?unused}", ""],
    ["${A?}", "a"],
    // nesting
    ["${UNSET:-${A}}", "a"],
    ["${UNSET:-${UNSET2:-deep}}", "deep"],
    ["${UNSET:-${UNSET2:-${B}}}", "b"],
    ["${UNSET:-${A}/img}:${B:-latest}", "a/img:b"],
    ["${A:+${B}-suffix}", "b-suffix"],
    ["x${A+${A}y}z", "xayz"],
    ["${UNSET:-x} and ${A:+y}", "x and y"],
    ["${UNSET-x}${UNSET:-y}${A}", "xya"],
    // braces inside an operator's argument
    ["${UNSET:-{}}", "{}"],
    ["${UNSET:-{a}b}", "{a}b"],
    ["${UNSET-x}}", "x}"],
    ["${A}}", "a}"],
    // compose-go's brace counter skips the character after every `{`, so this `{}` does not close
    ["${UNSET:-{}}x}", "{}}x"],
    // $$ escapes
    ["$$", "$"],
    ["$$A", "$A"],
    ["$${A}", "${A}"],
    ["$$$A", "$a"],
    ["$$$$", "$$"],
    ["${UNSET:-$$}", "$"],
    ["${UNSET:-$${A}}", "${A}"],
    ["${UNSET:-$$A}", "$A"],
    // a $ that starts nothing stays
    ["100$", "100$"],
    ["$1", "$1"],
    ["$ A", "$ A"],
    ["$(date)", "$(date)"],
    ["$-x", "$-x"],
    ["a;b && c | d", "a;b && c | d"],
    ["${UNSET:-a;b}", "a;b"],
    ["{A}", "{A}"],
    // values are inserted as text, never expanded again
    ["${TEMPLATE}", "${A}"],
    ["$ESCAPED", "$$A"],
    ["${MULTILINE}", "a\n  privileged: true"],
    ["${SHELL}", "$(rm -rf /); echo pwned"],
    ["${UNICODE}!", "héllo → 🌍!"],
    ["${SPACED}", "x y"],
    ["ünïcödé ${A} ✓", "ünïcödé a ✓"],
  ])("%j → %j", (template, expected) => {
    expect(expandWith(template).value).toBe(expected);
  });

  it("reports each unset variable referenced without a default, and expands it to nothing", () => {
    expect(expandWith("$UNSET and ${UNSET2}, $A_B")).toEqual({
      value: " and , ",
      missing: ["UNSET", "UNSET2", "A_B"],
    });
  });

  it("does not report variables that have an operator", () => {
    expect(expandWith("${UNSET:-x}${UNSET-y}${UNSET:+z}${UNSET+w}").missing).toEqual([]);
  });

  it("expands a default only when it is used (no warning, no error from an unused one)", () => {
    expect(expandWith("${A:-${UNSET}}")).toEqual({ value: "a", missing: [] });
    expect(expandWith("${A:-${}}").value).toBe("a");
    expect(expandWith("${UNSET:+${REQUIRED:?boom}}").value).toBe("");
  });

  it.each([
    "${",
    "${}",
    "${ A}",
    "${A }",
    "${A!}",
    "${A:}",
    "${A:x}",
    "${A",
    "${A:-x",
    "${1A}",
    "${A.b}",
    "${é}",
    "${A:-multi\nline}",
    "ok $A then ${",
    "${UNSET:-${}}",
    "${UNSET:-${B!}}",
  ])("rejects %j", (template) => {
    const error = templateError(template);
    expect(error.kind).toBe("invalid");
    expect(error.message).toBe("invalid interpolation format");
  });

  it.each([
    ["${UNSET:?must be set}", "required variable UNSET is missing a value: must be set"],
    ["${EMPTY:?must not be empty}", "required variable EMPTY is missing a value: must not be empty"],
    ["${UNSET?}", "required variable UNSET is missing a value"],
    ["${UNSET:?}", "required variable UNSET is missing a value"],
    ["${UNSET:?need ${A} here}", "required variable UNSET is missing a value: need a here"],
    ["${UNSET:-${INNER:?inner missing}}", "required variable INNER is missing a value: inner missing"],
  ])("%j fails: %s", (template, message) => {
    const error = templateError(template);
    expect(error.kind).toBe("required");
    expect(error.message).toBe(message);
  });

  it("refuses defaults nested deeper than the limit instead of overflowing the stack", () => {
    const deep = `${"${UNSET:-".repeat(MAX_TEMPLATE_NESTING + 5)}x${"}".repeat(MAX_TEMPLATE_NESTING + 5)}`;
    expect(templateError(deep).kind).toBe("nesting");
    const fine = `${"${UNSET:-".repeat(50)}x${"}".repeat(50)}`;
    expect(expandWith(fine).value).toBe("x");
  });

  it("handles long lines of many expressions without recursion", () => {
    const template = "${UNSET:-x}".repeat(20_000);
    expect(expandWith(template).value).toBe("x".repeat(20_000));
  });
});

describe("interpolate", () => {
  it("substitutes every string value at any depth, lists included, and never keys", () => {
    const { tree } = load(
      yaml(
        "services:",
        "  web:",
        '    image: "${A}:${B:-latest}"',
        "    command: [echo, $A, '${B}']",
        "    environment:",
        "      ${A}: $B",
        "    labels:",
        "      - nested:",
        "          deeper: [x$A]",
        "x-extension: ${UNSET:-default}",
      ),
    );
    expect(tree).toEqual({
      services: {
        web: {
          image: "a:b",
          command: ["echo", "a", "b"],
          environment: { "${A}": "b" },
          labels: [{ nested: { deeper: ["xa"] } }],
        },
      },
      "x-extension": "default",
    });
  });

  it("leaves numbers, booleans and nulls alone and does not modify its input", () => {
    const text = yaml(
      "services:",
      "  web:",
      "    image: $A",
      "    x-n: 5",
      "    x-b: true",
      "    x-null: null",
    );
    const { tree, input } = load(text);
    expect(serviceValue(tree, "x-n")).toBe(5);
    expect(serviceValue(tree, "x-b")).toBe(true);
    expect(serviceValue(tree, "x-null")).toBe(null);
    expect(serviceValue(input, "image")).toBe("$A");
    expect(tree).not.toBe(input);
  });

  it("keeps a value that looks like YAML as one string (no injection)", () => {
    const { tree } = load(
      yaml("services:", "  web:", "    image: app", "    environment:", "      X: ${MULTILINE}"),
    );
    const web = (tree["services"] as Mapping)["web"] as Mapping;
    expect(web["environment"]).toEqual({ X: "a\n  privileged: true" });
    expect(web["privileged"]).toBeUndefined();
  });

  it("warns about unset variables with the sentence Compose prints, and where they are", () => {
    const { warnings, messages } = load(service("image", '"${NOPE}-x"'));
    expect(messages).toEqual(['The "NOPE" variable is not set. Defaulting to a blank string.']);
    expect(warnings).toEqual([
      {
        message: 'The "NOPE" variable is not set. Defaulting to a blank string.',
        location: { file: "compose.yaml", line: 3, col: 12 },
        path: "services.web.image",
      },
    ]);
  });

  it.each([
    ["${foo!}", '"${foo!}"', 12],
    ["${}", '"${}"', 12],
    ["${ foo}", '"${ foo}"', 12],
    ["${foo:}", '"${foo:}"', 12],
    ["pre ${", '"pre ${"', 12],
  ])("reports the invalid template %j with file, line, column and path", (template, shown, col) => {
    const error = loadError(service("image", JSON.stringify(template)));
    expect(error.message).toBe(
      `invalid interpolation format: ${shown}; you may need to escape any $ with another $`,
    );
    expect(error.location).toEqual({ file: "compose.yaml", line: 3, col });
    expect(error.path).toBe("services.web.image");
  });

  it("points at the list item that holds a bad template", () => {
    const error = loadError(yaml("services:", "  web:", "    command:", "      - echo", "      - ${oops"));
    expect(error.path).toBe("services.web.command[1]");
    expect(error.location).toEqual({ file: "compose.yaml", line: 5, col: 9 });
    expect(error.describe()).toBe(
      "compose.yaml:5:9: services.web.command[1]: invalid interpolation format: " +
        '"${oops"; you may need to escape any $ with another $',
    );
  });

  it("reports a required variable with Compose's sentence at the value", () => {
    const error = loadError(service("image", '"${TAG:?set TAG to the release}"'));
    expect(error.message).toBe("required variable TAG is missing a value: set TAG to the release");
    expect(error.location).toEqual({ file: "compose.yaml", line: 3, col: 12 });
    expect(error.path).toBe("services.web.image");
  });

  it("checks every value, extension fields included", () => {
    const error = loadError(yaml("services:", "  web:", "    image: app", "x-unused:", "  note: ${bad"));
    expect(error.path).toBe("x-unused.note");
  });
});

describe("interpolate: type casts", () => {
  it.each([
    ["privileged", "${PRIV}", true],
    ["privileged", '"true"', true],
    ["privileged", '"TRUE"', true],
    ["privileged", '"False"', false],
    ["read_only", '"${UNSET:-false}"', false],
    ["tty", '"yes"', true],
    ["stdin_open", '"off"', false],
    ["init", '"Y"', true],
    ["oom_kill_disable", '"n"', false],
    ["cpus", '"0.5"', 0.5],
    ["cpus", '"${UNSET:-1.5}"', 1.5],
    ["cpus", '"2"', 2],
    ["cpus", '".25"', 0.25],
    ["cpus", '"1e1"', 10],
    ["cpus", '"0x1p-2"', 0.25],
    ["cpus", '"inf"', Infinity],
    ["cpu_percent", '"12.5"', 12.5],
    ["cpu_shares", '"512"', 512],
    ["cpu_count", '"-1"', -1],
    ["scale", '"+3"', 3],
    ["pids_limit", '"007"', 7],
    ["oom_score_adj", '"-9223372036854775808"', -9223372036854775808],
  ])("services.web.%s: %s → %j", (key, value, expected) => {
    expect(serviceValue(load(service(key, value)).tree, key)).toBe(expected);
  });

  it("casts nested and list paths from compose-go's table", () => {
    const { tree } = load(
      yaml(
        "services:",
        "  web:",
        "    image: app",
        "    ports:",
        "      - target: '${PORT:-8080}'",
        "        published: '8080'",
        "    deploy:",
        "      replicas: '3'",
        "      restart_policy: { max_attempts: '5' }",
        "      update_config: { parallelism: '2', max_failure_ratio: '0.3' }",
        "    healthcheck: { retries: '3', disable: 'false' }",
        "    ulimits:",
        "      nproc: '65535'",
        "      nofile: { soft: '1024', hard: '2048' }",
        "    volumes:",
        "      - { type: volume, source: data, target: /data, read_only: 'true', volume: { nocopy: 'on' } }",
        "    secrets: [{ source: s, mode: '0440' }]",
        "    environment:",
        "      PRIVILEGED: 'true'",
        "networks:",
        "  front: { external: 'true', internal: 'false', attachable: 'yes', enable_ipv6: 'false' }",
        "volumes:",
        "  data: { external: 'false' }",
        "secrets:",
        "  s: { external: 'true' }",
        "configs:",
        "  c: { external: 'true' }",
      ),
    );
    expect(tree).toEqual({
      services: {
        web: {
          image: "app",
          ports: [{ target: 8080, published: "8080" }],
          deploy: {
            replicas: 3,
            restart_policy: { max_attempts: 5 },
            update_config: { parallelism: 2, max_failure_ratio: 0.3 },
          },
          healthcheck: { retries: 3, disable: false },
          ulimits: { nproc: 65535, nofile: { soft: 1024, hard: 2048 } },
          volumes: [
            { type: "volume", source: "data", target: "/data", read_only: true, volume: { nocopy: true } },
          ],
          secrets: [{ source: "s", mode: 440 }],
          environment: { PRIVILEGED: "true" },
        },
      },
      networks: { front: { external: true, internal: false, attachable: true, enable_ipv6: false } },
      volumes: { data: { external: false } },
      secrets: { s: { external: true } },
      configs: { c: { external: true } },
    });
  });

  it("leaves values that are not strings as they are", () => {
    const { tree } = load(
      yaml("services:", "  web:", "    privileged: true", "    cpus: 1.5", "    scale: 2"),
    );
    expect((tree["services"] as Mapping)["web"]).toEqual({ privileged: true, cpus: 1.5, scale: 2 });
  });

  it("warns about YAML 1.1 boolean words, as compose-go does", () => {
    const { messages } = load(service("privileged", '"yes"'));
    expect(messages).toEqual(['"yes" for boolean is not supported by YAML 1.2, please use `true`']);
  });

  it.each([
    ["privileged", '"maybe"', 'invalid boolean: "maybe"'],
    ["privileged", '"${UNSET}"', 'invalid boolean: ""'],
    ["tty", '"1"', 'invalid boolean: "1"'],
    ["scale", '"three"', 'invalid integer: "three"'],
    ["scale", '"5.0"', 'invalid integer: "5.0"'],
    ["scale", '" 5"', 'invalid integer: " 5"'],
    ["scale", '"1_000"', 'invalid integer: "1_000"'],
    ["pids_limit", '"9223372036854775808"', 'integer out of range: "9223372036854775808"'],
    ["cpus", '"half"', 'invalid number: "half"'],
    ["cpus", '"1e39"', 'number out of range: "1e39"'],
    ["cpu_percent", '"1e400"', 'number out of range: "1e400"'],
    ["cpus", '"0x10"', 'invalid number: "0x10"'],
  ])("services.web.%s: %s fails with %j", (key, value, message) => {
    const error = loadError(service(key, value));
    expect(error.message).toBe(message);
    expect(error.path).toBe(`services.web.${key}`);
    expect(error.location).toEqual({ file: "compose.yaml", line: 3, col: 7 + key.length });
  });

  it("names the path of a failed cast inside a list", () => {
    const error = loadError(yaml("services:", "  web:", "    ports:", "      - target: http"));
    expect(error.describe()).toBe('compose.yaml:4:17: services.web.ports[0].target: invalid integer: "http"');
  });
});
