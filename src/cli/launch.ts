/**
 * The CLI's loader (bin/berth.js requires its bundle, dist/bin/launch.cjs: CommonJS, so Node starts
 * without its ES module loader, ~5 ms of CPU). It runs the command line from its CommonJS build
 * (dist/bin/cli.cjs and the chunks that requires, made by scripts/bundle.mjs beside the ES module
 * build), each chunk compiled by vm.Script with V8's code cache.
 *
 * Why: Node 20 compiles every ES module from its source at every start (its compile cache,
 * `module.enableCompileCache`, came with Node 22), and the ES module loader resolves, reads and
 * links each chunk asynchronously and builds a facade for each `node:` module it imports (touching
 * the lazy `process.stdin`, `fs.ReadStream`...). On `run --rm` that was ~40 ms of CPU before the
 * first Engine API call, a fifth of berth's own share of the command. A code cache made at the end
 * of an earlier run holds the bytecode of the functions that run compiled, so V8 deserializes it
 * instead of parsing and compiling again.
 *
 * The cache: one file per chunk in dist/bin/.cache/, named by a hash of the chunk's text, V8's
 * version and Node's options (V8 refuses a cache made under other flags), so a rebuilt chunk
 * never meets a cache of another text; a refused cache is made again. It is made at the process's
 * exit, when it holds every function the run compiled, written to a temporary file and renamed, so
 * berths running at once never read half a file. Where dist/bin is not writable nothing is cached
 * (as Python's __pycache__): whoever could write the cache could change the code beside it anyway.
 *
 * The ES module build (dist/bin/entry.js) runs instead with `--debug` or BERTH_DEBUG=1 (Node maps
 * its stack traces to the sources), for the commands that can open the dashboard (Ink awaits at its
 * top level, which CommonJS cannot: the CommonJS build leaves the dashboard out), and when there is
 * no CommonJS build beside this file (dist/cli/, compiled but not bundled).
 */
import { createRequire } from "node:module";
import type * as Crypto from "node:crypto";
import type * as Fs from "node:fs";
import type * as Path from "node:path";
import type * as Tty from "node:tty";
import type * as Url from "node:url";
import type * as V8 from "node:v8";
import type * as Vm from "node:vm";
import { decodeArgv } from "./argv.js";
import { OPTIMIZER_PAUSED, type OptimizerState } from "./compile-flags.js";

// Node's modules through require: an ES import of one builds a facade of all its exports, which
// reads every lazy getter (node:fs's ReadStream loads the whole stream machinery).
const nodeRequire = createRequire(import.meta.url);
const fs = nodeRequire("node:fs") as typeof Fs;
const path = nodeRequire("node:path") as typeof Path;
const vm = nodeRequire("node:vm") as typeof Vm;
const here = path.dirname((nodeRequire("node:url") as typeof Url).fileURLToPath(import.meta.url));

/** Chunks smaller than this compile in less time than hashing and reading a cache takes. */
const CACHE_MIN_CHARS = 4096;
const CACHE_DIR = path.join(here, ".cache");
/** CommonJS's module wrapper, on the chunk's first line so its line numbers stay as they are. */
const WRAP_HEAD = "(function (exports, require, module, __filename, __dirname) {";
const WRAP_TAIL = "\n})";

type ModuleWrapper = (
  exports: unknown,
  require: (id: string) => unknown,
  module: { exports: unknown },
  filename: string,
  dirname: string,
) => void;

const modules = new Map<string, { exports: unknown }>();
/** Scripts whose cache was missing or refused, and the file each cache goes to at exit. */
const toCache: { readonly script: Vm.Script; readonly file: string }[] = [];
let v8: typeof V8 | undefined;

