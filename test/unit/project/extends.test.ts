import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LoadError } from "../../../src/errors.js";
import { applyExtends, type ExtendsDocument } from "../../../src/project/extends.js";
import { decodeSource, parseYaml } from "../../../src/project/parse.js";
import type { Mapping } from "../../../src/project/tree.js";
import { writeFiles } from "../../file-tree.js";

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "berth-extends-"));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(files: Record<string, string>): Promise<void> {
  writeFiles(dir, files);
}

/** Parse a file of the temp dir, named relative to it (what the loader's loadFile does, without interpolation). */
async function parseFile(abs: string): Promise<ExtendsDocument> {
  const name = path.relative(dir, abs);
  const [doc] = parseYaml(decodeSource(await readFile(abs), name), name);
  if (!doc) throw new Error(`${name} is empty`);
  return doc;
}

/** Write the files, then apply extends to compose.yaml. */
async function extend(files: Record<string, string>) {
  await write(files);
  const loadFile = vi.fn(parseFile);
  const doc = await parseFile(path.join(dir, "compose.yaml"));
  const result = await applyExtends(doc, { workingDir: dir, loadFile });
  return { ...result, loadFile };
}

async function extendError(files: Record<string, string>): Promise<LoadError> {
  try {
    await extend(files);
  } catch (error) {
    expect(error).toBeInstanceOf(LoadError);
    return error as LoadError;
  }
  throw new Error("expected a LoadError");
}

function yaml(text: string): Mapping {
  return parseYaml(text, "want.yaml")[0]?.tree ?? {};
}

