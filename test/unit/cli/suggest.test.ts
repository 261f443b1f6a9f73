/** A mistyped command must get one line naming the closest command, as cobra suggests it for Compose. */
import { describe, expect, it } from "vitest";
import { levenshtein, suggestionsFor, unknownCommandLine } from "../../../src/cli/suggest.js";

const COMMANDS = ["config", "up", "down", "ps", "logs", "exec", "events", "restart", "start", "stop"];

describe("did you mean", () => {
  it("measures edits", () => {
    expect(levenshtein("exex", "exec")).toBe(1);
    expect(levenshtein("", "ps")).toBe(2);
    expect(levenshtein("conifg", "config")).toBe(2);
  });

  it("suggests within two edits or by prefix, closest first", () => {
    expect(suggestionsFor("exex", COMMANDS)).toEqual(["exec"]);
    expect(suggestionsFor("STRAT", COMMANDS)).toEqual(["start"]);
    expect(suggestionsFor("ev", COMMANDS)[0]).toBe("up");
    expect(suggestionsFor("even", COMMANDS)).toEqual(["exec", "events"]);
    expect(suggestionsFor("frobnicate", COMMANDS)).toEqual([]);
  });

  it("prints one line, with the suggestion when there is one", () => {
    expect(unknownCommandLine("exex", COMMANDS)).toBe(
      "error: unknown command 'exex'; did you mean 'exec'? (see 'berth --help')\n",
    );
    expect(unknownCommandLine("frobnicate", COMMANDS)).toBe(
      "error: unknown command 'frobnicate' (see 'berth --help')\n",
    );
  });
});
