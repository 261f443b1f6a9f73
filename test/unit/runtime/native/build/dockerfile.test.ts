/** The Dockerfile parser and word expansion, against what the classic builder reads. */
import { describe, expect, it } from "vitest";
import {
  argDefinitions,
  keyValues,
  parseDockerfile,
  stagesFor,
} from "../../../../../src/runtime/native/build/dockerfile.js";
import { expandWord, expandWords } from "../../../../../src/runtime/native/build/shell-words.js";

describe("parseDockerfile", () => {
  it("reads instructions with their lines, continuations, comments and flags", () => {
    const df = parseDockerfile(
      [
        "# a comment",
        "ARG BASE=busybox",
        "from $BASE AS Build",
        "RUN echo a \\",
        "  # a comment inside",
        "",
        "  && echo b",
        "COPY --chown=1:1 --from=x a b",
        'CMD ["sh", "-c", "echo hi"]',
        "ENTRYPOINT [not json",
      ].join("\n"),
    );
    expect(df.directives).toEqual({ syntax: undefined, escape: "\\" });
    expect(df.metaArgs.map((a) => a.text)).toEqual(["ARG BASE=busybox"]);
    const [stage] = df.stages;
    expect(stage).toMatchObject({ index: 0, name: "build", base: "$BASE" });
    expect(stage!.from.line).toBe(3);
    const [run, copy, cmd, entrypoint] = stage!.instructions;
    expect(run).toMatchObject({
      keyword: "RUN",
      line: 4,
      endLine: 7,
      args: "echo a   && echo b",
      json: undefined,
    });
    expect(copy).toMatchObject({
      keyword: "COPY",
      args: "a b",
      flags: [
        { name: "chown", value: "1:1" },
        { name: "from", value: "x" },
      ],
    });
    expect(cmd!.json).toEqual(["sh", "-c", "echo hi"]);
    expect(entrypoint).toMatchObject({ json: undefined, args: "[not json" });
  });

  it("honours the escape directive and ends directives at the first other line", () => {
    const df = parseDockerfile("# syntax=docker/dockerfile:1\n# escape=`\nFROM a\nRUN dir c:\\ `\n  x\n");
    expect(df.directives).toEqual({ syntax: "docker/dockerfile:1", escape: "`" });
    expect(df.stages[0]!.instructions[0]!.args).toBe("dir c:\\   x");
    // After an instruction, `# escape=` is a comment.
    const late = parseDockerfile("FROM a\n# escape=`\nRUN x \\\n y");
    expect(late.directives.escape).toBe("\\");
    expect(late.stages[0]!.instructions[0]!.args).toBe("x  y");
  });

  it("refuses heredocs, unknown instructions, a bad escape and a missing FROM with file:line:col", () => {
    expect(() => parseDockerfile("FROM a\n\nRUN <<EOF\necho\nEOF\n")).toThrow(
      /^Dockerfile:3:1: RUN with a heredoc \(<<EOF\) is not supported/,
    );
    expect(() => parseDockerfile("FROM a\nCOPY <<-'END' /x\nEND", "df")).toThrow(
      /^df:2:1: COPY with a heredoc/,
    );
    expect(() => parseDockerfile("FROM a\nRUN echo a<<b")).not.toThrow();
    expect(() => parseDockerfile("FROM a\nFOO bar")).toThrow("Dockerfile:2:1: unknown instruction: FOO");
    expect(() => parseDockerfile("# escape=x\nFROM a")).toThrow(/^Dockerfile:1:1: invalid escape token 'x'/);
    expect(() => parseDockerfile("ENV a=b\nFROM a")).toThrow(/^Dockerfile:1:1: no build stage/);
    expect(() => parseDockerfile("# only\n")).toThrow(/has no FROM instruction/);
    expect(() => parseDockerfile("FROM a AS 1x")).toThrow(/invalid name for build stage/);
    expect(() => parseDockerfile("FROM a AS x\nFROM b AS X")).toThrow(/duplicate name x/);
  });

  it("chooses the stages up to --target", () => {
    const df = parseDockerfile("FROM a AS one\nRUN x\nFROM b AS two\nFROM c\n");
    expect(stagesFor(df).map((s) => s.base)).toEqual(["a", "b", "c"]);
    expect(stagesFor(df, "TWO").map((s) => s.base)).toEqual(["a", "b"]);
    expect(() => stagesFor(df, "three")).toThrow("failed to reach build target three in Dockerfile");
  });

  it("splits ENV/LABEL pairs (both forms) and ARG definitions", () => {
    const stage = parseDockerfile(
      'FROM a\nENV A=1 B="two words" C=x\\ y\nENV legacy  the rest  of it\nARG X Y=2\nENV broken',
    ).stages[0]!;
    const [env, legacy, arg, broken] = stage.instructions;
    expect(keyValues(env!)).toEqual([
      ["A", "1"],
      ["B", '"two words"'],
      ["C", "x\\ y"],
    ]);
    expect(keyValues(legacy!)).toEqual([["legacy", "the rest  of it"]]);
    expect(argDefinitions(arg!)).toEqual([
      { name: "X", value: undefined },
      { name: "Y", value: "2" },
    ]);
    expect(() => keyValues(broken!)).toThrow("Dockerfile:5:1: ENV must have two arguments");
  });
});

describe("expandWord / expandWords", () => {
  const vars: Record<string, string> = { A: "a", EMPTY: "", SP: "x y" };
  const lookup = (name: string): string | undefined => vars[name];

  it("expands $VAR, ${VAR} and the -, :-, +, :+ forms like the classic builder", () => {
    expect(expandWord("$A-${A}-$NONE-${NONE}", lookup)).toBe("a-a--");
    expect(expandWord("${NONE:-d} ${EMPTY:-d} ${EMPTY-d} ${NONE-d}", lookup)).toBe("d d  d");
    expect(expandWord("${A:+set} ${EMPTY:+set} ${EMPTY+set} ${NONE+set}", lookup)).toBe("set  set ");
    expect(expandWord("${NONE:-$A}${NONE:-'q'}", lookup)).toBe("aq");
    expect(expandWord("$ $1x ${A}b $Ab", lookup)).toBe("$  ab ");
    expect(() => expandWord("${NONE:?must be set}", lookup)).toThrow("NONE: must be set");
    expect(() => expandWord("${A", lookup)).toThrow(/missing '}'/);
  });

  it("removes quotes and escapes; single quotes expand nothing", () => {
    expect(expandWord(`'$A' "$A \\$A \\" \\x" \\$A`, lookup)).toBe('$A a $A " \\x $A');
    expect(expandWord("a`$A", lookup, "`")).toBe("a$A");
    expect(() => expandWord("'open", lookup)).toThrow(/single-quote/);
  });

  it("splits words at unquoted whitespace only, never inside a variable's quoted use", () => {
    expect(expandWords(`a "b c"  '' $SP "$SP"`, lookup)).toEqual(["a", "b c", "", "x", "y", "x y"]);
  });
});