describe("applyExtends: same file", () => {
  it("inherits the base and overrides with the service's own keys", async () => {
    const { tree } = await extend({
      "compose.yaml":
        "services:\n  base:\n    image: busybox\n    user: root\n  cli:\n    extends: base\n    user: app\n",
    });
    expect(tree).toEqual(
      yaml(
        "services:\n  base:\n    image: busybox\n    user: root\n  cli:\n    image: busybox\n    user: app\n",
      ),
    );
  });

  it("accepts the mapping form without a file", async () => {
    const { tree } = await extend({
      "compose.yaml": "services:\n  base:\n    image: busybox\n  cli:\n    extends:\n      service: base\n",
    });
    expect((tree["services"] as Mapping)["cli"]).toEqual({ image: "busybox" });
  });

  it("merges environment by key, in mapping or list syntax (05-services.md example)", async () => {
    const { tree } = await extend({
      "compose.yaml":
        "services:\n  common:\n    image: busybox\n    environment:\n      TZ: utc\n      PORT: 80\n  cli:\n    extends:\n      service: common\n    environment:\n      - PORT=8080\n",
    });
    expect((tree["services"] as Mapping)["cli"]).toEqual(
      yaml("image: busybox\nenvironment: [PORT=8080, TZ=utc]\n"),
    );
  });

  it("merges volumes by target (05-services.md example)", async () => {
    const { tree } = await extend({
      "compose.yaml":
        "services:\n  common:\n    image: busybox\n    volumes:\n      - common-volume:/var/lib/backup/data:rw\n  cli:\n    extends:\n      service: common\n    volumes:\n      - cli-volume:/var/lib/backup/data:ro\n",
    });
    expect((tree["services"] as Mapping)["cli"]).toEqual(
      yaml("image: busybox\nvolumes:\n  - cli-volume:/var/lib/backup/data:ro\n"),
    );
  });

  it("follows chained extends (05-services.md example)", async () => {
    const { tree } = await extend({
      "compose.yaml":
        "services:\n  base:\n    image: busybox\n    user: root\n  common:\n    image: busybox\n    extends:\n      service: base\n  cli:\n    extends:\n      service: common\n",
    });
    expect((tree["services"] as Mapping)["cli"]).toEqual({ image: "busybox", user: "root" });
    expect((tree["services"] as Mapping)["common"]).toEqual({ image: "busybox", user: "root" });
  });

  it("inherits depends_on, volumes_from and links too (compose-go v2 keeps them)", async () => {
    const { tree } = await extend({
      "compose.yaml":
        "services:\n  db:\n    image: postgres\n  base:\n    image: app\n    depends_on: [db]\n    volumes_from: [db]\n    links: [db]\n  web:\n    extends: base\n    depends_on:\n      cache:\n        condition: service_started\n  cache:\n    image: redis\n",
    });
    expect((tree["services"] as Mapping)["web"]).toEqual(
      yaml(
        "image: app\ndepends_on:\n  db: {condition: service_started, required: true}\n  cache: {condition: service_started}\nvolumes_from: [db]\nlinks: [db]\n",
      ),
    );
  });

  it("replaces command and keeps appending sequences such as security_opt", async () => {
    const { tree } = await extend({
      "compose.yaml":
        "services:\n  common:\n    image: busybox\n    command: [a]\n    security_opt: [label:role:ROLE]\n  cli:\n    extends: common\n    command: [b]\n    security_opt: [label:user:USER]\n",
    });
    expect((tree["services"] as Mapping)["cli"]).toEqual(
      yaml("image: busybox\ncommand: [b]\nsecurity_opt: [label:role:ROLE, label:user:USER]\n"),
    );
  });

  it("lets !reset drop an inherited value", async () => {
    const { tree } = await extend({
      "compose.yaml":
        "services:\n  base:\n    image: busybox\n    ports: ['80:80']\n  web:\n    extends: base\n    ports: !reset []\n",
    });
    expect((tree["services"] as Mapping)["web"]).toEqual({ image: "busybox" });
  });

  it("leaves the rest of the document and its locations alone", async () => {
    const { tree, sources } = await extend({
      "compose.yaml":
        "name: demo\nservices:\n  base:\n    image: busybox\n  web:\n    extends: base\n    ports: ['80:80']\nvolumes:\n  data: {}\n",
    });
    expect(tree["name"]).toBe("demo");
    expect(tree["volumes"]).toEqual({ data: {} });
    expect(sources.keyAt(["volumes", "data"])).toEqual({ file: "compose.yaml", line: 9, col: 3 });
    expect(sources.valueAt(["services", "web", "ports", 0])).toEqual({
      file: "compose.yaml",
      line: 7,
      col: 13,
    });
    expect(sources.valueAt(["services", "web", "image"])).toEqual({ file: "compose.yaml", line: 4, col: 12 });
  });

  it("does not modify the input tree", async () => {
    await write({ "compose.yaml": "services:\n  base:\n    image: a\n  web:\n    extends: base\n" });
    const doc = await parseFile(path.join(dir, "compose.yaml"));
    const before = structuredClone(doc.tree);
    await applyExtends(doc, { workingDir: dir, loadFile: parseFile });
    expect(doc.tree).toEqual(before);
  });
});

