import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LoadError } from "../../../src/errors.js";
import type { Project, Service } from "../../../src/project/model.js";
import {
  canonicalize,
  compareYamlKeys,
  formatDuration,
  normalize,
  parseBytes,
  parseDuration,
  parsePortSpec,
  renderProject,
  shellSplit,
  type NormalizeContext,
} from "../../../src/project/normalize.js";
import { parseYaml } from "../../../src/project/parse.js";
import { resolveRelativePaths } from "../../../src/project/paths.js";
import type { Mapping, Node } from "../../../src/project/tree.js";

const WD = "/work/proj";

async function load(yaml: string, ctx: Partial<NormalizeContext> = {}): Promise<Project> {
  const [doc] = parseYaml(yaml, "compose.yaml");
  if (!doc) throw new Error("no document");
  const workingDir = ctx.workingDir ?? WD;
  return normalize(resolveRelativePaths(doc.tree, workingDir, { homeDir: "/home/me" }), {
    projectName: "demo",
    workingDir,
    sources: doc.sources,
    lookup: () => undefined,
    ...ctx,
  });
}

/** The rendered (`docker compose config`) form of the whole project. */
async function rendered(yaml: string, ctx: Partial<NormalizeContext> = {}): Promise<Mapping> {
  return renderProject(await load(yaml, ctx));
}

/** The rendered form of one attribute of service `web`, given its YAML value. */
async function attr(
  key: string,
  yamlValue: string,
  ctx: Partial<NormalizeContext> = {},
): Promise<Node | undefined> {
  const doc = await rendered(`services:\n  web:\n    image: x\n    ${key}: ${yamlValue}\n`, ctx);
  return ((doc.services as Mapping).web as Mapping)[key];
}

async function loadError(yaml: string, ctx: Partial<NormalizeContext> = {}): Promise<LoadError> {
  try {
    await load(yaml, ctx);
  } catch (error) {
    expect(error).toBeInstanceOf(LoadError);
    return error as LoadError;
  }
  throw new Error("expected a LoadError");
}

describe("normalize: ports", () => {
  it.each<[string, Node]>([
    ['"8080:80"', [{ mode: "ingress", target: 80, published: "8080", protocol: "tcp" }]],
    ["9000", [{ mode: "ingress", target: 9000, protocol: "tcp" }]],
    ['"9000"', [{ mode: "ingress", target: 9000, protocol: "tcp" }]],
    ['"53:53/udp"', [{ mode: "ingress", target: 53, published: "53", protocol: "udp" }]],
    ['"80/SCTP"', [{ mode: "ingress", target: 80, protocol: "sctp" }]],
    [
      '"127.0.0.1:8001:8001"',
      [{ mode: "ingress", host_ip: "127.0.0.1", target: 8001, published: "8001", protocol: "tcp" }],
    ],
    ['"127.0.0.1::80"', [{ mode: "ingress", host_ip: "127.0.0.1", target: 80, protocol: "tcp" }]],
    [
      '"[::1]:8080:80"',
      [{ mode: "ingress", host_ip: "::1", target: 80, published: "8080", protocol: "tcp" }],
    ],
    ['"::1:8080:80"', [{ mode: "ingress", host_ip: "::1", target: 80, published: "8080", protocol: "tcp" }]],
    [
      '"9090-9091:8080-8081"',
      [
        { mode: "ingress", target: 8080, published: "9090", protocol: "tcp" },
        { mode: "ingress", target: 8081, published: "9091", protocol: "tcp" },
      ],
    ],
    ['"8000-8010:80"', [{ mode: "ingress", target: 80, published: "8000-8010", protocol: "tcp" }]],
    [
      '"3000-3002"',
      [
        { mode: "ingress", target: 3000, protocol: "tcp" },
        { mode: "ingress", target: 3001, protocol: "tcp" },
        { mode: "ingress", target: 3002, protocol: "tcp" },
      ],
    ],
    [
      // Compose sorts the expanded ports as "port/proto" strings
      '"8-10:8-10"',
      [
        { mode: "ingress", target: 10, published: "10", protocol: "tcp" },
        { mode: "ingress", target: 8, published: "8", protocol: "tcp" },
        { mode: "ingress", target: 9, published: "9", protocol: "tcp" },
      ],
    ],
    ["{target: 80, published: 8080}", [{ mode: "ingress", target: 80, published: "8080", protocol: "tcp" }]],
    [
      '{target: "80", published: "8000-8001", protocol: udp, mode: host, host_ip: 0.0.0.0, name: web, app_protocol: http}',
      [
        {
          name: "web",
          mode: "host",
          host_ip: "0.0.0.0",
          target: 80,
          published: "8000-8001",
          protocol: "udp",
          app_protocol: "http",
        },
      ],
    ],
  ])("ports: [%s]", async (value, expected) => {
    expect(await attr("ports", `[${value}]`)).toEqual(expected);
  });

  it("removes duplicates revealed by expansion, the later one winning in place", async () => {
    expect(
      await attr("ports", '["8080-8081:80-81", {target: 80, published: "8080", name: again}, 90]'),
    ).toEqual([
      { name: "again", mode: "ingress", target: 80, published: "8080", protocol: "tcp" },
      { mode: "ingress", target: 81, published: "8081", protocol: "tcp" },
      { mode: "ingress", target: 90, protocol: "tcp" },
    ]);
  });

  it.each<[string, string]>([
    ["abc", 'invalid port "abc": invalid containerPort: abc'],
    ["70000", 'invalid port "70000": invalid containerPort: 70000'],
    ["8080:x", 'invalid port "8080:x": invalid containerPort: x'],
    ["x:80", 'invalid port "x:80": invalid hostPort: x'],
    ["80/foo", 'invalid port "80/foo": invalid proto: foo'],
    ["1.2.3:80:80", 'invalid port "1.2.3:80:80": invalid IP address: 1.2.3'],
    [
      "8080-8082:80-81",
      'invalid port "8080-8082:80-81": invalid ranges specified for container and host Ports: 80-81 and 8080-8082',
    ],
    ["8081-8080:80", 'invalid port "8081-8080:80": invalid hostPort: 8081-8080'],
  ])("rejects %j", async (spec, message) => {
    const error = await loadError(`services:\n  web:\n    image: x\n    ports:\n      - "${spec}"\n`);
    expect(error.message).toBe(message);
    expect(error.path).toBe("services.web.ports[0]");
    expect(error.location).toEqual({ file: "compose.yaml", line: 5, col: 9 });
  });

  it("exposes ports as strings", async () => {
    expect(await attr("expose", '[3000, "8000-8010", "9000/udp", 3000]')).toEqual([
      "3000",
      "8000-8010",
      "9000/udp",
    ]);
  });
});

