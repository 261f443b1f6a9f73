import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  goJoin,
  isWindowsAbs,
  parseVolumeSpec,
  resolveRelativePaths,
  type VolumeSpec,
} from "../../../src/project/paths.js";
import type { Mapping, Node } from "../../../src/project/tree.js";

const BASE = "/work/proj";
const HOME = "/home/me";

function resolve(tree: Mapping, options: { defaultBuildContext?: boolean } = {}): Mapping {
  return resolveRelativePaths(tree, BASE, { homeDir: HOME, ...options });
}

/** Resolve one service attribute and return it. */
function serviceKey(key: string, value: Node): Node | undefined {
  const out = resolve({ services: { web: { [key]: value } } });
  return ((out.services as Mapping).web as Mapping)[key];
}

describe("paths: build", () => {
  it.each<[Node, Node]>([
    ["./app", "/work/proj/app"],
    [".", "/work/proj"],
    ["app/", "/work/proj/app"],
    ["../sibling", "/work/sibling"],
    ["~/src", "/home/me/src"],
    ["/abs/ctx", "/abs/ctx"],
    ["/abs//kept/", "/abs//kept/"],
    ["https://github.com/docker/x.git#main", "https://github.com/docker/x.git#main"],
    ["http://example.com/ctx.tar.gz", "http://example.com/ctx.tar.gz"],
    ["git@github.com:docker/x.git", "git@github.com:docker/x.git"],
    ["github.com/docker/x", "github.com/docker/x"],
    ["git://host/x", "git://host/x"],
    ["ssh://host/x", "ssh://host/x"],
    ["docker-image://alpine", "docker-image://alpine"],
    ["service:base", "service:base"],
  ])("build: %j → %j", (input, expected) => {
    expect(serviceKey("build", input)).toEqual(expected);
  });

  it("resolves context and additional contexts, keeps dockerfile relative", () => {
    expect(
      serviceKey("build", {
        context: "app",
        dockerfile: "docker/Dockerfile",
        additional_contexts: { lib: "../lib", img: "docker-image://alpine" },
      }),
    ).toEqual({
      context: "/work/proj/app",
      dockerfile: "docker/Dockerfile",
      additional_contexts: { lib: "/work/lib", img: "docker-image://alpine" },
    });
  });

  it("resolves the list form of additional_contexts", () => {
    expect(
      serviceKey("build", { context: ".", additional_contexts: ["lib=../lib", "x=https://h/x"] }),
    ).toEqual({ context: "/work/proj", additional_contexts: ["lib=/work/lib", "x=https://h/x"] });
  });

  it("gives a build without context the directory itself, unless told not to", () => {
    expect(serviceKey("build", { dockerfile: "Dockerfile.dev" })).toEqual({
      context: "/work/proj",
      dockerfile: "Dockerfile.dev",
    });
    const out = resolve({ services: { web: { build: { target: "dev" } } } }, { defaultBuildContext: false });
    expect(out).toEqual({ services: { web: { build: { target: "dev" } } } });
  });

  it("resolves ssh key paths, leaving `default` alone", () => {
    expect(serviceKey("build", { context: ".", ssh: ["default", "key=./id_rsa", "abs=/k"] })).toEqual({
      context: "/work/proj",
      ssh: ["default", "key=/work/proj/id_rsa", "abs=/k"],
    });
    expect(serviceKey("build", { context: ".", ssh: { default: null, key: "~/.ssh/id" } })).toEqual({
      context: "/work/proj",
      ssh: { default: null, key: "/home/me/.ssh/id" },
    });
  });
});

describe("paths: env_file, label_file, extends", () => {
  it.each<[Node, Node]>([
    [".env", "/work/proj/.env"],
    [
      ["a.env", "/abs/b.env", "~/c.env"],
      ["/work/proj/a.env", "/abs/b.env", "/home/me/c.env"],
    ],
    [
      [{ path: "./x.env", required: false }, "y.env"],
      [{ path: "/work/proj/x.env", required: false }, "/work/proj/y.env"],
    ],
  ])("env_file %j → %j", (input, expected) => {
    expect(serviceKey("env_file", input)).toEqual(expected);
  });

  it.each<[Node, Node]>([
    ["labels.txt", "/work/proj/labels.txt"],
    [
      ["a", "../b"],
      ["/work/proj/a", "/work/b"],
    ],
  ])("label_file %j → %j", (input, expected) => {
    expect(serviceKey("label_file", input)).toEqual(expected);
  });

  it.each<[Node, Node]>([
    [
      { file: "base.yaml", service: "x" },
      { file: "/work/proj/base.yaml", service: "x" },
    ],
    [
      { file: "../common/base.yaml", service: "x" },
      { file: "/work/common/base.yaml", service: "x" },
    ],
    [
      { file: "/abs/base.yaml", service: "x" },
      { file: "/abs/base.yaml", service: "x" },
    ],
    [{ service: "x" }, { service: "x" }],
    ["x", "x"],
    [
      { file: "oci://registry/repo:tag", service: "x" },
      { file: "oci://registry/repo:tag", service: "x" },
    ],
    [
      { file: "git@github.com:org/repo.git", service: "x" },
      { file: "git@github.com:org/repo.git", service: "x" },
    ],
  ])("extends %j → %j", (input, expected) => {
    expect(serviceKey("extends", input)).toEqual(expected);
  });
});

