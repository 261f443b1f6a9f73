/**
 * Two native state roots on one host (as tests running side by side, or two BERTH_ROOTs) creating
 * networks at the same moment: each sees the other's subnets only as host routes, which exist once a
 * bridge has its address, so without a lock across roots both chose the same default subnet (and
 * their DNS servers then fought over one gateway address). Removes every bridge it made.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openNetworkLayer, type NetworkLayer } from "../../../src/runtime/native/network/index.js";
import { nativePaths } from "../../../src/runtime/native/paths.js";
import { requireOrSkip } from "../engine.js";

const native = process.getuid?.() === 0 && (existsSync("/usr/sbin/runc") || existsSync("/usr/bin/runc"));

describe("native networks of two state roots", () => {
  const made: { layer: NetworkLayer; name: string }[] = [];
  const dirs: string[] = [];

  afterAll(async () => {
    for (const { layer, name } of made) await layer.removeNetwork(name).catch(() => undefined);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("never share a default subnet, created at the same moment", async (context) => {
    requireOrSkip(context, native, "native network tests need root and runc");
    const run = randomBytes(3).toString("hex");
    const layers = [0, 1].map((i) => {
      const dir = mkdtempSync(path.join("/var/tmp", `berth-roots-${run}-${i}-`));
      dirs.push(dir);
      return openNetworkLayer(
        nativePaths({ BERTH_ROOT: path.join(dir, "root"), BERTH_RUN_ROOT: path.join(dir, "run") }),
      );
    });
    const requests = layers.flatMap((layer, i) =>
      [0, 1, 2].map((n) => {
        const name = `roots${run}_${i}_${n}`;
        made.push({ layer, name });
        return layer.createNetwork({ name, labels: { "berth.test": run } });
      }),
    );
    const networks = await Promise.all(requests);
    const subnets = networks.map((n) => n.subnet);
    expect(new Set(subnets).size, subnets.join(" ")).toBe(subnets.length);
  }, 120_000);
});
