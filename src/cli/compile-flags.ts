/**
 * Where optimizer.ts leaves whether V8's optimizing compiler is paused, for the CLI's loader
 * (launch.ts): V8 accepts a code cache only under the flags it was made with, so the loader
 * compiles and makes caches with the compiler paused, then puts back the state this names.
 */
export const OPTIMIZER_PAUSED: unique symbol = Symbol.for("berth.optimizer-paused");

export type OptimizerState = { [OPTIMIZER_PAUSED]?: boolean };
