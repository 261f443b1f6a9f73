/**
 * Each command's option list must say truly what its flags are: the key a spec declares (from
 * which the flags' type is inferred) must be the attribute commander stores the value under, and
 * the values parsed must be of the declared kinds.
 */
import { Command } from "commander";
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  CONFIG_OPTIONS,
  DASHBOARD_OPTIONS,
  DOWN_OPTIONS,
  LOGS_OPTIONS,
  PS_OPTIONS,
  RESTART_OPTIONS,
  STOP_OPTIONS,
  UP_OPTIONS,
  type UpFlags,
} from "../../../src/cli/options/flags.js";
import { addOptions, type OptionSpec } from "../../../src/cli/options/define.js";
import { GLOBAL_OPTIONS, globalsOf } from "../../../src/cli/options/global.js";
import { ANSI_MODES, PROGRESS_MODES } from "../../../src/ui/select.js";

const LISTS: Record<string, readonly OptionSpec[]> = {
  global: GLOBAL_OPTIONS,
  config: CONFIG_OPTIONS,
  up: UP_OPTIONS,
  down: DOWN_OPTIONS,
  ps: PS_OPTIONS,
  logs: LOGS_OPTIONS,
  stop: STOP_OPTIONS,
  restart: RESTART_OPTIONS,
  dashboard: DASHBOARD_OPTIONS,
};

/** Parses `argv` (after the command name) with the options of `specs`; the flags commander stores. */
function parse(specs: readonly OptionSpec[], argv: string[]): Record<string, unknown> {
  const command = addOptions(new Command("t").exitOverride(), specs);
  command.parse(argv, { from: "user" });
  return command.opts();
}

describe("declared keys", () => {
  it.each(Object.entries(LISTS))("are commander's attribute names (%s)", (_name, specs) => {
    for (const spec of specs) expect(spec.key).toBe(spec.make().attributeName());
  });

  it("--no-attach <service> is a list of its own, not the negation of --attach", () => {
    expect(parse(UP_OPTIONS, ["--attach", "a", "--no-attach", "b", "--no-attach", "c"])).toMatchObject({
      attach: ["a"],
      noAttach: ["b", "c"],
    });
  });
});

describe("values", () => {
  it("are of the declared kinds: flags, negations, values, lists, choices", () => {
    expect(parse(UP_OPTIONS, [])).toEqual({
      recreate: true,
      deps: true,
      start: true,
      logPrefix: true,
      color: true,
      dashboard: true,
    });
    const flags = parse(UP_OPTIONS, [
      "-d",
      "--no-build",
      "--pull",
      "never",
      "--scale",
      "a=1",
      "--scale",
      "b=2",
      "-t",
      "3",
    ]);
    expect(flags).toMatchObject({
      detach: true,
      build: false,
      pull: "never",
      scale: ["a=1", "b=2"],
      timeout: "3",
    });
    expect(() => parse(UP_OPTIONS, ["--pull", "sometimes"])).toThrow(/Allowed choices are always, missing/);
  });

  it("the flags' types follow from the list", () => {
    expectTypeOf<UpFlags["detach"]>().toEqualTypeOf<true | undefined>();
    expectTypeOf<UpFlags["build"]>().toEqualTypeOf<boolean | undefined>();
    expectTypeOf<UpFlags["recreate"]>().toEqualTypeOf<boolean>();
    expectTypeOf<UpFlags["waitTimeout"]>().toEqualTypeOf<string | undefined>();
    expectTypeOf<UpFlags["noAttach"]>().toEqualTypeOf<readonly string[] | undefined>();
    expectTypeOf<UpFlags["pull"]>().toEqualTypeOf<"always" | "missing" | "never" | "policy" | undefined>();
  });

  it("global choices are the ones the renderers know, and read as GlobalOptions", () => {
    const program = addOptions(new Command("berth").exitOverride(), GLOBAL_OPTIONS);
    const choices = (flag: string) => program.options.find((o) => o.long === flag)?.argChoices;
    expect(choices("--ansi")).toEqual([...ANSI_MODES]);
    expect(choices("--progress")).toEqual([...PROGRESS_MODES]);
    program.parse(["-f", "a.yaml", "-f", "b.yaml", "--profile", "x", "--debug"], { from: "user" });
    expect(globalsOf(program)).toMatchObject({
      files: ["a.yaml", "b.yaml"],
      profiles: ["x"],
      envFiles: [],
      debug: true,
      projectName: undefined,
    });
  });
});
