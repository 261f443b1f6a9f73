import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { processStart, self } from "../../../../../src/runtime/native/containers/lock.js";
import {
  containerLayout,
  type ContainerRecord,
  createRecord,
  listIds,
  readRecord,
  stagingOwner,
  sweepStaging,
  writeRecord,
} from "../../../../../src/runtime/native/containers/records.js";
import { nativePaths, type NativePaths } from "../../../../../src/runtime/native/paths.js";
import { containerRecord } from "../record-fixture.js";

let dir = "";
let paths: NativePaths;
const ID = "b".repeat(64);

const record: ContainerRecord = containerRecord(ID, { state: "creating", owner: self });

/** The identity of a process that has exited (its PID not yet reused, in all likelihood). */
async function goneProcess(): Promise<{ pid: number; start: string }> {
  const child = spawn("sleep", ["0.2"]);
  const pid = child.pid ?? 0;
  const start = processStart(pid) ?? "";
  await new Promise((resolve) => child.once("exit", resolve));
  return { pid, start };
}

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "berth-records-unit-"));
  paths = nativePaths({ BERTH_ROOT: path.join(dir, "root"), BERTH_RUN_ROOT: path.join(dir, "run") });
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("container records on disk", () => {
  it("a new container's directory appears with its record in it, and nothing else is left", () => {
    createRecord(paths, record);
    expect(readRecord(paths, ID)).toEqual(record);
    expect(listIds(paths)).toEqual([ID]);
    expect(readdirSync(paths.containers)).toEqual([ID]);
  });

  it("a rewrite of a removed container fails instead of making its directory again", () => {
    createRecord(paths, record);
    rmSync(containerLayout(paths, ID).dir, { recursive: true });
    expect(() => writeRecord(paths, { ...record, state: "created" })).toThrow(/ENOENT/);
    expect(existsSync(containerLayout(paths, ID).dir)).toBe(false);
  });

  it("a create of an id that exists fails and leaves the existing record alone", () => {
    createRecord(paths, record);
    expect(() => createRecord(paths, { ...record, name: "other" })).toThrow();
    expect(readRecord(paths, ID)?.name).toBe("web");
    expect(readdirSync(paths.containers)).toEqual([ID]);
  });

  it("a staging directory names its creator; other names are not staging directories", () => {
    expect(stagingOwner(`.creating-42-1234-${ID}`)).toEqual({ pid: 42, start: "1234" });
    expect(stagingOwner(`.creating-42-0-${ID}`)).toEqual({ pid: 42, start: undefined });
    expect(stagingOwner(ID)).toBeUndefined();
    expect(stagingOwner(`${ID}.removed`)).toBeUndefined();
    expect(stagingOwner(`.creating-x-1-${ID}`)).toBeUndefined();
  });

  it("the sweep removes the staging directory of a creator that is gone, not of one that runs", async () => {
    mkdirSync(paths.containers, { recursive: true });
    const gone = await goneProcess();
    const dead = path.join(paths.containers, `.creating-${gone.pid}-${gone.start}-${ID}`);
    const live = path.join(paths.containers, `.creating-${self.pid}-${self.start ?? "0"}-${"c".repeat(64)}`);
    for (const staging of [dead, live]) {
      mkdirSync(staging);
      writeFileSync(path.join(staging, "container.json.1.tmp"), "{");
    }
    sweepStaging(paths);
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
    // Neither was ever a container.
    expect(listIds(paths)).toEqual([]);
  });
});