describe("normalize: volumes", () => {
  it.each<[string, Node]>([
    [
      "./data:/data:ro",
      {
        type: "bind",
        source: "/work/proj/data",
        target: "/data",
        read_only: true,
        bind: { create_host_path: true },
      },
    ],
    ["../x:/y", { type: "bind", source: "/work/x", target: "/y", bind: { create_host_path: true } }],
    ["~/x:/y", { type: "bind", source: "/home/me/x", target: "/y", bind: { create_host_path: true } }],
    [
      "/opt/data:/data/",
      { type: "bind", source: "/opt/data", target: "/data", bind: { create_host_path: true } },
    ],
    ["data:/var/lib", { type: "volume", source: "data", target: "/var/lib", volume: {} }],
    ["/anon", { type: "volume", target: "/anon", volume: {} }],
    ["/a", { type: "volume", target: "/a" }],
    ["data:/x:nocopy", { type: "volume", source: "data", target: "/x", volume: { nocopy: true } }],
    ["data:/x:rw", { type: "volume", source: "data", target: "/x", volume: {} }],
    [
      "./src:/src:z",
      {
        type: "bind",
        source: "/work/proj/src",
        target: "/src",
        bind: { selinux: "z", create_host_path: true },
      },
    ],
    [
      "./src:/src:ro,Z,rslave",
      {
        type: "bind",
        source: "/work/proj/src",
        target: "/src",
        read_only: true,
        bind: { selinux: "Z", propagation: "rslave", create_host_path: true },
      },
    ],
  ])("short %j", async (spec, expected) => {
    const doc = await rendered(
      `services:\n  web:\n    image: x\n    volumes: ["${spec}"]\nvolumes:\n  data: {}\n`,
    );
    expect(((doc.services as Mapping).web as Mapping).volumes).toEqual([expected]);
  });

  it.each<[string, Node]>([
    ["{type: bind, source: ./d, target: /d}", { type: "bind", source: "/work/proj/d", target: "/d" }],
    [
      "{type: bind, source: ./d, target: /d, bind: {propagation: rshared}}",
      {
        type: "bind",
        source: "/work/proj/d",
        target: "/d",
        bind: { propagation: "rshared", create_host_path: true },
      },
    ],
    [
      "{type: bind, source: ./d, target: /d, bind: {create_host_path: false}}",
      { type: "bind", source: "/work/proj/d", target: "/d", bind: { create_host_path: false } },
    ],
    [
      "{type: volume, source: data, target: /d, read_only: true, volume: {nocopy: true, subpath: sub}}",
      {
        type: "volume",
        source: "data",
        target: "/d",
        read_only: true,
        volume: { nocopy: true, subpath: "sub" },
      },
    ],
    [
      "{type: tmpfs, target: /tmp, tmpfs: {size: 10m, mode: 1777}}",
      { type: "tmpfs", target: "/tmp", tmpfs: { size: "10485760", mode: 1777 } },
    ],
    [
      "{type: tmpfs, target: /tmp, tmpfs: {size: 10000}}",
      { type: "tmpfs", target: "/tmp", tmpfs: { size: "10000" } },
    ],
  ])("long %s", async (value, expected) => {
    expect(await attr("volumes", `[${value}]`)).toEqual([expected]);
  });

  it("keeps the last mount of a target, in place", async () => {
    expect(
      await attr("volumes", '["./a:/data", "/b:/other", {type: bind, source: ./c, target: /data}]'),
    ).toEqual([
      { type: "bind", source: "/work/proj/c", target: "/data" },
      { type: "bind", source: "/b", target: "/other", bind: { create_host_path: true } },
    ]);
  });

  it("rejects a bad short spec and a bind without source", async () => {
    let error = await loadError('services:\n  web:\n    image: x\n    volumes: ["/x::/y"]\n');
    expect(error.message).toBe("invalid spec: /x::/y: empty section between colons");
    expect(error.path).toBe("services.web.volumes[0]");
    error = await loadError("services:\n  web:\n    image: x\n    volumes: [{type: bind, target: /y}]\n");
    expect(error.message).toBe('invalid mount config for type "bind": field Source must not be empty');
  });

  it("splits tmpfs into a list", async () => {
    expect(await attr("tmpfs", "/run")).toEqual(["/run"]);
    expect(await attr("tmpfs", "[/run, /tmp]")).toEqual(["/run", "/tmp"]);
  });
});

