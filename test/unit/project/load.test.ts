/**
 * The whole loader on small real projects written to a temp directory: files found, variables from
 * the shell and .env, several -f files, extends across files, include with its own env, profiles.
 */

import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadModel, loadProject, type LoadOptions } from "../../../src/project/load.js";
import { fileTree } from "../../file-tree.js";

function project(files: Record<string, string>): string {
  return fileTree("load", files);
}

const load = (cwd: string, options: Partial<LoadOptions> = {}) => loadProject({ cwd, env: {}, ...options });

describe("loading a project", () => {
  it("names the project after its directory and declares the default network", async () => {
    const dir = project({ "My App/compose.yaml": "services:\n  web:\n    image: busybox\n" });
    const { project: p } = await load(path.join(dir, "My App"));
    expect(p.name).toBe("myapp");
    expect(p.services["web"]?.networks).toEqual({ default: null });
    expect(p.networks?.["default"]?.name).toBe("myapp_default");
  });

  it("takes variables from the shell over .env, and COMPOSE_PROJECT_NAME from .env", async () => {
    const dir = project({
      "compose.yaml":
        "services:\n  web:\n    image: busybox:${TAG}\n    environment:\n      MODE: ${MODE:-dev}\n",
      ".env": "TAG=1.0\nMODE=prod\nCOMPOSE_PROJECT_NAME=fromdotenv\n",
    });
    const { project: p } = await load(dir, { env: { TAG: "2.0" } });
    expect(p.name).toBe("fromdotenv");
    expect(p.services["web"]?.image).toBe("busybox:2.0");
    expect(p.services["web"]?.environment).toEqual({ MODE: "prod" });
  });

  it("reads --env-file instead of .env", async () => {
    const dir = project({
      "compose.yaml": "services:\n  web:\n    image: busybox:${TAG}\n",
      ".env": "TAG=fromdotenv\n",
      "ci.env": "TAG=fromci\n",
    });
    const { project: p } = await load(dir, { envFiles: ["ci.env"] });
    expect(p.services["web"]?.image).toBe("busybox:fromci");
  });

  it("merges -f files in order, with !reset and !override", async () => {
    const dir = project({
      "a.yaml":
        'services:\n  web:\n    image: a\n    ports: ["80:80"]\n    environment: [A=1, B=2]\n    dns: [1.1.1.1]\n',
      "b.yaml":
        'services:\n  web:\n    image: b\n    ports: !override ["81:81"]\n    environment: {B: "3"}\n    dns: !reset []\n',
    });
    const { project: p } = await load(dir, { files: ["a.yaml", "b.yaml"] });
    const web = p.services["web"];
    expect(web?.image).toBe("b");
    expect(web?.ports?.map((port) => port.published)).toEqual(["81"]);
    expect(web?.environment).toEqual({ A: "1", B: "3" });
    expect(web?.dns).toBeUndefined();
  });

  it("extends a service from another file, resolving its paths against that file's project", async () => {
    const dir = project({
      "compose.yaml":
        "services:\n  web:\n    extends:\n      file: common/base.yaml\n      service: base\n    image: web\n",
      "common/base.yaml": "services:\n  base:\n    build: ./ctx\n    environment: [FROM_BASE=1]\n",
    });
    const { project: p } = await load(dir);
    expect(p.services["web"]?.image).toBe("web");
    expect(p.services["web"]?.environment).toEqual({ FROM_BASE: "1" });
    expect(p.services["web"]?.build?.context).toBe(path.join(dir, "common", "ctx"));
  });

  it("includes another project with its own .env and directory", async () => {
    const dir = project({
      "compose.yaml":
        "include:\n  - db/compose.yaml\nservices:\n  web:\n    image: web\n    depends_on: [db]\n",
      "db/compose.yaml":
        "services:\n  db:\n    image: postgres:${PG:-15}\n    volumes: [./data:/var/lib/postgresql/data]\n",
      "db/.env": "PG=16\n",
    });
    const { project: p, graph } = await load(dir);
    expect(p.services["db"]?.image).toBe("postgres:16");
    expect(p.services["db"]?.volumes?.[0]?.source).toBe(path.join(dir, "db", "data"));
    expect(graph.startOrder()).toEqual(["db", "web"]);
  });

  it("activates profiles from flags, COMPOSE_PROFILES and named services", async () => {
    const dir = project({
      "compose.yaml":
        "services:\n  app:\n    image: a\n  debug:\n    image: d\n    profiles: [dev]\n  tool:\n    image: t\n    profiles: [tools]\n",
    });
    const names = async (options: Partial<LoadOptions>) =>
      Object.keys((await load(dir, options)).project.services).sort();
    expect(await names({})).toEqual(["app"]);
    expect(await names({ profiles: ["dev"] })).toEqual(["app", "debug"]);
    expect(await names({ env: { COMPOSE_PROFILES: "dev,tools" } })).toEqual(["app", "debug", "tool"]);
    expect(await names({ profiles: ["*"] })).toEqual(["app", "debug", "tool"]);
    expect(await names({ services: ["tool"] })).toEqual(["app", "tool"]);
    const { disabledServices } = await load(dir);
    expect(Object.keys(disabledServices).sort()).toEqual(["debug", "tool"]);
  });

  it("finds compose.yaml in a parent directory and takes its directory as the project's", async () => {
    const dir = project({ "compose.yaml": "services:\n  web:\n    build: .\n", "sub/deeper/.keep": "" });
    const { project: p } = await load(path.join(dir, "sub", "deeper"));
    expect(p.workingDir).toBe(dir);
    expect(p.services["web"]?.build?.context).toBe(dir);
  });

  it("warns once per unset variable and substitutes an empty string", async () => {
    const dir = project({ "compose.yaml": "services:\n  web:\n    image: busybox${SUFFIX}\n" });
    const warnings: string[] = [];
    const { project: p } = await load(dir, { onWarning: (m) => warnings.push(m) });
    expect(p.services["web"]?.image).toBe("busybox");
    expect(warnings).toEqual(['The "SUFFIX" variable is not set. Defaulting to a blank string.']);
  });
});

