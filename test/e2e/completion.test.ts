/**
 * `berth completion bash|zsh|fish` must install a completion that offers commands, flags, the
 * project's service names and its profiles, as a user sees them once the script is loaded, in the
 * real shells: bash (COMP_WORDS set as bash sets them on <TAB>), zsh (an interactive `zsh -f` on a
 * pseudo-terminal, TAB typed: zsh-complete.zsh) and fish (`complete -C`, what fish offers on <TAB>).
 * No engine: config answers alone.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it, type TestContext } from "vitest";
import { requireOrSkip } from "../integration/engine.js";
import { berth, repoRoot } from "./cli.js";

let dir: string;
let bin: string;
let script: string;

const found = async (shell: string): Promise<boolean> =>
  (await execa(shell, ["--version"], { reject: false })).exitCode === 0;
const zshFound = await found("zsh");
const fishFound = await found("fish");

/** PATH with the test's `berth` first, and HOME the test's directory (no user's shell setup read). */
const shellEnv = (): Record<string, string> => ({
  PATH: `${bin}:${process.env["PATH"] ?? "/usr/bin:/bin"}`,
  HOME: dir,
});

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "berth-e2e-completion-"));
  // `berth` on PATH, as an installed CLI is: the script calls the berth the user typed.
  bin = path.join(dir, "bin");
  mkdirSync(bin);
  writeFileSync(
    path.join(bin, "berth"),
    `#!/bin/sh\nexec "${process.execPath}" "${path.join(repoRoot, "bin", "berth.js")}" "$@"\n`,
  );
  chmodSync(path.join(bin, "berth"), 0o755);
  const project = path.join(dir, "project");
  mkdirSync(project);
  writeFileSync(
    path.join(project, "compose.yaml"),
    "services:\n  web: { image: busybox }\n  db: { image: busybox }\n  worker: { image: busybox, profiles: [jobs] }\n",
  );
  const result = await berth(["completion", "bash"]);
  expect(result.exitCode).toBe(0);
  script = path.join(dir, "berth.bash");
  writeFileSync(script, result.stdout);
  const zsh = await berth(["completion", "zsh"]);
  writeFileSync(path.join(dir, "berth.zsh"), zsh.stdout);
  // Installed the zsh way: a file named for its function in a directory of $fpath.
  mkdirSync(path.join(dir, "zsh-functions"));
  writeFileSync(path.join(dir, "zsh-functions", "_berth"), zsh.stdout);
  writeFileSync(path.join(dir, "berth.fish"), (await berth(["completion", "fish"])).stdout);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The words bash offers for `words` with the cursor on the last one. */
async function offered(words: readonly string[], cwd = path.join(dir, "project")): Promise<string[]> {
  const array = words.map((w) => `'${w}'`).join(" ");
  const { stdout } = await execa(
    "bash",
    [
      "-c",
      `source "$1"; COMP_WORDS=(${array}); COMP_CWORD=${words.length - 1}; _berth; printf '%s\\n' "\${COMPREPLY[@]}"`,
      "_",
      script,
    ],
    {
      cwd,
      env: shellEnv(),
      extendEnv: false,
      timeout: 20_000,
    },
  );
  return stdout.split("\n").filter((w) => w !== "");
}

describe("bash completion", () => {
  it("sourcing the script must register it for berth", async () => {
    const { stdout } = await execa("bash", ["-c", 'source "$1"; complete -p berth', "_", script]);
    expect(stdout).toBe("complete -F _berth berth");
  });

  it("berth ex<TAB> must offer exec; a flag prefix must offer that command's flags", async () => {
    expect(await offered(["berth", "ex"])).toEqual(["exec"]);
    expect(await offered(["berth", "ps", "--no-"])).toEqual(["--no-trunc", "--no-orphans"]);
    expect(await offered(["berth", "--proj"])).toEqual(["--project-name", "--project-directory"]);
  });

  it("a service operand must offer the project's active services; --profile its profiles", async () => {
    expect(await offered(["berth", "logs", ""])).toEqual(["db", "web"]);
    expect(await offered(["berth", "--profile", "jobs", "logs", "w"])).toEqual(["web", "worker"]);
    expect(await offered(["berth", "--profile", ""])).toEqual(["jobs"]);
    // exec takes one service, then the command.
    expect(await offered(["berth", "exec", "web", ""])).toEqual([]);
    // From elsewhere, through --project-directory.
    expect(
      await offered(["berth", "--project-directory", path.join(dir, "project"), "ps", "d"], dir),
    ).toEqual(["db"]);
  });

  it("a directory without a project must complete no service and print nothing", async () => {
    expect(await offered(["berth", "logs", ""], dir)).toEqual([]);
  });
});

