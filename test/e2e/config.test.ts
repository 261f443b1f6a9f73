/**
 * `berth config` as a user runs it: each example prints the canonical model Docker Compose prints
 * (golden files, with the checkout's path written as <root>), flags select what is printed, and a
 * broken project exits 1 with one located sentence and never a stack trace.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { berth, repoRoot } from "./cli.js";

const golden = (name: string): string =>
  readFileSync(path.join(import.meta.dirname, "golden", name), "utf8").replaceAll("<root>", repoRoot);

describe("berth config on the examples", () => {
  it("webapp prints the canonical model", async () => {
    const result = await berth(["-f", "examples/webapp/compose.yaml", "config"]);
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(golden("webapp.yaml"));
  });

  it("multi-file picks up the override file by itself", async () => {
    const result = await berth(["--project-directory", "examples/multi-file", "config"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(golden("multi-file.yaml"));
  });

  it("multi-file with the production file needs TAG, and uses it", async () => {
    const files = ["-f", "examples/multi-file/compose.yaml", "-f", "examples/multi-file/compose.prod.yaml"];
    const missing = await berth([...files, "config"]);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toBe(
      "examples/multi-file/compose.prod.yaml:4:12: services.app.image: required variable TAG is missing a value: TAG must name a release\n",
    );
    const result = await berth([...files, "config"], { env: { TAG: "1.0" } });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(golden("multi-file-prod.yaml"));
  });

  it("profiles: tools stay out until their profile is enabled or they are named", async () => {
    const file = ["-f", "examples/profiles/compose.yaml"];
    expect((await berth([...file, "config", "--services"])).stdout).toBe("app\ndb\n");
    expect((await berth([...file, "--profile", "debug", "config", "--services"])).stdout).toBe(
      "adminer\napp\ndb\n",
    );
    expect(
      (await berth([...file, "config", "--services"], { env: { COMPOSE_PROFILES: "debug,tools" } })).stdout,
    ).toBe("adminer\napp\ndb\nmigrate\n");
    expect((await berth([...file, "config", "--services", "migrate"])).stdout).toBe("migrate\n");
    expect((await berth([...file, "config", "--profiles"])).stdout).toBe("debug\ntools\n");
  });
});

describe("berth config flags", () => {
  it("-q validates and prints nothing", async () => {
    const result = await berth(["-f", "examples/webapp/compose.yaml", "config", "-q"]);
    expect(result).toEqual({ exitCode: 0, stdout: "", stderr: "" });
  });

  it("--format json prints the same model as the YAML", async () => {
    const yaml = await berth(["-f", "examples/webapp/compose.yaml", "config"]);
    const json = await berth(["-f", "examples/webapp/compose.yaml", "config", "--format", "json"]);
    expect(JSON.parse(json.stdout)).toEqual(parse(yaml.stdout));
  });

  it("lists volumes, networks and images", async () => {
    const file = ["-f", "examples/webapp/compose.yaml", "config"];
    expect((await berth([...file, "--volumes"])).stdout).toBe("db-data\n");
    expect((await berth([...file, "--networks"])).stdout).toBe("default\n");
    expect((await berth([...file, "--images"])).stdout).toBe(
      "webapp/api:1.4.2\nredis:7-alpine\npostgres:16-alpine\nnginx:1.27-alpine\n",
    );
  });

  it("leaves out networks, volumes, secrets and configs no active service uses", async () => {
    const file = ["-f", "test/fixtures/unused-resources/compose.yaml"];
    const model = parse((await berth([...file, "config"])).stdout) as Record<string, object>;
    expect(Object.keys(model["networks"] ?? {})).toEqual(["front"]);
    expect(Object.keys(model["volumes"] ?? {})).toEqual(["data"]);
    expect(Object.keys(model["secrets"] ?? {})).toEqual(["token"]);
    expect(Object.keys(model["configs"] ?? {})).toEqual(["settings"]);
    expect((await berth([...file, "config", "--networks"])).stdout).toBe("front\n");
    expect((await berth([...file, "config", "--volumes"])).stdout).toBe("data\n");
    // A profile's services count once it is active.
    const debug = ["--profile", "debug", ...file, "config"];
    expect((await berth([...debug, "--networks"])).stdout).toBe("back\nfront\n");
    expect((await berth([...debug, "--volumes"])).stdout).toBe("cache\ndata\n");
  });

  it("named services print with what they depend on, and only the resources those use", async () => {
    const file = ["-f", "examples/webapp/compose.yaml"];
    const whole = parse((await berth([...file, "config"])).stdout) as { services: Record<string, object> };
    const api = parse((await berth([...file, "config", "api"])).stdout) as typeof whole;
    expect(Object.keys(api.services)).toEqual(["api", "cache", "db"]);
    // What is printed of each selected service is what the whole project prints of it.
    for (const name of ["api", "cache", "db"]) expect(api.services[name]).toEqual(whole.services[name]);
    const missing = await berth([...file, "config", "nosuch"]);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr.trim()).toBe("no such service: nosuch");
  });

  it("--hash is stable across runs and changes with the service", async () => {
    const first = await berth(["-f", "examples/webapp/compose.yaml", "config", "--hash", "*"]);
    const second = await berth(["-f", "examples/webapp/compose.yaml", "config", "--hash", "*"]);
    expect(first.exitCode).toBe(0);
    expect(first.stdout).toBe(second.stdout);
    expect(
      first.stdout
        .split("\n")
        .filter(Boolean)
        .map((l) => l.split(" ")[0]),
    ).toEqual(["api", "cache", "db", "web"]);
    const changed = await berth(["-f", "examples/webapp/compose.yaml", "config", "--hash", "web"], {
      env: { NGINX_TAG: "1.28-alpine" },
    });
    const before = first.stdout.split("\n").find((l) => l.startsWith("web "));
    expect(changed.stdout.trim()).not.toBe(before);
    expect(changed.stdout).toMatch(/^web [0-9a-f]{64}\n$/);
  });

  it("reads the compose file from standard input with -f -", async () => {
    const result = await berth(["-f", "-", "-p", "fromstdin", "config", "--services"], {
      input: "services:\n  one:\n    image: busybox\n",
    });
    expect(result).toEqual({ exitCode: 0, stdout: "one\n", stderr: "" });
  });

  it("-p overrides the name, and the default network follows it", async () => {
    const result = await berth([
      "-f",
      "examples/webapp/compose.yaml",
      "-p",
      "other",
      "config",
      "--format",
      "json",
    ]);
    const model = JSON.parse(result.stdout) as { name: string; networks: { default: { name: string } } };
    expect(model.name).toBe("other");
    expect(model.networks.default.name).toBe("other_default");
  });

  it("escapes a literal $ left after interpolation as $$, as Compose prints it", async () => {
    const result = await berth(["-f", "-", "-p", "dollar", "config"], {
      input: "services:\n  a:\n    image: busybox\n    command: echo $$HOME\n",
    });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("      - $$HOME\n");
  });

  it("--format json escapes <, > and & as Go's encoder does", async () => {
    const result = await berth(["-f", "-", "-p", "html", "config", "--format", "json"], {
      input: 'services:\n  a:\n    image: busybox\n    labels:\n      t: "<a&b>"\n',
    });
    expect(result.stdout).toContain('"t": "\\u003ca\\u0026b\\u003e"');
    expect(
      (JSON.parse(result.stdout) as { services: { a: { labels: { t: string } } } }).services.a.labels.t,
    ).toBe("<a&b>");
  });

  it("--no-interpolate prints the model with variables as written and keys sorted", async () => {
    const input = [
      "services:",
      "  web:",
      '    image: "nginx:${TAG:-latest}"',
      "    ports:",
      '      - "${PORT:-8080}:80"',
      '      - "9090:90"',
      "    mem_limit: ${MEM:-512m}",
      "    environment:",
      "      A: $HOME",
      "",
    ].join("\n");
    const result = await berth(["-f", "-", "-p", "raw", "config", "--no-interpolate"], {
      input,
      env: { TAG: "1.0", PORT: "1", MEM: "1g" },
    });
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    const model = parse(result.stdout) as Record<string, unknown>;
    expect(Object.keys(model)).toEqual(["name", "networks", "services"]);
    const web = (model["services"] as Record<string, Record<string, unknown>>)["web"] ?? {};
    expect(Object.keys(web)).toEqual([...Object.keys(web)].sort());
    expect(web["image"]).toBe("nginx:${TAG:-latest}");
    expect(web["mem_limit"]).toBe("${MEM:-512m}");
    // One entry holds a variable: compose-go keeps the whole list as written.
    expect(web["ports"]).toEqual(["${PORT:-8080}:80", "9090:90"]);
    expect(web["environment"]).toEqual({ A: "$HOME" });
  });

  it("--no-interpolate still reports a port that is wrong without any variable", async () => {
    const result = await berth(["-f", "-", "-p", "raw", "config", "--no-interpolate"], {
      input: 'services:\n  web:\n    image: x\n    ports: ["1:2:3:4"]\n',
    });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('"1:2:3:4" is not a valid port');
  });

  it("--version prints the package version", async () => {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { version: string };
    expect((await berth(["--version"])).stdout).toBe(`${pkg.version}\n`);
  });
});

describe("berth config on broken input", () => {
  const fixtures = path.join(repoRoot, "test", "fixtures", "bad");
  const cases = [
    "yaml-tab-indent",
    "unknown-service-key",
    "port-three-parts",
    "cycle-depends-three",
    "interp-unclosed",
  ];
  for (const name of cases) {
    it(`${name}: exit 1, the located sentence on stderr, no stack trace`, async () => {
      const expected = readFileSync(path.join(fixtures, name, "expected"), "utf8");
      const result = await berth(["config"], { cwd: path.join(fixtures, name) });
      expect(result.exitCode).toBe(1);
      expect(result.stdout).toBe("");
      const [first, ...rest] = result.stderr.trimEnd().split("\n");
      expect(first).toBe(expected.trimEnd());
      for (const line of rest) expect(line).toMatch(/^hint: /); // at most a hint follows the sentence
      expect(result.stderr).not.toMatch(/^\s+at /m);
    });
  }

  it("--debug adds the stack trace", async () => {
    const result = await berth(["--debug", "config"], { cwd: path.join(fixtures, "unknown-service-key") });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/^\s+at /m);
  });

  it("an unknown flag is a usage error, not a crash", async () => {
    const result = await berth(["config", "--nope"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("unknown option '--nope'");
  });
});
