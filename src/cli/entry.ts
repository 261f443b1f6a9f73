/**
 * The process entry: restores the arguments the launcher encoded (argv.ts), answers `--version`
 * from package.json without loading the command line machinery, then hands everything else to
 * main.ts.
 */
import { readFileSync } from "node:fs";
import { decodeArgv } from "./argv.js";

// In place, before anything reads it: commander and --debug read process.argv.
process.argv.splice(0, process.argv.length, ...decodeArgv(process.argv));
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === "--version" || args[0] === "-v")) {
  const raw = readFileSync(new URL("../../package.json", import.meta.url), "utf8");
  process.stdout.write(`${(JSON.parse(raw) as { version: string }).version}\n`);
} else {
  // No top-level await: this module also runs as CommonJS (launch.ts), which has none.
  void import("./main.js");
}