describe("normalize: environment, env_file, labels", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "berth-normalize-"));
  writeFileSync(
    path.join(dir, "a.env"),
    "FROM_FILE=file\nSHARED=from-file\nUNSET_HERE=file\nREF=${FROM_FILE}-${SHELL_VAR}\n",
  );
  writeFileSync(path.join(dir, "b.env"), "SHARED=from-b\n");
  writeFileSync(path.join(dir, "labels.txt"), "com.example.a=1\ncom.example.b=from-file\n");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const lookup = (name: string): string | undefined =>
    ({ SHELL_VAR: "shell", HOME: "/home/me", EMPTY: "" })[name];

  it.each<[string, Node]>([
    ["[A=1, B=, C]", { A: "1", B: "", C: null }],
    ["[HOME, SHELL_VAR, EMPTY, MISSING]", { EMPTY: "", HOME: "/home/me", MISSING: null, SHELL_VAR: "shell" }],
    [
      "{A: 1, B: true, C: null, D: '', E: 1.5, HOME: null}",
      { A: "1", B: "true", C: null, D: "", E: "1.5", HOME: "/home/me" },
    ],
    ["[A=1, A=2]", { A: "2" }],
    ["[X=a=b]", { X: "a=b" }],
  ])("environment %s", async (value, expected) => {
    expect(await attr("environment", value, { lookup })).toEqual(expected);
  });

  it("reads env files under environment, and drops env_file as docker compose config does", async () => {
    const doc = await rendered(
      `services:\n  web:\n    image: x\n    env_file: [a.env, b.env, {path: missing.env, required: false}]\n` +
        `    environment:\n      SHARED: from-environment\n      UNSET_HERE:\n      OWN: own\n`,
      { workingDir: dir, lookup },
    );
    const web = (doc.services as Mapping).web as Mapping;
    expect(web.environment).toEqual({
      FROM_FILE: "file",
      OWN: "own",
      REF: "file-shell",
      SHARED: "from-environment",
      UNSET_HERE: null,
    });
    expect(web.env_file).toBeUndefined();
  });

  it("keeps env_file (long form) when asked", async () => {
    const project = await load(`services:\n  web:\n    image: x\n    env_file: a.env\n`, {
      workingDir: dir,
      keepEnvFiles: true,
    });
    expect(project.services.web?.env_file).toEqual([{ path: path.join(dir, "a.env"), required: true }]);
    expect(renderProject(project)).toMatchObject({
      services: { web: { env_file: [path.join(dir, "a.env")] } },
    });
  });

  it("fails on a missing required env file, at its entry", async () => {
    const error = await loadError(`services:\n  web:\n    image: x\n    env_file:\n      - nope.env\n`, {
      workingDir: dir,
    });
    expect(error.message).toBe(`env file ${path.join(dir, "nope.env")} not found`);
    expect(error.path).toBe("services.web.env_file[0]");
    expect(error.location?.line).toBe(5);
  });

  it("reads label files under labels", async () => {
    const doc = await rendered(
      `services:\n  web:\n    image: x\n    label_file: labels.txt\n    labels: [com.example.b=own, com.example.c]\n`,
      { workingDir: dir },
    );
    const web = (doc.services as Mapping).web as Mapping;
    expect(web.labels).toEqual({ "com.example.a": "1", "com.example.b": "own", "com.example.c": "" });
    expect(web.label_file).toBeUndefined();
  });

  it.each<[string, string, Node]>([
    ["labels", "[a=1, b, c=x=y]", { a: "1", b: "", c: "x=y" }],
    ["labels", "{a: 1, b: null, c: true}", { a: "1", b: "", c: "true" }],
    ["annotations", "[com.example.foo=bar]", { "com.example.foo": "bar" }],
    [
      "sysctls",
      "[net.core.somaxconn=1024, net.ipv4.tcp_syncookies=0]",
      { "net.core.somaxconn": "1024", "net.ipv4.tcp_syncookies": "0" },
    ],
    ["sysctls", "{net.core.somaxconn: 1024}", { "net.core.somaxconn": "1024" }],
    ["storage_opt", "{size: 20G}", { size: "20G" }],
  ])("%s %s", async (key, value, expected) => {
    expect(await attr(key, value)).toEqual(expected);
  });
});

