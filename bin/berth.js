#!/bin/sh
":" //; for a in "$@"; do set -- "$@" "+$a"; shift; done; exec node "$0" +berth-argv "$@"
/*
 * berth's launcher (the npm bin "berth"), a file that both /bin/sh and Node read.
 *
 * Run as a program, /bin/sh reads line 2 and execs Node on this same file with a marker and every
 * argument prefixed by "+": Node 20 looks for `--env-file` anywhere in its argv before any script
 * runs, berth's own flags included (a missing file: "node: x: not found", exit 9; an existing one
 * is loaded into process.env). No argument Node sees starts with "-". src/cli/argv.ts undoes the
 * prefix first thing. The loop and exec are shell builtins: no process is spawned.
 *
 * Run as `node bin/berth.js ...`, Node skips the `#!` line and line 2 is a string and a comment;
 * the arguments arrive as typed (so there Node 20 still reads a `--env-file` among them).
 *
 * CommonJS (bin/package.json says so), as the loader it requires is: a command that runs berth's
 * CommonJS build then never starts Node's ES module loader (src/cli/launch.ts).
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports, no-undef
require("../dist/bin/launch.cjs");
