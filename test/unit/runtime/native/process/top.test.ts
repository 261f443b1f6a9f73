import { describe, expect, it } from "vitest";
import { parsePsOutput, validatePsArgs } from "../../../../../src/runtime/native/process/top.js";

describe("top's ps output (moby's parsePSOutput cases)", () => {
  it("keeps the container's rows and joins extra fields into the last column", () => {
    const output = [
      "UID          PID    PPID  C STIME TTY          TIME CMD",
      "root        4242    4200  0 18:27 ?        00:00:00 sleep 300",
      "root        4243    4242  0 18:27 ?        00:00:00 sh -c echo hi",
      "root           1       0  0 18:00 ?        00:00:01 /sbin/init",
      "",
    ].join("\n");
    expect(parsePsOutput(output, [4242, 4243])).toEqual({
      titles: ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"],
      processes: [
        ["root", "4242", "4200", "0", "18:27", "?", "00:00:00", "sleep 300"],
        ["root", "4243", "4242", "0", "18:27", "?", "00:00:00", "sh -c echo hi"],
      ],
    });
  });

  it("keeps thread lines (PID -) of a kept process only", () => {
    const output = "  PID COMMAND\n   42 foo\n    - -\n   43 bar\n    - -\n  100 baz\n";
    expect(parsePsOutput(output, [42, 43]).processes).toEqual([
      ["42", "foo"],
      ["-", "-"],
      ["43", "bar"],
      ["-", "-"],
    ]);
    expect(parsePsOutput("  PID COMMAND\n   42 foo\n    - -\n  100 baz\n    - -\n", [42]).processes).toEqual([
      ["42", "foo"],
      ["-", "-"],
    ]);
  });

  it("refuses output without a PID column, or a PID that is not a number", () => {
    expect(() => parsePsOutput("  UID COMMAND\n   42 foo\n", [42])).toThrow(/PID field/);
    // A unicode space (U+2003) does not split fields, as in moby's fieldsASCII.
    expect(() => parsePsOutput("\u2003PID COMMAND\n   42 foo\n", [42])).toThrow(/PID field/);
    expect(() => parsePsOutput("PID COMMAND\nx foo\n", [42])).toThrow(/Unexpected pid 'x'/);
  });

  it("refuses a column renamed to PID, as moby's validatePSArgs does", () => {
    expect(() => validatePsArgs("-o user=PID")).toThrow('specifying "user=PID" is not allowed');
    expect(() => validatePsArgs("-o user= PIDX")).toThrow(/user=PIDX/);
    expect(() => validatePsArgs("-o pid=PID")).not.toThrow();
    expect(() => validatePsArgs("-ef")).not.toThrow();
  });
});
