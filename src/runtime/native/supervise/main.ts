/**
 * The supervisor's process (bundled as dist/bin/berth-supervisor.js; started by ensureSupervisor,
 * never by hand). The state roots come from BERTH_ROOT / BERTH_RUN_ROOT; containers are restarted
 * through the native runtime itself, so a restart makes exactly what a `berth start` makes, and
 * exits are collected as any command collects them (listing the containers does).
 */
import { createNativeRuntime } from "../native-runtime.js";
import { superviseProcess } from "./process-main.js";
import { nativePaths } from "../paths.js";

const runtime = createNativeRuntime({ env: process.env });
await superviseProcess(nativePaths(process.env), {
  collectExits: async () => {
    await runtime.containers.list({ all: true });
  },
  start: (id) => runtime.containers.start(id),
});
