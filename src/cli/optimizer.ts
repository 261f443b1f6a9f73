/**
 * V8's optimizing compiler (TurboFan) is paused while berth starts and loads the project, and
 * resumed for what runs after (streaming logs, the dashboard, the engine's event handling).
 *
 * Why: loading is one cold pass over the files, mostly over by the time TurboFan's background
 * compiles of its walks finish, so that work pays nothing back, and on a small machine it takes
 * CPU from the main thread. Measured on `config -q` of 500 services (2 cores, 21 runs each):
 * CPU 510 → 320 ms, wall time 395 → 340 ms median. Code still runs in the interpreter and the
 * baseline compiler meanwhile; only the optimizing tier waits.
 */
import { setFlagsFromString } from "node:v8";

export function pauseOptimizer(): void {
  setFlagsFromString("--no-opt");
}

export function resumeOptimizer(): void {
  setFlagsFromString("--opt");
}
