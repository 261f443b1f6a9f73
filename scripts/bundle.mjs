#!/usr/bin/env node
/**
 * Bundles the compiled CLI (dist/cli/entry.js, from tsc) into dist/bin/, which bin/berth.js runs
 * through the loader dist/bin/launch.cjs (src/cli/launch.ts), three builds side by side:
 * - the ES module build: entry.js and its chunks, and the native runtime's background processes;
 * - the CommonJS build of the same command line: cli.cjs and its `*.cjs` chunks, which the loader
 *   compiles with V8's code cache (Node 20 has none for ES modules). Ink, which awaits at its top
 *   level, is left out: the commands that can open the dashboard run the ES module build;
 * - the loader itself, alone (it must load before anything else, and nothing else with it).
 *
 * Why: Node resolves, reads and compiles each ESM module separately; berth's CLI is ~80 modules of
 * its own plus its dependencies' (js-yaml, commander, ajv's runtime…), and loading them one by one
 * cost ~70 ms of a `config` run. One bundle per command chunk is read and compiled at once.
 * `import()`s stay split into chunks, so `config` never loads the Engine API client and nothing
 * but the dashboard loads Ink (bundled into its chunk) and React (external).
 *
 * Usage: node scripts/bundle.mjs   (after tsc; part of `npm run build`)
 */
import { mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "rolldown";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = join(root, "dist", "bin");
// Built beside and moved in at the end, so a berth started meanwhile (a test, another shell) finds
// whole files of the old build or of the new one, never a half-written or missing entry.
const buildDir = join(root, "dist", `bin.building-${process.pid}`);

rmSync(buildDir, { recursive: true, force: true });

/**
 * Ink composes each frame through ink/build/output.js; berth's dashboard bundles its own version
 * of that module (src/ui/dashboard/ink-output.ts: rows that do not overlap are joined as text
 * rather than rebuilt cell by cell), which is put in its place here.
 */
const inkOutput = join(root, "dist", "ui", "dashboard", "ink-output.js");
const swapInkOutput = {
  name: "berth-ink-output",
  resolveId(source, importer) {
    if (source === "./output.js" && importer && /[\\/]node_modules[\\/]ink[\\/]build[\\/]/.test(importer)) {
      return inkOutput;
    }
    return null;
  },
};

/**
 * Commander requires node:child_process when it loads, for subcommands that are programs of their
 * own, which berth's are not: loading it (and net, dgram and their internals with it) cost every
 * command ~3 ms of CPU. Here it is required on first use instead. A commander whose line differs
 * fails the build, so that a new version is looked at rather than silently left eager.
 */
const COMMANDER_EAGER = "const childProcess = require('node:child_process');";
const lazyChildProcess = {
  name: "berth-lazy-child-process",
  transform(code, id) {
    if (!/[\\/]node_modules[\\/]commander[\\/]lib[\\/]command\.js$/.test(id)) return null;
    if (!code.includes(COMMANDER_EAGER)) {
      throw new Error(`commander's ${id} no longer has \`${COMMANDER_EAGER}\`: see lazyChildProcess`);
    }
    const lazy = "const childProcess = { spawn: (...args) => require('node:child_process').spawn(...args) };";
    // The line keeps its place, so the source map stays as it is (`map: null`).
    return { code: code.replace(COMMANDER_EAGER, lazy), map: null };
  },
};

/** Entry files of the builds: renamed into place after the chunks they load. */
const entries = new Set();
const noteEntries = ({ output }) => {
  for (const file of output) if (file.type === "chunk" && file.isEntry) entries.add(file.fileName);
};

noteEntries(
  await build({
    // The native runtime's supervisor is a process of its own (started detached by native commands,
    // src/runtime/native/supervise/ensure.ts finds it beside its chunk): a second entry, sharing chunks.
    input: {
      entry: join(root, "dist", "cli", "entry.js"),
      "berth-supervisor": join(root, "dist", "runtime", "native", "supervise", "main.js"),
      // The embedded DNS server, likewise (src/runtime/native/dns/ensure.ts finds it beside its chunk).
      "berth-dns": join(root, "dist", "runtime", "native", "dns", "main.js"),
      // The log drainer (src/runtime/native/monitor/log-drainer.ts finds it beside its chunk).
      "berth-logs": join(root, "dist", "runtime", "native", "monitor", "main.js"),
    },
    platform: "node",
    // Ink is bundled into the dashboard's chunk (only `import()`ed for the dashboard): loaded from
    // node_modules it is ~530 modules (most of them a utility barrel it takes one function from) and
    // took ~680 ms to load, bundled ~250 ms. React stays external so Ink, its reconciler and berth's
    // components share one React. `yaml` is required lazily by path.
    // react-devtools-core: Ink imports it only when DEV=true; it is not installed.
    // node-unix-socket loads a platform addon (.node) by require(): it cannot be bundled.
    external: [/^node:/, /^react(\/|$)/, /^yaml(\/|$)/, "react-devtools-core", /^node-unix-socket/],
    logLevel: "warn",
    plugins: [swapInkOutput, lazyChildProcess],
    output: {
      dir: buildDir,
      format: "esm",
      // dist/bin/entry.js sits two levels under the root, like dist/cli/entry.js, so the
      // `../../package.json` it reads for --version resolves the same from both.
      entryFileNames: "[name].js",
      chunkFileNames: "[name]-[hash].js",
      sourcemap: true,
      // Smaller files compile faster: V8 pre-parses every function of a chunk it loads. (~8 ms of the
      // config chunk's load, more of the dashboard's.) `--debug` maps stack traces back to the source.
      minify: true,
    },
  }),
);

/** The dashboard's screen (Ink): never reached in the CommonJS build (see launch.ts), so a stub. */
const dashboardScreen = join(root, "dist", "ui", "dashboard", "run.js");
const noScreen = {
  name: "berth-no-screen",
  resolveId(source, importer) {
    if (importer && join(dirname(importer), source) === dashboardScreen) return "\0berth-no-screen";
    return null;
  },
  load(id) {
    if (id !== "\0berth-no-screen") return null;
    return `throw new Error("the dashboard runs from berth's ES module build (src/cli/launch.ts sends dashboard and up on a terminal there)");`;
  },
};

try {
  noteEntries(
    await build({
      input: { cli: join(root, "dist", "cli", "entry.js") },
      platform: "node",
      external: [/^node:/, /^yaml(\/|$)/, /^node-unix-socket/],
      logLevel: "warn",
      plugins: [noScreen, lazyChildProcess],
      output: {
        dir: buildDir,
        format: "cjs",
        entryFileNames: "[name].cjs",
        chunkFileNames: "[name]-[hash].cjs",
        // The ES modules it is made from are strict; CommonJS is only when it says so.
        strict: true,
        // The loader's vm.Script has no loader for import(): an external is required, as all chunks are.
        dynamicImportInCjs: false,
        minify: true,
      },
    }),
  );
} catch (error) {
  // Most likely a top-level await that reached the command line's modules.
  process.stderr.write(
    "The command line's CommonJS build (for the loader's code cache, src/cli/launch.ts) failed:\n" +
      "a module the CLI imports statically may await at its top level; import() it where it is used.\n",
  );
  throw error;
}

noteEntries(
  await build({
    input: { launch: join(root, "dist", "cli", "launch.js") },
    platform: "node",
    // The ES module build's entry, imported when the loader does not run the CommonJS one.
    external: [/^node:/, "./entry.js"],
    logLevel: "warn",
    // CommonJS, as bin/berth.js is (bin/package.json): Node then never starts its ES module loader
    // for a command the CommonJS build runs. Its import() of entry.js is Node's own.
    output: { dir: buildDir, format: "cjs", entryFileNames: "[name].cjs", strict: true, minify: true },
  }),
);

// Each file is renamed into place (atomic per file), the entries last, so that an entry of this
// build never looks for a chunk not there yet; then files of older builds are removed.
mkdirSync(outDir, { recursive: true });
const fresh = new Set(readdirSync(buildDir));
const order = [...fresh].sort((a, b) => Number(entries.has(a)) - Number(entries.has(b)));
for (const name of order) renameSync(join(buildDir, name), join(outDir, name));
// The loader's code cache (.cache/) goes too: it is keyed by the chunks' text, so old entries are dead.
for (const name of readdirSync(outDir)) {
  if (!fresh.has(name)) rmSync(join(outDir, name), { recursive: true, force: true });
}
rmSync(buildDir, { recursive: true, force: true });
