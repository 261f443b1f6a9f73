/**
 * What a user types around the stack: `ps --format` templates, `--no-trunc`, `--no-orphans` and
 * `--filter` on a real one; `help CMD`, a mistyped command, and `config --variables/--environment`.
 * The stack runs on each runtime backend (Docker and native, ../integration/orchestration/backends.ts).
 * Every container carries `berth.test=<run id>`; the project is taken down and leak-checked after.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RUN_ID, TEST_LABEL } from "../integration/engine.js";
import { BACKENDS, useBackend } from "../integration/orchestration/backends.js";
import { backendCli } from "./backend-cli.js";
import { berth } from "./cli.js";

const dirs: string[] = [];
function projectDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "berth-e2e-ps-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("help and mistyped commands", () => {
  it("a mistyped command must print one line naming the closest command and exit 1", async () => {
    const result = await berth(["conifg"]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(
      "error: unknown command 'conifg'; did you mean 'config'? (see 'berth --help')\n",
    );
  });

  it("help CMD must print that command's help, and help of an unknown command one line", async () => {
    const ps = await berth(["help", "ps"]);
    expect(ps.exitCode).toBe(0);
    expect(ps.stdout).toMatch(/^Usage: berth ps \[options\] \[services\.\.\.\]\n/);
    expect(ps.stdout).toContain("--no-trunc");
    const unknown = await berth(["help", "frobnicate"]);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toBe("error: unknown command 'frobnicate' (see 'berth --help')\n");
  });
});

describe("config --variables and --environment", () => {
  const dir = projectDir({
    "compose.yaml":
      'services:\n  web:\n    image: "busybox:${TAG:-1.36}"\n    environment:\n      - X=${REQ:?need it}\n      - Y=${ALT:+on}\n',
    ".env": "FROM_DOTENV=1\n",
  });

  it("--variables must list every variable with its default, as a table by default", async () => {
    const result = await berth(["config", "--variables"], { cwd: dir });
    expect(result.stderr).toBe("");
    expect(result.stdout).toBe(
      [
        "NAME                REQUIRED            DEFAULT VALUE       ALTERNATE VALUE",
        "ALT                 false                                   on",
        "REQ                 true                                    ",
        "TAG                 false               1.36                ",
        "",
      ].join("\n"),
    );
    const json = await berth(["config", "--variables", "--format", "json"], { cwd: dir });
    expect(JSON.parse(json.stdout)).toMatchObject({
      TAG: { Name: "TAG", DefaultValue: "1.36", PresenceValue: "", Required: false },
    });
  });

  it("--environment must print the interpolation environment (shell over .env), sorted", async () => {
    const result = await berth(["config", "--environment"], {
      cwd: dir,
      env: { REQ: "1", FROM_DOTENV: "shell" },
    });
    expect(result.exitCode).toBe(0);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines).toEqual([...lines].sort());
    expect(lines).toEqual(
      expect.arrayContaining([
        "REQ=1",
        "FROM_DOTENV=shell",
        `COMPOSE_PROJECT_NAME=${path.basename(dir).toLowerCase()}`,
      ]),
    );
  });
});

describe.each(BACKENDS)("ps on a running stack ($name)", (backend) => {
  const suite = useBackend(backend);
  const it = suite.it;
  const cli = backendCli(suite);
  const berth = (args: readonly string[], options: { cwd?: string } = {}) => cli.berth(args, options);
  let image: string;
  const project = `berth-e2e-psfmt-${backend.name}-${RUN_ID}`;
  let dir: string;
  const compose = (services: readonly string[]): string =>
    `name: ${project}\nservices:\n${services
      .map(
        (name) =>
          `  ${name}:\n    image: ${image}\n    command: ["sleep", "3600"]\n    stop_grace_period: 1s\n    labels: { ${TEST_LABEL}: "${RUN_ID}", tier: "t-${name}" }\n`,
      )
      .join("")}`;

  beforeAll(async () => {
    if (!backend.available) return;
    ({ image } = suite.opened);
    dir = projectDir({ "compose.yaml": compose(["web", "worker"]) });
    const up = await berth(["up", "-d"], { cwd: dir });
    expect(up.exitCode, up.stderr).toBe(0);
    // worker leaves the file: its container is now an orphan.
    writeFileSync(path.join(dir, "compose.yaml"), compose(["web"]));
  }, 90_000);

  afterAll(async () => {
    if (!backend.available) return;
    await berth(["-p", project, "down", "-t", "0", "--remove-orphans"], { cwd: tmpdir() });
    expect(await suite.opened.leaks(project)).toEqual([]);
  }, 60_000);

  it("--format must render a Go template per container, and `table` must add Compose's headers", async () => {
    const plain = await berth(["ps", "--format", '{{.Service}} {{.State}} {{.Label "tier"}}'], { cwd: dir });
    expect(plain.stderr).toBe("");
    expect(plain.stdout).toBe("web running t-web\nworker running t-worker\n");
    const table = await berth(["ps", "--format", "table {{.Name}}\\t{{.Service}}\\t{{.State}}"], {
      cwd: dir,
    });
    expect(table.stdout).toBe(
      [
        `NAME${" ".repeat(project.length + "-worker-1".length + 3 - "NAME".length)}SERVICE   STATE`,
        `${project}-web-1      web       running`,
        `${project}-worker-1   worker    running`,
        "",
      ].join("\n"),
    );
    const json = await berth(["ps", "--format", "{{json .}}", "web"], { cwd: dir });
    expect(JSON.parse(json.stdout)).toMatchObject({ Service: "web", State: "running", Project: project });
  });

  it("IDs must be 12 characters unless --no-trunc, and --no-orphans must hide the orphan", async () => {
    const short = await berth(["ps", "--format", "{{.ID}}", "web"], { cwd: dir });
    expect(short.stdout).toMatch(/^[0-9a-f]{12}\n$/);
    const long = await berth(["ps", "--no-trunc", "--format", "{{.ID}}", "web"], { cwd: dir });
    expect(long.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    expect(long.stdout.startsWith(short.stdout.trim())).toBe(true);
    const declared = await berth(["ps", "--no-orphans", "--format", "{{.Service}}"], { cwd: dir });
    expect(declared.stdout).toBe("web\n");
  });

  it("a bad template or filter must exit 1 with one sentence", async () => {
    const field = await berth(["ps", "--format", "{{.Nope}}"], { cwd: dir });
    expect(field.exitCode).toBe(1);
    expect(field.stderr).toContain("can't evaluate field Nope");
    const source = await berth(["ps", "--filter", "source=x"], { cwd: dir });
    expect(source.exitCode).toBe(1);
    expect(source.stderr).toContain("not implemented");
  });
});
