/**
 * The supervisor process of the native supervise tests (bundled with rolldown and started by
 * ensureSupervisor through BERTH_SUPERVISOR_ENTRY): the real supervisor, restarting through the
 * tests' container lifecycle (their image store and minimal config.json), with short idle and
 * rescan times so the tests stay short.
 */
import { createNativeContainers } from "../../../src/runtime/native/containers/containers.js";
import { nativePaths } from "../../../src/runtime/native/paths.js";
import { superviseProcess } from "../../../src/runtime/native/supervise/process-main.js";
import { testDeps } from "./containers-deps.js";

const paths = nativePaths(process.env);
await superviseProcess(paths, createNativeContainers({ paths, deps: testDeps(paths) }), {
  idleExitMs: 1_500,
  rescanMs: 500,
});
