/** The log drainer's process entry (bundled as dist/bin/berth-logs.js): see ./log-drainer.ts. */
import { nativePaths } from "../paths.js";
import { runLogDrainer } from "./log-drainer.js";

await runLogDrainer(nativePaths(process.env));
process.exit(0);
