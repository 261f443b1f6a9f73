/**
 * `berth completion bash` must install a completion that offers commands, flags, the project's
 * service names and its profiles, as a user sees them after sourcing the script. The script is run
 * by a real bash, with COMP_WORDS set as bash sets them on <TAB>. No engine: config answers alone.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { berth, repoRoot } from "./cli.js";

let dir: string;
let bin: string;
let script: string;

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
      env: { PATH: `${bin}:${process.env["PATH"] ?? "/usr/bin:/bin"}`, HOME: dir },
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

describe("other shells", () => {
  it("zsh and fish scripts must name every command; an unknown shell must exit 1", async () => {
    const zsh = await berth(["completion", "zsh"]);
    expect(zsh.stdout).toContain("bashcompinit");
    expect(zsh.stdout).toContain("complete -F _berth berth");
    const fish = await berth(["completion", "fish"]);
    expect(fish.stdout).toContain("complete -c berth -n __fish_use_subcommand -a exec");
    expect(fish.stdout).toContain(
      "complete -c berth -n '__fish_seen_subcommand_from logs' -a '(__berth_project --services)'",
    );
    const bad = await berth(["completion", "tcsh"]);
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toBe('unsupported shell "tcsh": expected one of bash, zsh, fish\n');
  });
});
