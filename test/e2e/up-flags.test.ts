/**
 * Flags of `up` that Compose refuses together, refused before anything is loaded or changed.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { berth } from "./cli.js";

const dir = mkdtempSync(path.join(tmpdir(), "berth-up-flags-"));
writeFileSync(path.join(dir, "compose.yaml"), "services:\n  app:\n    image: busybox\n");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("up --build --no-build", () => {
  it.each([
    ["--build", "--no-build"],
    ["--no-build", "--build"],
  ])("refuses %s %s as Compose does, in either order, touching no engine", async (first, second) => {
    // An engine address that cannot answer: the refusal must come before any call to it.
    const result = await berth(["up", "-d", first, second], {
      cwd: dir,
      env: { DOCKER_HOST: `unix://${path.join(dir, "no-engine.sock")}` },
    });
    expect(result.exitCode).toBe(1);
    expect(result.stderr.trim()).toBe("--build and --no-build are incompatible");
    expect(result.stdout).toBe("");
  });

  it("still takes either flag alone", async () => {
    for (const flag of ["--build", "--no-build"]) {
      const result = await berth(["up", "-d", "--dry-run", flag], {
        cwd: dir,
        env: { DOCKER_HOST: `unix://${path.join(dir, "no-engine.sock")}` },
      });
      expect(result.stderr).not.toContain("incompatible");
    }
  });
});
