import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LoadError } from "../../../src/errors.js";
import { applyInclude, type LoadProjectOptions } from "../../../src/project/include.js";
import { mergeDocuments, type Located } from "../../../src/project/merge.js";
import { decodeSource, parseYaml } from "../../../src/project/parse.js";
import { SourceMap } from "../../../src/project/source-map.js";
import type { Mapping } from "../../../src/project/tree.js";
import { writeFiles } from "../../file-tree.js";

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "berth-include-"));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(files: Record<string, string>): Promise<void> {
  writeFiles(dir, files);
}

async function parseFile(abs: string) {
  const name = path.relative(dir, abs);
  return parseYaml(decodeSource(await readFile(abs), name), name);
}

/** The loader's loadProject, without interpolation: parse, include, merge each file in order. */
const loadProject = vi.fn(async (options: LoadProjectOptions): Promise<Located> => {
  let accumulated: Located = { tree: {}, sources: new SourceMap() };
  for (const file of options.paths) {
    for (const doc of await parseFile(file)) {
      const included = await applyInclude(doc, {
        workingDir: options.projectDirectory,
        chain: [...options.chain, file],
        loadProject,
      });
      accumulated = mergeDocuments(accumulated, { ...included, resetPaths: doc.resetPaths });
    }
  }
  return accumulated;
});

/** Write the files, then apply include to compose.yaml. */
async function include(files: Record<string, string>) {
  loadProject.mockClear();
  await write(files);
  const main = path.join(dir, "compose.yaml");
  const [doc] = await parseFile(main);
  if (!doc) throw new Error("empty compose.yaml");
  return applyInclude(doc, { workingDir: dir, chain: [main], loadProject });
}

async function includeError(files: Record<string, string>): Promise<LoadError> {
  try {
    await include(files);
  } catch (error) {
    expect(error).toBeInstanceOf(LoadError);
    return error as LoadError;
  }
  throw new Error("expected a LoadError");
}

