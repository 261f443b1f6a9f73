import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  markDnsRunning,
  readDnsRecords,
  setDnsPorts,
  writeDnsRecords,
} from "../../../../../src/runtime/native/dns/index.js";
import { nativePaths, type NativePaths } from "../../../../../src/runtime/native/paths.js";

let dir = "";
let paths: NativePaths;
const ID = "d".repeat(64);
const PORT = { protocol: "tcp" as const, hostIp: "127.0.0.1", hostPort: 8080 };

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "berth-dns-records-unit-"));
  paths = nativePaths({ BERTH_ROOT: path.join(dir, "root"), BERTH_RUN_ROOT: path.join(dir, "run") });
  writeDnsRecords(paths, {
    id: ID,
    name: "web",
    networks: { front: { ipv4: "10.1.0.2", aliases: ["web"] } },
    stopped: true,
  });
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("a container's DNS record through its runs", () => {
  it("is answered from its start to its exit, holding the ports it publishes meanwhile", () => {
    markDnsRunning(paths, ID, true);
    setDnsPorts(paths, ID, [PORT]);
    expect(readDnsRecords(paths)).toMatchObject([{ id: ID, name: "web", ports: [PORT] }]);
    expect(readDnsRecords(paths)[0]?.stopped).toBeUndefined();

    markDnsRunning(paths, ID, false);
    setDnsPorts(paths, ID, []);
    const stopped = readDnsRecords(paths)[0];
    expect(stopped?.stopped).toBe(true);
    expect(stopped?.ports ?? []).toEqual([]);
    // Its names and addresses stay for its next start.
    expect(stopped?.networks).toEqual({ front: { ipv4: "10.1.0.2", aliases: ["web"] } });
  });

  it("changes nothing for a container with no record", () => {
    const other = "e".repeat(64);
    markDnsRunning(paths, other, true);
    setDnsPorts(paths, other, [PORT]);
    expect(readDnsRecords(paths).map((r) => r.id)).toEqual([ID]);
  });
});