describe("normalize: commands and healthcheck", () => {
  it.each<[string, string[]]>([
    ["echo hello", ["echo", "hello"]],
    ["  echo   hello  ", ["echo", "hello"]],
    [`sh -c "echo a b"`, ["sh", "-c", "echo a b"]],
    [`sh -c 'echo "$$HOME"'`, ["sh", "-c", 'echo "$$HOME"']],
    [`echo a\\ b`, ["echo", "a b"]],
    [`echo "a\\"b"`, ["echo", 'a"b']],
    [`echo 'a\\b'`, ["echo", "a\\b"]],
    [`echo "" ''`, ["echo", "", ""]],
    [`echo a"b c"d`, ["echo", "ab cd"]],
    [`echo $(date) \`id\``, ["echo", "$(date)", "`id`"]],
    ["echo a; echo b", ["echo", "a"]],
    ["echo a && echo b", ["echo", "a"]],
    ["run 2>&1", ["run"]],
    ["cat < file", ["cat"]],
    ["", []],
  ])("shellSplit %j", (line, expected) => {
    expect(shellSplit(line)).toEqual(expected);
  });

  it.each(["echo 'a", 'echo "a', "echo a\\", "echo $(a", "echo (a)"])("shellSplit rejects %j", (line) => {
    expect(() => shellSplit(line)).toThrow("invalid command line string");
  });

  it("splits command and entrypoint strings, keeps lists and empty lists", async () => {
    expect(await attr("command", '"bundle exec thin -p 3000"')).toEqual([
      "bundle",
      "exec",
      "thin",
      "-p",
      "3000",
    ]);
    expect(await attr("command", '[bundle, exec, "3000"]')).toEqual(["bundle", "exec", "3000"]);
    expect(await attr("entrypoint", "/code/entrypoint.sh -p 3000")).toEqual([
      "/code/entrypoint.sh",
      "-p",
      "3000",
    ]);
    expect(await attr("entrypoint", "[]")).toEqual([]);
    expect(await attr("command", '""')).toEqual([]);
  });

  it("reports an unterminated quote at the command", async () => {
    const error = await loadError(`services:\n  web:\n    image: x\n    command: "echo 'oops"\n`);
    expect(error.path).toBe("services.web.command");
    expect(error.message).toBe(`invalid command line string: "echo 'oops"`);
    expect(error.location).toEqual({ file: "compose.yaml", line: 4, col: 14 });
  });

  it("normalizes a healthcheck", async () => {
    expect(
      await attr(
        "healthcheck",
        '{test: "curl -f http://localhost", interval: 1m30s, timeout: 10s, retries: 3, start_period: 1.5h, start_interval: 500ms}',
      ),
    ).toEqual({
      test: ["CMD-SHELL", "curl -f http://localhost"],
      timeout: "10s",
      interval: "1m30s",
      retries: 3,
      start_period: "1h30m0s",
      start_interval: "500ms",
    });
    expect(await attr("healthcheck", "{test: [CMD, true], interval: 0s, retries: 0}")).toEqual({
      test: ["CMD", "true"],
      interval: "0s",
      retries: 0,
    });
    expect(await attr("healthcheck", "{disable: true}")).toEqual({ disable: true });
  });

  it.each<[string, string, string]>([
    ["interval", "1x", 'invalid duration "1x": unknown unit "x"'],
    ["interval", "10", 'invalid duration "10": missing unit'],
    ["timeout", "abc", 'invalid duration "abc"'],
    ["start_period", ".s", 'invalid duration ".s"'],
  ])("rejects healthcheck.%s: %s", async (key, value, message) => {
    const error = await loadError(
      `services:\n  web:\n    image: x\n    healthcheck:\n      ${key}: ${value}\n`,
    );
    expect(error.message).toBe(message);
    expect(error.path).toBe(`services.web.healthcheck.${key}`);
    expect(error.location).toEqual({ file: "compose.yaml", line: 5, col: 9 + key.length });
    expect(error.describe()).toBe(
      `compose.yaml:5:${9 + key.length}: services.web.healthcheck.${key}: ${message}`,
    );
  });

  it("prints stop_grace_period as a Go duration", async () => {
    expect(await attr("stop_grace_period", "90s")).toBe("1m30s");
    expect(await attr("stop_grace_period", "1d")).toBe("24h0m0s");
  });
});

