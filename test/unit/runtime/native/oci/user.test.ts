/**
 * `user:` must resolve to the ids Docker 20.10 runs the process with (runc's libcontainer/user
 * lookup over the image's /etc/passwd and /etc/group, then group_add), with Docker's errors; and
 * reading those files must never leave the rootfs, whatever symlinks the image holds.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { resolveInRoot } from "../../../../../src/runtime/native/oci/scoped-path.js";
import { effectiveUser, lookupUser, resolveUser } from "../../../../../src/runtime/native/oci/user.js";

const PASSWD = [
  "root:x:0:0:root:/root:/bin/sh",
  "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin",
  "  app:x:1000:1000::/home/app:/bin/sh  ",
  "",
  "nobody:x:65534:65534:nobody:/nonexistent:/bin/false",
  "broken:x:notanumber:7",
].join("\n");

const GROUP = [
  "root:x:0:",
  "daemon:x:1:",
  "wheel:x:10:root,app",
  "staff:x:50:app",
  "app:x:1000:",
  "nogroup:x:65534:",
  "docker:x:999:",
].join("\n");

describe("lookupUser (runc's GetExecUser + Docker's group_add)", () => {
  const cases: [
    string | undefined,
    readonly string[],
    { uid: number; gid: number; additionalGids: number[] },
  ][] = [
    // empty: uid 0 from passwd, root's supplementary groups
    [undefined, [], { uid: 0, gid: 0, additionalGids: [0, 10] }],
    ["", [], { uid: 0, gid: 0, additionalGids: [0, 10] }],
    ["root", [], { uid: 0, gid: 0, additionalGids: [0, 10] }],
    ["app", [], { uid: 1000, gid: 1000, additionalGids: [1000, 10, 50] }],
    ["1000", [], { uid: 1000, gid: 1000, additionalGids: [1000, 10, 50] }],
    // an explicit group: no supplementary groups
    ["app:staff", [], { uid: 1000, gid: 50, additionalGids: [50] }],
    ["app:999", [], { uid: 1000, gid: 999, additionalGids: [999] }],
    ["nobody:4242", [], { uid: 65534, gid: 4242, additionalGids: [4242] }],
    // numeric ids not in passwd are taken as they are, gid 0
    ["4242", [], { uid: 4242, gid: 0, additionalGids: [0] }],
    ["4242:4343", [], { uid: 4242, gid: 4343, additionalGids: [4343] }],
    ["0:docker", [], { uid: 0, gid: 999, additionalGids: [999] }],
    // a non-numeric uid field reads as 0, as runc's parser ignores it
    ["broken", [], { uid: 0, gid: 7, additionalGids: [7] }],
    // group_add: names or numbers, last, without repeats
    [
      "nobody",
      ["docker", "1234", "staff", "1234"],
      { uid: 65534, gid: 65534, additionalGids: [65534, 999, 1234, 50] },
    ],
  ];
  it.each(cases)("user %j with group_add %j", (user, groupAdd, expected) => {
    expect(lookupUser(user, PASSWD, GROUP, groupAdd)).toEqual(expected);
  });

  it("refuses names that are not there, in Docker's words", () => {
    expect(() => lookupUser("ghost", PASSWD, GROUP)).toThrow(
      "unable to find user ghost: no matching entries in passwd file",
    );
    expect(() => lookupUser("app:ghosts", PASSWD, GROUP)).toThrow(
      "unable to find group ghosts: no matching entries in group file",
    );
    expect(() => lookupUser("app", PASSWD, GROUP, ["ghosts"])).toThrow("Unable to find group ghosts");
    expect(() => lookupUser("-1", PASSWD, GROUP)).toThrow("uids and gids must be in range 0-2147483647");
  });

  it("without passwd or group files: numbers pass, names fail", () => {
    expect(lookupUser(undefined, undefined, undefined)).toEqual({ uid: 0, gid: 0, additionalGids: [0] });
    expect(lookupUser("33:44", undefined, undefined, ["55"])).toEqual({
      uid: 33,
      gid: 44,
      additionalGids: [44, 55],
    });
    expect(() => lookupUser("www-data", undefined, undefined)).toThrow(
      "unable to find user www-data: no matching entries in passwd file",
    );
  });

  it("the service's user wins over the image's", () => {
    expect(effectiveUser(undefined, "app")).toBe("app");
    expect(effectiveUser("", "app")).toBe("app");
    expect(effectiveUser("root", "app")).toBe("root");
  });
});

describe("resolveUser reads the rootfs's files without leaving it", () => {
  const base = mkdtempSync(path.join(tmpdir(), "berth-oci-user-"));
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  /** A rootfs directory holding `files` (path → text) and `links` (path → target). */
  function rootfs(name: string, files: Record<string, string>, links: Record<string, string> = {}): string {
    const root = path.join(base, name);
    for (const [p, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
      writeFileSync(path.join(root, p), text);
    }
    for (const [p, target] of Object.entries(links)) {
      mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
      symlinkSync(target, path.join(root, p));
    }
    mkdirSync(root, { recursive: true });
    return root;
  }

  it("resolves from the image's passwd and group", async () => {
    const root = rootfs("plain", { "etc/passwd": PASSWD, "etc/group": GROUP });
    expect(await resolveUser("app", root, ["docker"])).toEqual({
      uid: 1000,
      gid: 1000,
      additionalGids: [1000, 10, 50, 999],
    });
  });

  it("follows an absolute symlink inside the rootfs, not on the host", async () => {
    // /etc/passwd -> /usr/lib/passwd must read <rootfs>/usr/lib/passwd, never the host's /usr/lib.
    const root = rootfs(
      "linked",
      { "usr/lib/passwd": "svc:x:321:654::/:/bin/sh\n", "etc/group": GROUP },
      { "etc/passwd": "/usr/lib/passwd" },
    );
    expect(await resolveUser("svc", root)).toEqual({ uid: 321, gid: 654, additionalGids: [654] });
  });

  it("cannot climb out with .. in a symlink", async () => {
    // A host file beside the rootfs that a naive join would reach.
    rootfs("outside", { "etc/passwd": "evil:x:0:0::/:/bin/sh\n" });
    const root = rootfs("escaping", {}, { "etc/passwd": "../../../../../../../outside/etc/passwd" });
    expect(await resolveInRoot(root, "/etc/passwd")).toBe(path.join(root, "outside/etc/passwd"));
    await expect(resolveUser("evil", root)).rejects.toThrow("unable to find user evil");
  });

  it("treats a missing file or a directory as no file", async () => {
    const root = rootfs("dir-passwd", { "etc/passwd/x": "" });
    expect(await resolveUser("7:8", root)).toEqual({ uid: 7, gid: 8, additionalGids: [8] });
    expect(await resolveUser(undefined, rootfs("empty", {}))).toEqual({
      uid: 0,
      gid: 0,
      additionalGids: [0],
    });
  });

  it("stops on a symlink loop", async () => {
    const root = rootfs("loop", {}, { "etc/passwd": "/etc/a", "etc/a": "/etc/passwd" });
    await expect(resolveUser("root", root)).rejects.toThrow("too many symlinks");
  });
});
