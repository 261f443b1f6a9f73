/**
 * Process io of the native runtime: exec, attach, top, stats, copy and pause, each a function of a
 * ProcessHandle (what runc, the rootfs and the cgroups say about one container), so the containers
 * module wires them into the Runtime's `Containers` without these knowing its records.
 */
export type { CgroupPaths, ProcessHandle } from "./handle.js";
export { exec } from "./exec.js";
