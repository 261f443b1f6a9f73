/**
 * V8's optimizing compiler (TurboFan) is paused while berth loads the project (load-for-cli.ts),
 * and resumed for what runs after (streaming logs, the dashboard, the engine's event handling).
 *
 * Why: loading is one cold pass over the files, mostly over by the time TurboFan's background
 * compiles of its walks finish, so that work pays nothing back, and on a small machine it takes
 * CPU from the main thread. Measured on `config -q` of 500 services (2 cores, 21 runs each):
 * CPU 510 → 320 ms, wall time 395 → 340 ms median. Code still runs in the interpreter and the
 * baseline compiler meanwhile; only the optimizing tier waits.
 *
 * Only the load: while a flag differs from its default, V8 refuses every code cache made under the
 * defaults, Node's own among them, so each `node:` module loaded meanwhile (http, net, crypto,
 * child_process...) is parsed and compiled from its source. Paused from the process's start, that
 * was ~10 ms of CPU on `run --rm`, which loads most of them; the launcher's cache (launch.ts) reads
 * and makes its caches under the defaults.
 */
import { setFlagsFromString } from "node:v8";
import { OPTIMIZER_PAUSED, type OptimizerState } from "./compile-flags.js";

export function pauseOptimizer(): void {
  setFlagsFromString("--no-opt");
  (globalThis as OptimizerState)[OPTIMIZER_PAUSED] = true;
}

export function resumeOptimizer(): void {
  setFlagsFromString("--opt");
  (globalThis as OptimizerState)[OPTIMIZER_PAUSED] = false;
}