describe("applyInclude", () => {
  it("adds the included services and resources, and removes include", async () => {
    const { tree, sources } = await include({
      "compose.yaml":
        "include:\n  - other/compose.yaml\nservices:\n  web:\n    image: web\n    depends_on: [db]\n",
      "other/compose.yaml":
        "services:\n  db:\n    image: postgres\n    volumes: [data:/var/lib/postgresql/data]\nvolumes:\n  data: {}\nnetworks:\n  back: {}\n",
    });
    expect(tree).toEqual({
      services: {
        web: { image: "web", depends_on: ["db"] },
        db: { image: "postgres", volumes: ["data:/var/lib/postgresql/data"] },
      },
      volumes: { data: {} },
      networks: { back: {} },
    });
    expect(sources.valueAt(["services", "db", "image"])).toEqual({
      file: path.join("other", "compose.yaml"),
      line: 3,
      col: 12,
    });
    expect(sources.valueAt(["services", "web", "image"])).toEqual({ file: "compose.yaml", line: 5, col: 12 });
  });

  it("loads the included file with its directory as project directory, paths resolved against it", async () => {
    const { tree } = await include({
      "compose.yaml": "include:\n  - sub/compose.yaml\nservices: {}\n",
      "sub/compose.yaml": "services:\n  app:\n    build: .\n    env_file: app.env\n",
    });
    expect(loadProject).toHaveBeenCalledWith({
      paths: [path.join(dir, "sub", "compose.yaml")],
      projectDirectory: path.join(dir, "sub"),
      envFiles: [],
      chain: [path.join(dir, "compose.yaml")],
    });
    expect((tree["services"] as Mapping)["app"]).toEqual({
      build: path.join(dir, "sub"),
      env_file: path.join(dir, "sub", "app.env"),
    });
  });

  it("reads the long syntax: several paths merged, project_directory and env_file", async () => {
    const { tree } = await include({
      "compose.yaml":
        "include:\n  - path:\n      - lib/compose.yaml\n      - lib/override.yaml\n    project_directory: lib/project\n    env_file: [lib/a.env, /dev/null]\n",
      "lib/compose.yaml": "services:\n  app:\n    image: app\n    build: ./src\n    ports: ['80:80']\n",
      "lib/override.yaml": "services:\n  app:\n    ports: ['81:81']\n",
      "lib/a.env": "A=1\n",
    });
    expect(loadProject).toHaveBeenCalledWith({
      paths: [path.join(dir, "lib", "compose.yaml"), path.join(dir, "lib", "override.yaml")],
      projectDirectory: path.join(dir, "lib", "project"),
      envFiles: [path.join(dir, "lib", "a.env")],
      chain: [path.join(dir, "compose.yaml")],
    });
    expect(tree).toEqual({
      services: {
        app: { image: "app", build: path.join(dir, "lib", "project", "src"), ports: ["80:80", "81:81"] },
      },
    });
  });

  it("accepts the long syntax with a single path string", async () => {
    const { tree } = await include({
      "compose.yaml": "include:\n  - path: other.yaml\n",
      "other.yaml": "services:\n  one:\n    image: one\n",
    });
    expect(tree).toEqual({ services: { one: { image: "one" } } });
  });

  it("includes recursively, each file relative to its own project", async () => {
    const { tree } = await include({
      "compose.yaml": "include: [a/compose.yaml]\n",
      "a/compose.yaml": "include: [b/compose.yaml]\nservices:\n  a: {image: a}\n",
      "a/b/compose.yaml": "services:\n  b:\n    image: b\n    build: .\n",
    });
    expect(tree).toEqual({
      services: { a: { image: "a" }, b: { image: "b", build: path.join(dir, "a", "b") } },
    });
  });

  it("accepts a resource defined identically on both sides", async () => {
    const { tree } = await include({
      "compose.yaml": "include: [other.yaml]\nnetworks:\n  shared:\n    driver: bridge\n",
      "other.yaml": "services:\n  one: {image: one}\nnetworks:\n  shared:\n    driver: bridge\n",
    });
    expect(tree["networks"]).toEqual({ shared: { driver: "bridge" } });
  });

  it("refuses a service defined differently here and in the included file", async () => {
    const error = await includeError({
      "compose.yaml": "include:\n  - other.yaml\nservices:\n  web:\n    image: mine\n",
      "other.yaml": "services:\n  web:\n    image: theirs\n",
    });
    expect(error.describe()).toBe("compose.yaml:4:3: services.web: conflicts with imported resource");
  });

  it("refuses the same resource from two included applications when they differ", async () => {
    const error = await includeError({
      "compose.yaml": "include:\n  - one.yaml\n  - two.yaml\n",
      "one.yaml": "volumes:\n  data: {driver: local}\n",
      "two.yaml": "volumes:\n  data: {driver: nfs}\n",
    });
    expect(error.describe()).toBe("compose.yaml:3:5: volumes.data: conflicts with imported resource");
  });

  it("detects an include loop and names it", async () => {
    const error = await includeError({
      "compose.yaml": "include:\n  - b.yaml\nservices:\n  a: {image: a}\n",
      "b.yaml": "include:\n  - compose.yaml\nservices:\n  b: {image: b}\n",
    });
    expect(error.describe()).toBe(
      "b.yaml:2:5: include[0]: include cycle detected: compose.yaml -> b.yaml -> compose.yaml",
    );
  });

  it("detects a file that includes itself", async () => {
    const error = await includeError({ "compose.yaml": "include:\n  - ./compose.yaml\n" });
    expect(error.message).toBe("include cycle detected: compose.yaml -> compose.yaml");
    expect(error.location).toEqual({ file: "compose.yaml", line: 2, col: 5 });
  });

  it("reports a missing included file at its entry", async () => {
    const error = await includeError({
      "compose.yaml": "services: {}\ninclude:\n  - path:\n      - here.yaml\n      - missing.yaml\n",
      "here.yaml": "services: {}\n",
    });
    expect(error.describe()).toBe(
      "compose.yaml:5:9: include[0].path[1]: included file missing.yaml not found",
    );
  });

  it("reports a missing env_file", async () => {
    const error = await includeError({
      "compose.yaml": "include:\n  - path: other.yaml\n    env_file: nope.env\n",
      "other.yaml": "services: {}\n",
    });
    expect(error.describe()).toBe("compose.yaml:3:15: include[0].env_file: env file nope.env not found");
  });

  it("refuses an include that is not a list", async () => {
    const error = await includeError({ "compose.yaml": "include: other.yaml\n" });
    expect(error.describe()).toBe("compose.yaml:1:10: include: include must be a list");
  });

  it("refuses an entry without a path", async () => {
    const error = await includeError({ "compose.yaml": "include:\n  - project_directory: x\n" });
    expect(error.message).toBe("an include entry needs a path");
  });

  it("drops an empty include and changes nothing else", async () => {
    const { tree, sources } = await include({ "compose.yaml": "include:\nservices:\n  a: {image: a}\n" });
    expect(tree).toEqual({ services: { a: { image: "a" } } });
    expect(sources.valueAt(["services", "a", "image"])).toEqual({ file: "compose.yaml", line: 3, col: 14 });
    expect(loadProject).not.toHaveBeenCalled();
  });
});
