#!/usr/bin/env node
// Benchmark: `exec -T app sh -c true` in a running service container, through berth and through
// docker-compose 1.29 (the reference) on the same engine, in the same run (bench/verb-latency.mjs).
// `docker exec` of the same container is timed too, as the floor.
// Needs `npm run build`, a Docker engine and `docker-compose`.
// The bench image has no `true` applet: the exec runs `sh -c true` (the shell's builtin).
// Usage: node bench/exec.mjs [--runs N] [--no-write]
import { verbLatency } from "./verb-latency.mjs";

await verbLatency({
  verb: "exec",
  command: ["exec", "-T", "app", "sh", "-c", "true"],
  upFirst: true,
  floor: ({ container }) => ["exec", container, "sh", "-c", "true"],
  floorLabel: "docker exec CONTAINER sh -c true",
});
