/**
 * The log drainer process of the native monitor tests (bundled with rolldown and started by
 * ensureLogDrainer through its entry option): the real drainer, with short rescan and idle times.
 */
import { nativePaths } from "../../../src/runtime/native/paths.js";
import { runLogDrainer } from "../../../src/runtime/native/monitor/log-drainer.js";

await runLogDrainer(nativePaths(process.env), { rescanMs: 100, idleExitMs: 1_000 });
process.exit(0);