describe("paths: service volumes", () => {
  it.each<[Node, Node]>([
    ["./data:/data", "/work/proj/data:/data"],
    ["./data/:/data:ro", "/work/proj/data:/data:ro"],
    ["../x:/y", "/work/x:/y"],
    [".:/code", "/work/proj:/code"],
    ["./:/code", "/work/proj:/code"],
    ["~/x:/y", "/home/me/x:/y"],
    ["~:/home", "/home/me:/home"],
    ["./conf:/etc/conf:ro,z", "/work/proj/conf:/etc/conf:ro,z"],
    ["/abs/path:/data", "/abs/path:/data"],
    ["C:\\data:/data", "C:\\data:/data"],
    ["named:/var/lib/data", "named:/var/lib/data"],
    ["/anonymous", "/anonymous"],
    ["data", "data"],
    ["./a:/b:ro:rw", "./a:/b:ro:rw"], // invalid (too many colons): left for normalize to report
  ])("%j → %j", (input, expected) => {
    expect(serviceKey("volumes", [input])).toEqual([expected]);
  });

  it.each<[Node, Node]>([
    [
      { type: "bind", source: "./data", target: "/data" },
      { type: "bind", source: "/work/proj/data", target: "/data" },
    ],
    [
      { type: "bind", source: "~/data", target: "/data", bind: { create_host_path: false } },
      { type: "bind", source: "/home/me/data", target: "/data", bind: { create_host_path: false } },
    ],
    [
      { type: "volume", source: "./not-a-path", target: "/data" },
      { type: "volume", source: "./not-a-path", target: "/data" },
    ],
    [
      { type: "tmpfs", target: "/tmp" },
      { type: "tmpfs", target: "/tmp" },
    ],
  ])("long syntax %j → %j", (input, expected) => {
    expect(serviceKey("volumes", [input])).toEqual([expected]);
  });
});

describe("paths: top-level resources and include", () => {
  it("resolves secrets and configs files, keeping absolute Unix and Windows paths", () => {
    const out = resolve({
      secrets: {
        a: { file: "./secret.txt" },
        b: { file: "~/s" },
        c: { environment: "X" },
        d: { file: "D:\\s.txt" },
      },
      configs: { c: { file: "conf/app.ini" }, e: { external: true } },
    });
    expect(out).toEqual({
      secrets: {
        a: { file: "/work/proj/secret.txt" },
        b: { file: "/home/me/s" },
        c: { environment: "X" },
        d: { file: "D:\\s.txt" },
      },
      configs: { c: { file: "/work/proj/conf/app.ini" }, e: { external: true } },
    });
  });

  it("resolves the device of a local bind volume, and nothing else in volumes", () => {
    const out = resolve({
      volumes: {
        bound: { driver: "local", driver_opts: { type: "none", o: "bind", device: "./data" } },
        nfs: { driver: "local", driver_opts: { type: "nfs", o: "addr=1.2.3.4", device: ":/export" } },
        other: { driver: "custom", driver_opts: { o: "bind", device: "./x" } },
        plain: null,
      },
    });
    expect(out.volumes).toEqual({
      bound: { driver: "local", driver_opts: { type: "none", o: "bind", device: "/work/proj/data" } },
      nfs: { driver: "local", driver_opts: { type: "nfs", o: "addr=1.2.3.4", device: ":/export" } },
      other: { driver: "custom", driver_opts: { o: "bind", device: "./x" } },
      plain: null,
    });
  });

  it("resolves include entries in short and long form", () => {
    const out = resolve({
      include: [
        "sub/compose.yaml",
        { path: ["a.yaml", "/abs/b.yaml"], env_file: ".env.sub", project_directory: "../other" },
        { path: "c.yaml", env_file: ["x.env", "~/y.env"] },
      ],
    });
    expect(out.include).toEqual([
      "/work/proj/sub/compose.yaml",
      {
        path: ["/work/proj/a.yaml", "/abs/b.yaml"],
        env_file: "/work/proj/.env.sub",
        project_directory: "/work/other",
      },
      { path: "/work/proj/c.yaml", env_file: ["/work/proj/x.env", "/home/me/y.env"] },
    ]);
  });

  it("leaves values that are not paths alone", () => {
    const tree: Mapping = {
      name: "./not-a-path",
      services: {
        web: {
          image: "./image",
          working_dir: "./wd",
          command: ["./run.sh"],
          volumes_from: ["./x"],
          "x-path": "./x",
        },
      },
      "x-files": { file: "./x" },
    };
    expect(resolve(tree)).toEqual(tree);
  });

  it("does not modify its input", () => {
    const tree: Mapping = { services: { web: { build: "./app", volumes: ["./d:/d"] } } };
    const copy = structuredClone(tree);
    resolve(tree);
    expect(tree).toEqual(copy);
  });
});