describe("normalize: durations, sizes, keys", () => {
  it.each<[string, number]>([
    ["0", 0],
    ["-0", 0],
    ["1ns", 1],
    ["10us", 10_000],
    ["10µs", 10_000],
    ["300ms", 300_000_000],
    ["1.5s", 1_500_000_000],
    ["1m30s", 90_000_000_000],
    ["1.5h", 5_400_000_000_000],
    ["2h45m", 9_900_000_000_000],
    [".5m", 30_000_000_000],
    ["1.s", 1_000_000_000],
    ["-1s", -1_000_000_000],
    ["+1s", 1_000_000_000],
    ["1d", 86_400_000_000_000],
    ["1w", 604_800_000_000_000],
    ["1h1m1s1ms1us1ns", 3_661_001_001_001],
  ])("parseDuration %j", (text, ns) => {
    expect(parseDuration(text)).toBe(ns);
  });

  it.each(["", "1", "s", "1x", "1.5.5s", "--1s", "1 s", " 1s", "9223372036854775808ns"])(
    "parseDuration rejects %j",
    (text) => {
      expect(() => parseDuration(text)).toThrow(/^invalid duration/);
    },
  );

  it.each<[number, string]>([
    [0, "0s"],
    [1, "1ns"],
    [1_500, "1.5µs"],
    [1_000_000, "1ms"],
    [1_500_000, "1.5ms"],
    [1_000_000_000, "1s"],
    [1_500_000_000, "1.5s"],
    [10_000_000_000, "10s"],
    [60_000_000_000, "1m0s"],
    [90_000_000_000, "1m30s"],
    [3_600_000_000_000, "1h0m0s"],
    [5_400_000_000_000, "1h30m0s"],
    [86_400_000_000_000, "24h0m0s"],
    [3_661_001_000_000, "1h1m1.001s"],
    [-90_000_000_000, "-1m30s"],
  ])("formatDuration %j", (ns, text) => {
    expect(formatDuration(ns)).toBe(text);
  });

  it.each<[string, number]>([
    ["512m", 536_870_912],
    ["512M", 536_870_912],
    ["512mb", 536_870_912],
    ["512MiB", 536_870_912],
    ["1g", 1_073_741_824],
    ["1.5g", 1_610_612_736],
    ["10k", 10_240],
    ["100", 100],
    ["100b", 100],
    ["1 GB", 1_073_741_824],
    ["1t", 1_099_511_627_776],
    ["0.5k", 512],
  ])("parseBytes %j", (text, n) => {
    expect(parseBytes(text)).toBe(n);
  });

  it.each(["", "abc", "12q", "1kk", "1gbb", "1mi", "1bb", "-1m", "m"])("parseBytes rejects %j", (text) => {
    expect(() => parseBytes(text)).toThrow(/^invalid size/);
  });

  it("prints byte sizes as decimal strings", async () => {
    expect(await attr("mem_limit", "512m")).toBe("536870912");
    expect(await attr("mem_limit", "1073741824")).toBe("1073741824");
    expect(await attr("shm_size", "64M")).toBe("67108864");
    expect(await attr("memswap_limit", "-1")).toBe("-1");
    expect(await attr("mem_reservation", "0")).toBeUndefined();
    expect(await attr("deploy", "{resources: {limits: {memory: 50M, cpus: '0.5', pids: 10}}}")).toEqual({
      resources: { limits: { cpus: 0.5, memory: "52428800", pids: 10 } },
    });
  });

  it("rejects a bad size at its location", async () => {
    const error = await loadError(`services:\n  web:\n    image: x\n    mem_limit: 12q\n`);
    expect(error.message).toBe(`invalid size "12q": invalid suffix 'q'`);
    expect(error.path).toBe("services.web.mem_limit");
    expect(error.location).toEqual({ file: "compose.yaml", line: 4, col: 16 });
  });

  it("reads cpus as a number", async () => {
    expect(await attr("cpus", "1.5")).toBe(1.5);
    expect(await attr("cpus", '"0.25"')).toBe(0.25);
  });

  it("orders keys as go-yaml does", () => {
    const keys = ["b", "a10", "a2", "A", "1", "10", "2", "_x", "a", "x-1", "a.b", "a_b"];
    expect([...keys].sort(compareYamlKeys)).toEqual([
      "_x",
      "1",
      "2",
      "10",
      "A",
      "a",
      "a.b",
      "a_b",
      "a2",
      "a10",
      "b",
      "x-1",
    ]);
  });

  it("sorts a port range's entries by their port/proto strings", () => {
    expect(parsePortSpec("9998-10001").map((p) => p.target)).toEqual([10000, 10001, 9998, 9999]);
  });
});

