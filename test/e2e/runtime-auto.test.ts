/**
 * `--runtime auto` (the default) on a host with no Docker Engine at all: berth must choose the
 * native runtime and say so once, on stderr; `version` must name it. The missing engine is made by
 * hiding /run (where /var/run/docker.sock lives) under an empty tmpfs in a mount namespace of the
 * berth process alone, so the engine the other tests use keeps running.
 */
import { mkdtempSync, rmSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { requireOrSkip } from "../integration/engine.js";
import { repoRoot } from "./cli.js";

const canHideRun = process.getuid?.() === 0 && process.platform === "linux";
const root = mkdtempSync("/var/tmp/berth-auto-");

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** berth with /run hidden: the script is fixed text, every value reaches it as an argument. */
function berthWithoutEngine(args: readonly string[]) {
  const script = 'mount -t tmpfs tmpfs /run && exec "$@"';
  return execa(
    "unshare",
    ["-m", "sh", "-c", script, "sh", process.execPath, path.join(repoRoot, "bin", "berth.js"), ...args],
    {
      cwd: root,
      env: {
        PATH: process.env["PATH"] ?? "/usr/bin:/bin",
        HOME: process.env["HOME"] ?? "/root",
        BERTH_ROOT: path.join(root, "state"),
        BERTH_RUN_ROOT: path.join(root, "run"),
      },
      extendEnv: false,
      reject: false,
      timeout: 20_000,
    },
  );
}

describe("--runtime auto without a Docker Engine", () => {
  it("must choose the native runtime, say so once on stderr, and name it in version", async (context) => {
    requireOrSkip(context, canHideRun, "hiding the engine needs root on Linux (a mount namespace)");
    const ps = await berthWithoutEngine(["-p", "nothing-here", "ps"]);
    expect(ps.exitCode).toBe(0);
    expect(ps.stderr).toBe(
      "berth: no Docker Engine here, using the native runtime (--runtime docker insists on an engine)",
    );
    const quiet = await berthWithoutEngine(["--progress", "quiet", "-p", "nothing-here", "ps"]);
    expect(quiet.stderr).toBe("");
    const version = await berthWithoutEngine(["version"]);
    expect(version.stdout).toMatch(/^Runtime: native \(berth native /m);
    // Asked for Docker, it says the engine is missing rather than running elsewhere.
    const docker = await berthWithoutEngine(["--runtime", "docker", "-p", "nothing-here", "ps"]);
    expect(docker.exitCode).toBe(1);
    expect(docker.stderr).toContain("cannot connect to the Docker engine");
  });
});
