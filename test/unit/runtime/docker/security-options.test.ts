import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compactJson, withSeccompProfilesRead } from "../../../../src/runtime/docker/security-options.js";
import { InvalidRequestError } from "../../../../src/runtime/errors.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "berth-secopt-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("seccomp profiles read for the Engine API", () => {
  it("replaces a seccomp path by the file's compacted JSON, in either spelling", async () => {
    const file = path.join(dir, "p.json");
    writeFileSync(file, '{\n  "defaultAction": "SCMP_ACT_ALLOW",\n  "note": "a \\" b c"\n}\n');
    const expected = 'seccomp={"defaultAction":"SCMP_ACT_ALLOW","note":"a \\" b c"}';
    expect(await withSeccompProfilesRead([`seccomp=${file}`, "no-new-privileges"])).toEqual([
      expected,
      "no-new-privileges",
    ]);
    expect(await withSeccompProfilesRead([`seccomp:${file}`])).toEqual([expected]);
  });

  it("leaves unconfined, an empty value, an inline profile and other options as written", async () => {
    const options = [
      "seccomp=unconfined",
      "seccomp=",
      'seccomp={"defaultAction":"SCMP_ACT_ALLOW"}',
      "label=disable",
    ];
    expect(await withSeccompProfilesRead(options)).toEqual(options);
    expect(await withSeccompProfilesRead(undefined)).toBeUndefined();
  });

  it("says which file could not be read or is not JSON", async () => {
    await expect(withSeccompProfilesRead([`seccomp=${dir}/missing.json`])).rejects.toThrow(
      /^opening seccomp profile \(.*missing\.json\) failed: /,
    );
    const bad = path.join(dir, "bad.json");
    writeFileSync(bad, "{ nope");
    const error = await withSeccompProfilesRead([`seccomp=${bad}`]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(String((error as Error).message)).toMatch(
      /^compacting json for seccomp profile \(.*bad\.json\) failed/,
    );
  });

  it("keeps every digit of a large syscall argument", () => {
    expect(compactJson('{ "value": 18446744073709551615 }')).toBe('{"value":18446744073709551615}');
  });
});