describe("normalize: long forms of service attributes", () => {
  it("turns a build string into context and default dockerfile", async () => {
    expect(await attr("build", "./app")).toEqual({ context: "/work/proj/app", dockerfile: "Dockerfile" });
    expect(await attr("build", "{dockerfile_inline: FROM alpine}")).toEqual({
      context: "/work/proj",
      dockerfile_inline: "FROM alpine",
    });
    expect(await attr("build", "{context: https://github.com/a/b.git, dockerfile: x.Dockerfile}")).toEqual({
      context: "https://github.com/a/b.git",
      dockerfile: "x.Dockerfile",
    });
  });

  it("resolves build args without a value, dropping the unset ones", async () => {
    const lookup = (n: string): string | undefined => (n === "SET" ? "v" : undefined);
    expect(await attr("build", "{context: ., args: [SET, UNSET, A=1]}", { lookup })).toEqual({
      context: "/work/proj",
      dockerfile: "Dockerfile",
      args: { A: "1", SET: "v" },
    });
    expect(await attr("build", "{context: ., args: {SET: null, UNSET: null, N: 1}}", { lookup })).toEqual({
      context: "/work/proj",
      dockerfile: "Dockerfile",
      args: { N: "1", SET: "v" },
    });
  });

  it("normalizes build ssh, secrets and additional contexts", async () => {
    expect(
      await attr("build", "{context: ., ssh: [default, key=/k], secrets: [s], additional_contexts: [a=./x]}"),
    ).toEqual({
      context: "/work/proj",
      dockerfile: "Dockerfile",
      ssh: ["default", "key: /k"],
      additional_contexts: { a: "/work/proj/x" },
      secrets: [{ source: "s" }],
    });
  });

  it.each<[string, Node]>([
    [
      "[db, cache]",
      {
        cache: { condition: "service_started", required: true },
        db: { condition: "service_started", required: true },
      },
    ],
    [
      "{db: {condition: service_healthy}, cache: {condition: service_started, required: false, restart: true}}",
      {
        cache: { condition: "service_started", restart: true, required: false },
        db: { condition: "service_healthy", required: true },
      },
    ],
  ])("depends_on %s", async (value, expected) => {
    expect(await attr("depends_on", value)).toEqual(expected);
  });

  it("adds the dependencies implied by links, service namespaces and volumes_from", async () => {
    const doc = await rendered(
      "services:\n  web:\n    image: x\n    links: [db, 'cache:c']\n    ipc: service:shm\n" +
        "    volumes_from: [data, 'container:abc', 'other:ro']\n    depends_on: [db]\n" +
        "  db: {image: x}\n  cache: {image: x}\n  shm: {image: x}\n  data: {image: x}\n  other: {image: x}\n",
    );
    expect(((doc.services as Mapping).web as Mapping).depends_on).toEqual({
      cache: { condition: "service_started", restart: true, required: true },
      data: { condition: "service_started", required: true },
      db: { condition: "service_started", required: true },
      other: { condition: "service_started", required: true },
      shm: { condition: "service_started", restart: true, required: true },
    });
  });

  it.each<[string, Node]>([
    [
      '["somehost=162.242.195.82", "otherhost:50.31.209.229", "v6=::1", "multi=1.1.1.1,2.2.2.2"]',
      ["multi=1.1.1.1", "multi=2.2.2.2", "otherhost=50.31.209.229", "somehost=162.242.195.82", "v6=::1"],
    ],
    [
      '{somehost: 162.242.195.82, v6: "[::1]", many: [1.1.1.1, 2.2.2.2]}',
      ["many=1.1.1.1", "many=2.2.2.2", "somehost=162.242.195.82", "v6=::1"],
    ],
  ])("extra_hosts %s", async (value, expected) => {
    expect(await attr("extra_hosts", value)).toEqual(expected);
  });

  it("rejects an extra host without an address", async () => {
    const error = await loadError('services:\n  web:\n    image: x\n    extra_hosts: ["nohost"]\n');
    expect(error.message).toBe("invalid additional host, missing IP: nohost");
  });

  it.each<[string, Node]>([
    [
      "{nproc: 65535, nofile: {soft: 20000, hard: 40000}}",
      { nofile: { soft: 20000, hard: 40000 }, nproc: 65535 },
    ],
    ["{nofile: {soft: 1024}}", { nofile: { soft: 1024, hard: 0 } }],
  ])("ulimits %s", async (value, expected) => {
    expect(await attr("ulimits", value)).toEqual(expected);
  });

  it.each<[string, string, Node]>([
    [
      "secrets",
      "[s1, {source: s2, target: /x, uid: 103, gid: '103', mode: 0440}]",
      [
        { source: "s1", target: "/run/secrets/s1" },
        { source: "s2", target: "/x", uid: "103", gid: "103", mode: "0440" },
      ],
    ],
    ["secrets", '[{source: s3, mode: "0440"}]', [{ source: "s3", target: "/run/secrets/s3", mode: "0440" }]],
    ["secrets", "[{source: s4, mode: 288}]", [{ source: "s4", target: "/run/secrets/s4", mode: "0440" }]],
    [
      "configs",
      "[c1, {source: c2, target: /etc/c2, mode: '0755'}]",
      [{ source: "c1" }, { source: "c2", target: "/etc/c2", mode: "0755" }],
    ],
  ])("%s %s", async (key, value, expected) => {
    // `mode: 0440` unquoted is octal, as go-yaml reads it (parse.ts follows Go's integer prefixes).
    const doc = await rendered(
      `services:\n  web:\n    image: x\n    ${key}: ${value}\nsecrets: {s1: {file: ./a}, s2: {file: ./a}, s3: {file: ./a}, s4: {file: ./a}}\n` +
        "configs: {c1: {file: ./c}, c2: {file: ./c}}\n",
    );
    expect(((doc.services as Mapping).web as Mapping)[key]).toEqual(expected);
  });

  it.each<[string, string, Node | undefined]>([
    [
      "devices",
      '["/dev/ttyUSB0", "/dev/sda:/dev/xvda", "/dev/sdb:/dev/xvdb:r"]',
      [
        { source: "/dev/ttyUSB0", target: "/dev/ttyUSB0", permissions: "rwm" },
        { source: "/dev/sda", target: "/dev/xvda", permissions: "rwm" },
        { source: "/dev/sdb", target: "/dev/xvdb", permissions: "r" },
      ],
    ],
    ["gpus", "all", [{ count: -1 }]],
    [
      "gpus",
      "[{driver: nvidia, capabilities: [gpu]}, {device_ids: ['0']}, {count: 2}]",
      [{ capabilities: ["gpu"], driver: "nvidia", count: -1 }, { device_ids: ["0"] }, { count: 2 }],
    ],
    ["dns", "8.8.8.8", ["8.8.8.8"]],
    ["dns", '[8.8.8.8, "", 9.9.9.9]', ["8.8.8.8", "9.9.9.9"]],
    ["dns_search", "example.com", ["example.com"]],
    ["group_add", "[1000, mail]", ["1000", "mail"]],
    ["restart", '"no"', "no"],
    ["pull_policy", "if_not_present", "missing"],
    ["pull_policy", "always", "always"],
    ["privileged", "false", undefined],
    ["privileged", "true", true],
    ["init", "false", false],
    ["user", "1000", "1000"],
    ["extends", "base", { service: "base" }],
    [
      "logging",
      "{driver: syslog, options: {syslog-address: 'tcp://1.2.3.4:123', max: 3}}",
      {
        driver: "syslog",
        options: { max: "3", "syslog-address": "tcp://1.2.3.4:123" },
      },
    ],
  ])("%s: %s", async (key, value, expected) => {
    expect(await attr(key, value)).toEqual(expected);
  });

  it("copies scale to deploy.replicas and rejects a different one", async () => {
    expect(await attr("deploy", "{mode: replicated, resources: {limits: {cpus: 1}}}\n    scale: 3")).toEqual({
      mode: "replicated",
      replicas: 3,
      resources: { limits: { cpus: 1 } },
    });
    const error = await loadError(
      "services:\n  web:\n    image: x\n    scale: 2\n    deploy: {replicas: 3}\n",
    );
    expect(error.message).toBe("can't set distinct values on 'scale' and 'deploy.replicas'");
    expect(error.path).toBe("services.web.scale");
  });

  it("splits a watch trigger with several paths", async () => {
    expect(
      await attr(
        "develop",
        "{watch: [{path: [./a, ./b], action: rebuild}, {path: ./src, action: sync, target: /app}]}",
      ),
    ).toEqual({
      watch: [
        { path: "/work/proj/src", action: "sync", target: "/app" },
        { path: "/work/proj/a", action: "rebuild" },
        { path: "/work/proj/b", action: "rebuild" },
      ],
    });
  });
});

