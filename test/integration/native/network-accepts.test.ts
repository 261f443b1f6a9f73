/**
 * The network layer checks a bridge's iptables accepts once per process, also when many containers
 * are set up at once (an `up -d` of 50 sets them all up together): the concurrent setups share the
 * one `iptables -S` under way. Counted through an `iptables` on PATH that logs its arguments and runs
 * the real one. Everything made is removed and checked gone (links, namespaces, nft table).
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  bridgeName,
  netnsName,
  openNetworkLayer,
  type NetworkLayer,
} from "../../../src/runtime/native/network/index.js";
import { nativePaths } from "../../../src/runtime/native/paths.js";
import { requireOrSkip } from "../engine.js";

const runcFound = existsSync("/usr/sbin/runc") || existsSync("/usr/bin/runc");
const iptables = spawnSync("sh", ["-c", "command -v iptables"], { encoding: "utf8" }).stdout.trim();
const native = process.getuid?.() === 0 && runcFound && iptables !== "";

describe("native network layer: concurrent setups", () => {
  let base: string;
  let layer: NetworkLayer;
  let root: string;
  const name = `accepts-${randomBytes(3).toString("hex")}`;
  const ids = Array.from({ length: 6 }, () => randomBytes(32).toString("hex"));
  const savedPath = process.env["PATH"];

  beforeAll(() => {
    if (!native) return;
    base = mkdtempSync("/var/tmp/berth-network-accepts-");
    const paths = nativePaths({
      BERTH_ROOT: path.join(base, "root"),
      BERTH_RUN_ROOT: path.join(base, "run"),
    });
    root = paths.root;
    layer = openNetworkLayer(paths);
  });

  afterAll(async () => {
    process.env["PATH"] = savedPath;
    if (!native) return;
    for (const id of ids) await layer.teardownContainer(id).catch(() => undefined);
    await layer.removeNetwork(name).catch(() => undefined);
    rmSync(base, { recursive: true, force: true });
  });

  it("share one iptables check of the bridge's accepts", async (ctx) => {
    requireOrSkip(ctx, native, "native network tests need root, runc and iptables");
    await layer.createNetwork({ name, labels: { "berth.test": name } });
    const shims = path.join(base, "shims");
    spawnSync("mkdir", ["-p", shims]);
    const log = path.join(base, "iptables.log");
    writeFileSync(path.join(shims, "iptables"), `#!/bin/sh\necho "$*" >> ${log}\nexec ${iptables} "$@"\n`);
    chmodSync(path.join(shims, "iptables"), 0o755);
    process.env["PATH"] = `${shims}:${savedPath ?? ""}`;
    try {
      const set = await Promise.all(ids.map((id) => layer.setupContainer({ id, networks: { [name]: {} } })));
      expect(set.map((n) => n.endpoints.length)).toEqual(ids.map(() => 1));
    } finally {
      process.env["PATH"] = savedPath;
    }
    const checks = readFileSync(log, "utf8")
      .split("\n")
      .filter((line) => line.includes("-S"));
    // Each concurrent setup ran its own `iptables -S` before (6 here, 50 in an up -d of 50).
    expect(checks).toHaveLength(1);

    for (const id of ids) await layer.teardownContainer(id);
    await layer.removeNetwork(name);
    const bridge = bridgeName(root, name);
    expect(existsSync(`/sys/class/net/${bridge}`)).toBe(false);
    const netns = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout;
    expect(netns).not.toContain(netnsName(root, ""));
    const tables = spawnSync("nft", ["list", "tables"], { encoding: "utf8" }).stdout;
    expect(tables).not.toMatch(new RegExp(`^table ip ${bridge}$`, "m"));
  });
});
