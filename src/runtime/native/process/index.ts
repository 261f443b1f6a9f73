/**
 * Process io of the native runtime: exec, attach, top, stats and copy, each a function of a
 * ProcessHandle (what runc, the rootfs and the cgroups say about one container), so the containers
 * module wires them into the Runtime's `Containers` without these knowing its records.
 */
export type { CgroupPaths, ProcessHandle } from "./handle.js";
export type { ContainerMount } from "./container-fs.js";
export { exec } from "./exec.js";
export { attach } from "./attach.js";
export { resizeTerminal } from "./ctl.js";
export { top } from "./top.js";
export { stats } from "./stats.js";
export { copyFrom, copyTo } from "./copy.js";