describe("normalize: networks and resource names", () => {
  it("attaches services to the default network, declaring it only when used", async () => {
    const doc = await rendered(
      "services:\n  web: {image: x}\n  host: {image: x, network_mode: host}\n  back: {image: x, networks: [backend]}\n" +
        "  empty: {image: x, networks: []}\nnetworks:\n  backend: {}\n",
    );
    const services = doc.services as Mapping;
    expect((services.web as Mapping).networks).toEqual({ default: null });
    expect((services.host as Mapping).networks).toBeUndefined();
    expect((services.back as Mapping).networks).toEqual({ backend: null });
    expect((services.empty as Mapping).networks).toEqual({ default: null });
    expect(doc.networks).toEqual({ backend: { name: "demo_backend" }, default: { name: "demo_default" } });

    const none = await rendered("services:\n  web: {image: x, network_mode: none}\n");
    expect(none.networks).toBeUndefined();
  });

  it("keeps service network options", async () => {
    expect(
      await attr(
        "networks",
        "{front: {aliases: [a], ipv4_address: 172.16.0.10, priority: 10}, back: null}\nnetworks: {front: {}, back: {}}",
      ),
    ).toEqual({ back: null, front: { aliases: ["a"], ipv4_address: "172.16.0.10", priority: 10 } });
  });

  it("names networks, volumes, secrets and configs", async () => {
    const warnings: string[] = [];
    const doc = await rendered(
      "services:\n  web: {image: x, networks: [n1]}\n" +
        "networks:\n  n1: {}\n  n2: {name: custom}\n  n3: {external: true}\n  n4: {external: {name: legacy}}\n  n5: {external: true, name: ext}\n" +
        "volumes:\n  v1:\n  v2: {external: true}\n  v3: {name: my-volume, driver: local}\n" +
        "secrets:\n  s1: {file: ./s}\n  s2: {external: true}\n  s3: {environment: TOKEN}\n" +
        "configs:\n  c1: {file: ./c}\n  c2: {content: 'hello'}\n",
      { onWarning: (m) => warnings.push(m) },
    );
    expect(doc.networks).toEqual({
      n1: { name: "demo_n1" },
      n2: { name: "custom" },
      n3: { name: "n3", external: true },
      n4: { name: "legacy", external: true },
      n5: { name: "ext", external: true },
    });
    expect(doc.volumes).toEqual({
      v1: { name: "demo_v1" },
      v2: { name: "v2", external: true },
      v3: { name: "my-volume", driver: "local" },
    });
    expect(doc.secrets).toEqual({
      s1: { name: "demo_s1", file: "/work/proj/s" },
      s2: { name: "s2", external: true },
      s3: { name: "demo_s3", environment: "TOKEN" },
    });
    expect(doc.configs).toEqual({
      c1: { name: "demo_c1", file: "/work/proj/c" },
      c2: { name: "demo_c2", content: "hello" },
    });
    expect(warnings).toEqual([
      "networks.n4: external.name is deprecated. Please set name and external: true",
    ]);
  });

  it("rejects name and external.name that disagree", async () => {
    const error = await loadError("services: {}\nnetworks:\n  n: {name: a, external: {name: b}}\n");
    expect(error.message).toBe("name and external.name conflict; only use name");
    expect(error.path).toBe("networks.n");
  });
});