describe("the project's environment", () => {
  it("carries shell and .env variables, shell first, for environment-sourced secrets", async () => {
    const dir = project({
      "compose.yaml": "services:\n  web:\n    image: busybox\n",
      ".env": "TOKEN=fromdotenv\nONLY_DOTENV=1\n",
    });
    const { project: p } = await loadProject({ cwd: dir, env: { TOKEN: "fromshell" } });
    expect(p.environment?.["TOKEN"]).toBe("fromshell");
    expect(p.environment?.["ONLY_DOTENV"]).toBe("1");
  });
});

describe("the project name", () => {
  const uses = "services:\n  web:\n    image: busybox\n    container_name: ${COMPOSE_PROJECT_NAME}-web\n";

  it("is what the files see as COMPOSE_PROJECT_NAME: -p, else the variable, else name:, else the directory", async () => {
    const dir = project({ "Stack One/compose.yaml": `name: fromfile\n${uses}` });
    const cwd = path.join(dir, "Stack One");
    const name = async (options: Partial<LoadOptions>) => {
      const { project: p } = await load(cwd, options);
      return [p.name, p.services["web"]?.container_name, p.environment?.["COMPOSE_PROJECT_NAME"]];
    };
    expect(await name({ projectName: "fromflag", env: { COMPOSE_PROJECT_NAME: "fromenv" } })).toEqual([
      "fromflag",
      "fromflag-web",
      "fromflag",
    ]);
    expect(await name({ env: { COMPOSE_PROJECT_NAME: "fromenv" } })).toEqual([
      "fromenv",
      "fromenv-web",
      "fromenv",
    ]);
    expect(await name({})).toEqual(["fromfile", "fromfile-web", "fromfile"]);
    const bare = project({ "Stack One/compose.yaml": uses });
    const { project: p } = await load(path.join(bare, "Stack One"));
    expect([p.name, p.services["web"]?.container_name]).toEqual(["stackone", "stackone-web"]);
  });

  it("takes the last file's name: for every file, the first ones included", async () => {
    const dir = project({
      "a.yaml": `name: first\n${uses}`,
      "b.yaml":
        "name: second\nservices:\n  db:\n    image: busybox\n    container_name: ${COMPOSE_PROJECT_NAME}-db\n",
    });
    const { project: p } = await load(dir, { files: ["a.yaml", "b.yaml"] });
    expect(p.name).toBe("second");
    expect(p.services["web"]?.container_name).toBe("second-web");
    expect(p.services["db"]?.container_name).toBe("second-db");
  });

  it("normalizes name: as Compose normalizes a directory name, after interpolating it", async () => {
    const dir = project({
      "compose.yaml": `name: "_-My \${STAGE}.App!"\n${uses}`,
      ".env": "STAGE=Prod\n",
    });
    const { project: p, merged } = await load(dir);
    expect(p.name).toBe("myprodapp");
    expect(p.services["web"]?.container_name).toBe("myprodapp-web");
    expect(merged["name"]).toBe("myprodapp");
  });

  it("falls back to the directory when name: normalizes to nothing, as compose-go does", async () => {
    const dir = project({ "app/compose.yaml": `name: "!!!"\n${uses}` });
    const { project: p } = await load(path.join(dir, "app"));
    expect(p.name).toBe("app");
  });

  it("is the included files' COMPOSE_PROJECT_NAME too", async () => {
    const dir = project({
      "compose.yaml": "name: outer\ninclude:\n  - sub/compose.yaml\nservices:\n  web:\n    image: busybox\n",
      "sub/compose.yaml":
        "services:\n  db:\n    image: busybox\n    container_name: ${COMPOSE_PROJECT_NAME}-db\n",
    });
    const { project: p } = await load(dir);
    expect(p.services["db"]?.container_name).toBe("outer-db");
  });

  it("under --no-interpolate, refuses a long-syntax port whose target is text, not a number", async () => {
    const dir = project({
      "compose.yaml": "services:\n  web:\n    image: busybox\n    ports:\n      - target: ${PORT}\n",
    });
    await expect(loadModel({ cwd: dir, env: {}, skipInterpolation: true })).rejects.toMatchObject({
      message: "service port is missing a target port",
      location: { file: "compose.yaml", line: 5, col: 9 },
    });
  });

  it("keeps one port where short forms differ only in how they are written (compose-go's canonical unicity)", async () => {
    const dir = project({
      "compose.yaml": 'services:\n  web:\n    image: busybox\n    ports: ["8080:80", "80-80"]\n',
      "compose.override.yaml": 'services:\n  web:\n    ports: ["8080:80/TCP", "80"]\n',
    });
    const { project: p, merged } = await load(dir);
    expect(p.services["web"]?.ports).toEqual([
      { mode: "ingress", target: 80, published: "8080", protocol: "tcp" },
      { mode: "ingress", target: 80, protocol: "tcp" },
    ]);
    // what `config --no-normalize` prints: each later entry in the place of the one it repeats
    expect(merged).toMatchObject({ services: { web: { ports: ["8080:80/TCP", "80"] } } });
  });
});