describe("applyExtends: other files", () => {
  it("loads the base from another file, resolving its relative paths against its directory", async () => {
    const { tree, sources } = await extend({
      "compose.yaml":
        "services:\n  web:\n    extends:\n      file: sub/base.yaml\n      service: base\n    environment:\n      MODE: prod\n",
      "sub/base.yaml":
        "services:\n  base:\n    build: ./app\n    env_file: base.env\n    environment:\n      MODE: dev\n      DEBUG: '1'\n",
    });
    expect((tree["services"] as Mapping)["web"]).toEqual({
      build: path.join(dir, "sub", "app"),
      env_file: path.join(dir, "sub", "base.env"),
      environment: ["DEBUG=1", "MODE=prod"],
    });
    expect(sources.valueAt(["services", "web", "build"])).toEqual({
      file: path.join("sub", "base.yaml"),
      line: 3,
      col: 12,
    });
    expect(sources.valueAt(["services", "web", "environment", 1])).toEqual({
      file: "compose.yaml",
      line: 7,
      col: 13,
    });
  });

  it("loads a file once for several services", async () => {
    const { tree, loadFile } = await extend({
      "compose.yaml":
        "services:\n  a:\n    extends: {file: base.yaml, service: base}\n    hostname: a\n  b:\n    extends: {file: base.yaml, service: other}\n    hostname: b\n",
      "base.yaml": "services:\n  base:\n    image: one\n  other:\n    image: two\n",
    });
    expect(loadFile).toHaveBeenCalledTimes(1);
    expect(tree["services"]).toEqual({
      a: { image: "one", hostname: "a" },
      b: { image: "two", hostname: "b" },
    });
  });

  it("follows extends inside the other file, same-file and to a third file relative to it", async () => {
    const { tree } = await extend({
      "compose.yaml": "services:\n  web:\n    extends: {file: lib/base.yaml, service: b}\n    image: web\n",
      "lib/base.yaml":
        "services:\n  b:\n    extends: c\n    user: b\n  c:\n    extends: {file: deep/root.yaml, service: root}\n    working_dir: /c\n",
      "lib/deep/root.yaml": "services:\n  root:\n    user: root\n    labels: {tier: root}\n",
    });
    expect((tree["services"] as Mapping)["web"]).toEqual({
      image: "web",
      user: "b",
      working_dir: "/c",
      labels: { tier: "root" },
    });
  });

  it("names a cycle across files, at the first extends.service", async () => {
    const error = await extendError({
      "compose.yaml": "services:\n  a:\n    extends:\n      file: base.yaml\n      service: b\n",
      "base.yaml": "services:\n  b:\n    extends:\n      file: compose.yaml\n      service: a\n",
    });
    expect(error.describe()).toBe(
      "compose.yaml:5:16: services.a.extends: circular reference: a in compose.yaml -> b in base.yaml -> a in compose.yaml",
    );
  });

  it("reports a missing service in the other file", async () => {
    const error = await extendError({
      "compose.yaml": "services:\n  web:\n    extends:\n      file: base.yaml\n      service: nope\n",
      "base.yaml": "services:\n  base:\n    image: a\n",
    });
    expect(error.describe()).toBe(
      'compose.yaml:5:16: services.web.extends: cannot extend service "web" in compose.yaml: service "nope" not found in base.yaml',
    );
  });

  it("reports a missing file at extends.file", async () => {
    const error = await extendError({
      "compose.yaml": "services:\n  web:\n    extends:\n      file: missing.yaml\n      service: base\n",
    });
    expect(error.describe()).toBe(
      'compose.yaml:4:13: services.web.extends.file: cannot extend service "web" in compose.yaml: file missing.yaml not found',
    );
  });

  it("reports a file without services", async () => {
    const error = await extendError({
      "compose.yaml": "services:\n  web:\n    extends:\n      file: base.yaml\n      service: base\n",
      "base.yaml": "volumes:\n  data: {}\n",
    });
    expect(error.message).toBe(
      'cannot extend service "web" in compose.yaml: base.yaml has no services section',
    );
  });
});

describe("applyExtends: errors in the same file", () => {
  it("names a cycle at the first extends' value", async () => {
    const error = await extendError({
      "compose.yaml":
        "services:\n  a:\n    image: x\n    extends: b\n  b:\n    extends: c\n  c:\n    extends: a\n",
    });
    expect(error.describe()).toBe(
      "compose.yaml:4:14: services.a.extends: circular reference: a in compose.yaml -> b in compose.yaml -> c in compose.yaml -> a in compose.yaml",
    );
  });

  it("names a service that extends itself", async () => {
    const error = await extendError({ "compose.yaml": "services:\n  a:\n    extends: a\n" });
    expect(error.message).toBe("circular reference: a in compose.yaml -> a in compose.yaml");
  });

  it("reports a missing service at the extends value", async () => {
    const error = await extendError({
      "compose.yaml": "services:\n  web:\n    image: a\n    extends: nope\n",
    });
    expect(error.describe()).toBe(
      'compose.yaml:4:14: services.web.extends: cannot extend service "web" in compose.yaml: service "nope" not found',
    );
  });

  it("reports an extends mapping without a service", async () => {
    const error = await extendError({
      "compose.yaml": "services:\n  web:\n    extends:\n      file: base.yaml\n",
    });
    expect(error.message).toBe("extends needs a service name");
    expect(error.path).toBe("services.web.extends");
  });
});