describe("normalize: the project", () => {
  it("keeps x-* extensions where they were, after the known keys, sorted", async () => {
    const project = await load(
      "x-top: {b: 1, a: [1, 2]}\nservices:\n  web:\n    x-z: 1\n    image: x\n    x-a: {y: 1, x: 2}\n    build: {context: ., x-b: true}\n",
    );
    const doc = renderProject(project);
    expect(Object.keys(doc)).toEqual(["name", "services", "networks", "x-top"]);
    expect(doc["x-top"]).toEqual({ a: [1, 2], b: 1 });
    const web = (doc.services as Mapping).web as Mapping;
    expect(Object.keys(web)).toEqual(["build", "image", "networks", "x-a", "x-z"]);
    expect(Object.keys(web["x-a"] as Mapping)).toEqual(["x", "y"]);
    expect(web.build).toEqual({ context: "/work/proj", dockerfile: "Dockerfile", "x-b": true });
  });

  it("orders service keys as compose-go's struct and services by name", async () => {
    const doc = await rendered(
      "services:\n  b:\n    volumes: [/v]\n    image: x\n    environment: [A=1]\n    command: run\n    ports: [80]\n    build: .\n    depends_on: [a]\n  a: {image: x}\n",
    );
    expect(Object.keys(doc.services as Mapping)).toEqual(["a", "b"]);
    expect(Object.keys((doc.services as Mapping).b as Mapping)).toEqual([
      "build",
      "command",
      "depends_on",
      "environment",
      "image",
      "networks",
      "ports",
      "volumes",
    ]);
  });

  it("has every section, and a typed service", async () => {
    const project = await load("services:\n  web:\n    image: nginx\n    healthcheck: {interval: 30s}\n");
    expect(project.name).toBe("demo");
    expect(project.workingDir).toBe(WD);
    expect(project.volumes).toEqual({});
    expect(project.secrets).toEqual({});
    const web = project.services.web as Service;
    expect(web.healthcheck?.interval).toBe(30_000_000_000);
    expect(web.networks).toEqual({ default: null });
  });

  it("does not modify its input", async () => {
    const [doc] = parseYaml(
      "services:\n  web:\n    image: x\n    ports: ['80:80']\n    build: .\n",
      "compose.yaml",
    );
    const before = structuredClone(doc!.tree);
    await normalize(doc!.tree, {
      projectName: "demo",
      workingDir: WD,
      sources: doc!.sources,
      lookup: () => undefined,
    });
    expect(doc!.tree).toEqual(before);
  });

  it("canonicalize gives the long forms as a plain tree", () => {
    const [doc] = parseYaml(
      "services:\n  web:\n    image: x\n    ports: ['80']\n    secrets: [s]\n",
      "compose.yaml",
    );
    const tree = canonicalize(doc!.tree, {
      projectName: "demo",
      sources: doc!.sources,
      lookup: () => undefined,
    });
    expect(tree.services).toEqual({
      web: {
        image: "x",
        ports: [{ mode: "ingress", target: 80, protocol: "tcp" }],
        secrets: [{ source: "s", target: "/run/secrets/s" }],
        networks: { default: null },
      },
    });
  });
});
