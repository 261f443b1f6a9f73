/**
 * Every line a container of an attached `up` prints must reach the screen exactly once, byte for
 * byte: a container that exits before berth reads its log, one this `up` only starts again, scaled
 * replicas, runs after a restart; and `logs`, `logs -f` and `logs -t` must give the same lines. The
 * built CLI on each runtime backend (Docker and native, ../integration/orchestration/backends.ts),
 * without a TTY (the plain printer); each project passes the backend's leak check after its down.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import type { Runtime } from "../../src/runtime/runtime.js";
import { RUN_ID, TEST_LABEL } from "../integration/engine.js";
import { BACKENDS, useBackend, withFeatures } from "../integration/orchestration/backends.js";
import { backendCli } from "./backend-cli.js";

const KIB16 = 16 * 1024;
/** A 100 KiB line, a line of exactly 16 KiB, UTF-8, and a last line without a newline. */
const PAYLOAD = [
  "0123456789".repeat(10 * 1024),
  "b".repeat(KIB16),
  "caf\u00e9 \u20ac \u{1f600}",
  "no newline",
];

let runtime: Runtime;
let image: string;
const dirs: string[] = [];
const projects: string[] = [];

function fixture(name: string, services: string): { dir: string; project: string } {
  const project = `berth-e2e-${name}-${runtime.kind}-${RUN_ID}`;
  const dir = mkdtempSync(path.join(tmpdir(), `berth-e2e-${name}-`));
  writeFileSync(path.join(dir, "payload"), PAYLOAD.join("\n"));
  writeFileSync(path.join(dir, "compose.yaml"), `name: ${project}\nservices:\n${services}`);
  dirs.push(dir);
  projects.push(project);
  return { dir, project };
}

const service = (name: string, command: readonly string[], extra = ""): string => `
  ${name}:
    image: ${image}
    command: ${JSON.stringify(command)}
    volumes: ["./payload:/payload:ro"]
    labels: { ${TEST_LABEL}: "${RUN_ID}" }
${extra}`;

/** The container lines of `stdout` (`name  | text`), per container name, in order. */
function linesByContainer(stdout: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const row of stdout.split("\n")) {
    const match = /^(\S+) +\| (.*)$/s.exec(row);
    if (!match) continue;
    const [, name = "", text = ""] = match;
    out.set(name, [...(out.get(name) ?? []), text]);
  }
  return out;
}

/** Lines whose differences print small. */
const short = (lines: readonly string[] | undefined): string[] | undefined =>
  lines?.map((l) => (l.length > 40 ? `${l.slice(0, 20)}…(${l.length})` : l));

describe.each(BACKENDS)("attached up and logs print every line once ($name)", (backend) => {
  const suite = useBackend(backend);
  const it = suite.it;
  const cli = backendCli(suite);
  const berth = (args: readonly string[], options: { cwd?: string } = {}) => cli.berth(args, options);

  beforeAll(() => {
    if (backend.available) ({ runtime, image } = suite.opened);
  });

  afterAll(async () => {
    if (!backend.available) return;
    const mine = projects.splice(0);
    for (const project of mine) await berth(["-p", project, "down", "-t", "0"], { cwd: tmpdir() });
    for (const project of mine) expect(await suite.opened.leaks(project), project).toEqual([]);
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("up must print the whole output of containers that exit at once, on every run and for new replicas", async () => {
    const { dir, project } = fixture(
      "out",
      service("hello", ["echo", "hello"]) + service("long", ["cat", "/payload"]),
    );
    const runs = 3;
    // Step: the first up creates the containers, the next ones only start them again.
    for (let run = 1; run <= runs; run++) {
      const up = await berth(["up"], { cwd: dir });
      expect(up.exitCode, up.stderr).toBe(0);
      const lines = linesByContainer(up.stdout);
      expect(lines.get(`${project}-hello-1`), `run ${run}`).toEqual(["hello"]);
      expect(short(lines.get(`${project}-long-1`)), `run ${run}`).toEqual(short(PAYLOAD));
      expect(up.stdout).toContain(`${project}-long-1 exited with code 0\n`);
    }

    // Step: scaled up, the new replicas' output and the started one's are printed once each.
    const scaled = await berth(["up", "--scale", "hello=3"], { cwd: dir });
    expect(scaled.exitCode, scaled.stderr).toBe(0);
    const lines = linesByContainer(scaled.stdout);
    for (const n of [1, 2, 3]) expect(lines.get(`${project}-hello-${n}`), `replica ${n}`).toEqual(["hello"]);

    // Step: logs, with and without -f, give every run's lines, the unterminated one included.
    for (const args of [
      ["logs", "long"],
      ["logs", "-f", "long"],
    ]) {
      const logs = await berth(args, { cwd: dir });
      expect(logs.exitCode, logs.stderr).toBe(0);
      const all = Array.from({ length: runs + 1 }, () => PAYLOAD).flat();
      expect(short(linesByContainer(logs.stdout).get(`${project}-long-1`)), args.join(" ")).toEqual(
        short(all),
      );
    }

    // Step: logs -t prints the engine's timestamps (nanoseconds), then the line as it was.
    const stamped = await berth(["logs", "-t", "hello"], { cwd: dir });
    const texts = [...linesByContainer(stamped.stdout).values()].flat();
    expect(texts.length).toBe(runs + 3);
    for (const text of texts) expect(text).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z hello$/);
    expect(texts.some((t) => !/000000Z/.test(t))).toBe(true);
  }, 120_000);

  // A run's unterminated last line must stay a line of its own after the restart.
  if (withFeatures(backend, "log-run-boundaries"))
    it("up must print every run of a container its restart policy restarts", async () => {
      const { dir, project } = fixture(
        "restarts",
        service(
          "flaky",
          ["sh", "-c", "echo run; printf 'last words'; exit 3"],
          "    restart: on-failure:2\n",
        ),
      );
      const up = await berth(["up"], { cwd: dir });
      expect(up.exitCode, up.stderr).toBe(0);
      const runs = ["run", "last words"];
      expect(linesByContainer(up.stdout).get(`${project}-flaky-1`)).toEqual([...runs, ...runs, ...runs]);
      expect(up.stdout.match(/exited with code 3/g)).toEqual(["exited with code 3"]);
    }, 60_000);
});