/** Evaluates a chunk of the CommonJS build once (as `require` does) and returns its exports. */
function load(file: string, source: string): unknown {
  const known = modules.get(file);
  if (known !== undefined) return known.exports;
  const module = { exports: {} as unknown };
  modules.set(file, module);
  const dir = path.dirname(file);
  // The build's chunks require each other as `./name-hash.cjs`; anything else is Node's.
  const require = (id: string): unknown =>
    id.startsWith("./") && id.endsWith(".cjs") ? loadFile(path.join(dir, id)) : nodeRequire(id);
  const wrapper = compile(file, source).runInThisContext() as ModuleWrapper;
  wrapper.call(module.exports, module.exports, require, module, file, dir);
  return module.exports;
}

function loadFile(file: string): unknown {
  const known = modules.get(file);
  return known !== undefined ? known.exports : load(file, fs.readFileSync(file, "utf8"));
}

function compile(filename: string, source: string): Vm.Script {
  const code = WRAP_HEAD + source + WRAP_TAIL;
  if (source.length < CACHE_MIN_CHARS) return new vm.Script(code, { filename });
  const file = path.join(CACHE_DIR, cacheKey(source));
  return underCacheFlags(() => {
    const cachedData = readCache(file);
    const script = new vm.Script(code, { filename, ...(cachedData ? { cachedData } : {}) });
    if (cachedData === undefined || script.cachedDataRejected === true) toCache.push({ script, file });
    return script;
  });
}

function cacheKey(source: string): string {
  const { createHash } = nodeRequire("node:crypto") as typeof Crypto;
  return createHash("sha256")
    .update(`${process.versions.v8}\0${process.execArgv.join(" ")}\0${process.env["NODE_OPTIONS"] ?? ""}\0`)
    .update(source)
    .digest("hex")
    .slice(0, 40);
}

function readCache(file: string): Buffer | undefined {
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

/**
 * Runs `work` under V8's default flags, then puts back the optimizing compiler's pause if
 * optimizer.ts had paused it: V8 takes a cache only under the flags it was made with, so caches
 * are made and read under the same ones, whenever a chunk loads.
 */
function underCacheFlags<T>(work: () => T): T {
  const paused = (globalThis as OptimizerState)[OPTIMIZER_PAUSED] === true;
  if (!paused) return work();
  v8 ??= nodeRequire("node:v8") as typeof V8;
  v8.setFlagsFromString("--opt");
  try {
    return work();
  } finally {
    v8.setFlagsFromString("--no-opt");
  }
}

/** At exit: the caches that were missing or refused, each written whole or not at all. */
function writeCaches(): void {
  if (toCache.length === 0) return;
  try {
    fs.mkdirSync(CACHE_DIR, { recursive: true });
    underCacheFlags(() => {
      for (const { script, file } of toCache) {
        const partial = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(partial, script.createCachedData());
        fs.renameSync(partial, file);
      }
    });
  } catch {
    // Not writable (an installed copy, a full disk): the next run compiles from source.
  }
}

/** Whether this command line runs the ES module build (see the header). */
function wantsEsModules(args: readonly string[]): boolean {
  if (args.includes("--debug") || process.env["BERTH_DEBUG"] === "1") return true;
  if (args.includes("dashboard")) return true;
  if (!args.includes("up")) return false;
  // `up` opens the dashboard when stdin and stdout are terminals (src/cli/commands/up.ts).
  const tty = nodeRequire("node:tty") as typeof Tty;
  return tty.isatty(0) && tty.isatty(1);
}

function commonJsEntry(): string | undefined {
  try {
    return fs.readFileSync(path.join(here, "cli.cjs"), "utf8");
  } catch {
    return undefined;
  }
}

const entry = wantsEsModules(decodeArgv(process.argv).slice(2)) ? undefined : commonJsEntry();
if (entry === undefined) {
  // Not awaited: the loader is itself CommonJS once bundled (dist/bin/launch.cjs).
  void import("./entry.js");
} else {
  process.on("exit", writeCaches);
  load(path.join(here, "cli.cjs"), entry);
}
