import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { decodeArgv, ENCODED_ARGV_MARKER } from "../../../src/cli/argv.js";

const NODE = "/usr/bin/node";
const SCRIPT = "/repo/bin/berth.js";

describe("the launcher's argument encoding", () => {
  it("undoes the + prefix after the marker, whatever the argument", () => {
    const typed = ["--env-file", "x.env", "-f", "+odd.yaml", "", "a b", "--env-file=y", "config"];
    const encoded = [NODE, SCRIPT, ENCODED_ARGV_MARKER, ...typed.map((a) => `+${a}`)];
    expect(decodeArgv(encoded)).toEqual([NODE, SCRIPT, ...typed]);
  });

  it("leaves arguments as they are without the marker (`node bin/berth.js ...`)", () => {
    const argv = [NODE, SCRIPT, "+x", "config"];
    expect(decodeArgv(argv)).toEqual(argv);
    expect(decodeArgv([NODE, SCRIPT])).toEqual([NODE, SCRIPT]);
  });

  it("matches what bin/berth.js's shell line produces", async () => {
    const { execa } = await import("execa");
    // The launcher's own line 2, printing the arguments instead of exec-ing Node with them.
    const launcher = readFileSync(path.join(import.meta.dirname, "../../../bin/berth.js"), "utf8");
    const exec = `exec node "$0" ${ENCODED_ARGV_MARKER} "$@"`;
    const shellLine = launcher.split("\n")[1] ?? "";
    expect(shellLine.startsWith('":" //;') && shellLine.endsWith(exec)).toBe(true);
    const line = shellLine.replace(exec, 'printf "%s\\0" "$@"');
    const typed = ["--env-file", "nosuch.env", "", "a b", "+p", "config"];
    const { stdout } = await execa("sh", ["-c", line, "sh", ...typed]);
    const encoded = stdout.split("\0").slice(0, -1);
    expect(decodeArgv([NODE, SCRIPT, ENCODED_ARGV_MARKER, ...encoded])).toEqual([NODE, SCRIPT, ...typed]);
    expect(encoded.some((a) => a.startsWith("-"))).toBe(false);
  });
});
