import { describe, expect, it } from "vitest";
import { parseEnv } from "../../../src/cli/commands/exec.js";

describe("exec -e", () => {
  it("takes KEY=VALUE as given (the value may hold '=') and KEY alone from berth's environment", () => {
    expect(parseEnv(["A=1", "B=x=y", "C=", "HOME", "UNSET"], { HOME: "/root" })).toEqual({
      A: "1",
      B: "x=y",
      C: "",
      HOME: "/root",
    });
  });

  it("refuses an entry with no name", () => {
    expect(() => parseEnv(["=1"], {})).toThrow("invalid environment variable: =1");
  });
});
