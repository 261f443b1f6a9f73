#!/usr/bin/env node
// Benchmark: `run --rm -T app sh -c true`, a one-off that exits at once, through berth and through
// docker-compose 1.29 (the reference) on the same engine, in the same run (bench/verb-latency.mjs;
// the warm-up makes the project's network). The one-off's own work on the engine (create, attach,
// start, wait, remove) is most of either figure; `docker run --rm` of the same image is timed too,
// as the floor any tool stays above.
// Needs `npm run build`, a Docker engine and `docker-compose`.
// The bench image has no `true` applet: the one-off runs `sh -c true` (the shell's builtin).
// Usage: node bench/run.mjs [--runs N] [--no-write]
import { verbLatency } from "./verb-latency.mjs";

await verbLatency({
  verb: "run",
  command: ["run", "--rm", "-T", "app", "sh", "-c", "true"],
  upFirst: false,
  // On the project's network, as the one-offs of both tools run: a user network costs the engine
  // more at start than its default bridge (DNS, isolation rules).
  floor: ({ image, label, network }) => [
    "run",
    "--rm",
    "--network",
    network,
    "--label",
    label,
    image,
    "sh",
    "-c",
    "true",
  ],
  floorLabel: "docker run --rm --network PROJECT_default IMAGE sh -c true",
});