/** What a shell offers for each line of `queries` (the cursor at its end). */
type Offered = (queries: readonly string[], cwd?: string) => Promise<string[][]>;

/** zsh: each query typed in an interactive `zsh -f`, then TAB; `mode` as zsh-complete.zsh takes it. */
function zshOffered(mode: "source" | "fpath"): Offered {
  return async (queries, cwd = path.join(dir, "project")) => {
    const out = mkdtempSync(path.join(dir, "zsh-"));
    const loaded = mode === "source" ? path.join(dir, "berth.zsh") : path.join(dir, "zsh-functions");
    await execa(
      "zsh",
      ["-f", path.join(import.meta.dirname, "zsh-complete.zsh"), mode, loaded, out, ...queries],
      { cwd, env: shellEnv(), extendEnv: false, timeout: 60_000 },
    );
    return queries.map((_, i) => {
      let text = "";
      try {
        text = readFileSync(path.join(out, String(i + 1)), "utf8");
      } catch {
        // Nothing offered: compadd was never called with a matching word.
      }
      return text.split("\n").filter((w) => w !== "");
    });
  };
}

/** fish: `complete -C`, the candidates fish lists on TAB (each `word<TAB>description`). */
const fishOffered: Offered = async (queries, cwd = path.join(dir, "project")) => {
  const { stdout } = await execa(
    "fish",
    [
      "--no-config",
      "-c",
      'source $argv[1]; for q in $argv[2..]; complete -C "$q"; echo "--end--"; end',
      path.join(dir, "berth.fish"),
      ...queries,
    ],
    { cwd, env: shellEnv(), extendEnv: false, timeout: 60_000 },
  );
  const answers: string[][] = [[]];
  for (const line of stdout.split("\n")) {
    if (line === "--end--") answers.push([]);
    else if (line !== "") answers.at(-1)?.push(line.split("\t")[0] ?? "");
  }
  return answers.slice(0, queries.length);
};

const SHELLS: [string, () => boolean, Offered][] = [
  ["zsh (sourced)", () => zshFound, zshOffered("source")],
  ["zsh (from $fpath)", () => zshFound, zshOffered("fpath")],
  ["fish", () => fishFound, fishOffered],
];

describe.each(SHELLS)("%s completion", (shell, available, offer) => {
  const needed = (context: TestContext): void =>
    requireOrSkip(
      context,
      available(),
      `${shell.split(" ")[0] ?? ""} is not installed (apt-get install -y zsh fish)`,
    );

  it("must offer commands, a command's flags, the project's services and its profiles", async (context) => {
    needed(context);
    const answers = await offer([
      "berth ex",
      "berth ps --no-",
      "berth --proj",
      "berth logs ",
      "berth --profile jobs logs w",
      "berth --profile ",
      "berth exec web ",
      "berth -p other ex",
      `berth --project-directory ${path.join(dir, "project")} ps d`,
      "berth help ex",
    ]);
    const sorted = answers.map((words) => [...words].sort());
    expect(sorted).toEqual([
      ["exec"],
      ["--no-orphans", "--no-trunc"],
      ["--project-directory", "--project-name"],
      ["db", "web"],
      ["web", "worker"],
      ["jobs"],
      // exec takes one service, then the command.
      [],
      // A global flag's value is not the command.
      ["exec"],
      ["db"],
      ["exec"],
    ]);
  }, 90_000);

  it("a directory without a project must complete no service", async (context) => {
    needed(context);
    expect(await offer(["berth logs "], dir)).toEqual([[]]);
  }, 60_000);
});

describe("other shells", () => {
  it("zsh and fish scripts must name the commands; an unknown shell must exit 1", async () => {
    const zsh = await berth(["completion", "zsh"]);
    expect(zsh.stdout.startsWith("#compdef berth\n")).toBe(true);
    expect(zsh.stdout).toContain("'exec:execute a command in a running container'");
    const fish = await berth(["completion", "fish"]);
    expect(fish.stdout).toContain("complete -c berth -n __berth_needs_command -a exec");
    const bad = await berth(["completion", "tcsh"]);
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toBe('unsupported shell "tcsh": expected one of bash, zsh, fish\n');
  });
});