describe("paths: develop.watch", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "berth-paths-"));
  mkdirSync(path.join(dir, "real", "src"), { recursive: true });
  symlinkSync(path.join(dir, "real"), path.join(dir, "link"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("makes watch paths absolute and follows a symbolic link in them", () => {
    const out = resolveRelativePaths(
      {
        services: {
          web: {
            develop: {
              watch: [
                { path: "./src", action: "sync", target: "/app" },
                { path: "link/src", action: "rebuild" },
                { path: ["a", "b"], action: "rebuild" },
              ],
            },
          },
        },
      },
      dir,
    );
    const watch = (((out.services as Mapping).web as Mapping).develop as Mapping).watch;
    expect(watch).toEqual([
      { path: path.join(dir, "src"), action: "sync", target: "/app" },
      { path: path.join(dir, "real", "src"), action: "rebuild" },
      { path: [path.join(dir, "a"), path.join(dir, "b")], action: "rebuild" },
    ]);
  });
});

describe("paths: helpers", () => {
  it.each<[string[], string]>([
    [["/a", "b"], "/a/b"],
    [["/a", "b/"], "/a/b"],
    [["/a", "./b/../c"], "/a/c"],
    [["/a", ""], "/a"],
    [["/a", "../.."], "/"],
    [["/a//", "b//c"], "/a/b/c"],
  ])("goJoin %j → %j", (parts, expected) => {
    expect(goJoin(...parts)).toBe(expected);
  });

  it.each<[string, boolean]>([
    ["C:\\x", true],
    ["c:/x", true],
    ["C:x", false],
    ["\\\\host\\share\\x", true],
    ["NUL", true],
    ["/x", false],
    ["x", false],
  ])("isWindowsAbs %j → %j", (p, expected) => {
    expect(isWindowsAbs(p)).toBe(expected);
  });

  it.each<[string, VolumeSpec]>([
    [
      "./data:/data:ro",
      { type: "bind", source: "./data", target: "/data", read_only: true, bind: { create_host_path: true } },
    ],
    ["data:/var/lib", { type: "volume", source: "data", target: "/var/lib", read_only: false, volume: {} }],
    ["/data", { type: "volume", target: "/data", read_only: false, volume: {} }],
    ["/a", { type: "volume", target: "/a", read_only: false }],
    [
      "data:/x:nocopy",
      { type: "volume", source: "data", target: "/x", read_only: false, volume: { nocopy: true } },
    ],
    [
      "/h:/c:rw,Z,rshared",
      {
        type: "bind",
        source: "/h",
        target: "/c",
        read_only: false,
        bind: { selinux: "Z", propagation: "rshared", create_host_path: true },
      },
    ],
    [
      "C:\\data:/data",
      {
        type: "bind",
        source: "C:\\data",
        target: "/data",
        read_only: false,
        bind: { create_host_path: true },
      },
    ],
    ["${VOL:-a:b}:/x", { type: "volume", source: "${VOL:-a:b}", target: "/x", read_only: false, volume: {} }],
  ])("parseVolumeSpec %j", (spec, expected) => {
    expect(parseVolumeSpec(spec)).toEqual(expected);
  });

  it("reads a single letter before a colon as a Windows drive, as Compose does", () => {
    expect(parseVolumeSpec("a:b")).toEqual({ type: "volume", target: "a:b", read_only: false, volume: {} });
    expect(parseVolumeSpec("./a:/b:c:d").target).toBe("/b");
  });

  it.each<[string, string]>([
    ["", "invalid empty volume spec"],
    ["/x::/y", "invalid spec: /x::/y: empty section between colons"],
    ["/a:/b:ro:x", "invalid spec: /a:/b:ro:x: too many colons"],
  ])("parseVolumeSpec %j fails", (spec, message) => {
    expect(() => parseVolumeSpec(spec)).toThrow(message);
  });
});
