/**
 * `build`, `push` and `pull` through the built CLI on each runtime backend (Docker's builder, and
 * the native one: ../integration/orchestration/backends.ts), offline: images are built
 * `FROM scratch` with the host's busybox copied in, pushed to the local registry (127.0.0.1:5000),
 * removed and pulled back. Each test checks what a user observes: the files inside the image, the
 * exit code, what stderr says. Every image is tagged `berth-test/…-<run id>` and removed after.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import type { Runtime } from "../../src/runtime/runtime.js";
import { RUN_ID, TEST_LABEL } from "../integration/engine.js";
import { BUSYBOX_PATH } from "../integration/images.js";
import { BACKENDS, useBackend } from "../integration/orchestration/backends.js";
import { backendCli, type BackendCli } from "./backend-cli.js";

const REGISTRY = process.env["BERTH_TEST_REGISTRY"] ?? "127.0.0.1:5000";

let runtime: Runtime;
let image: string;
/** The CLI on the backend under test (set by each describe's `beforeAll`). */
let cli: BackendCli;
const dirs: string[] = [];
const projects: string[] = [];
const images: string[] = [];

/**
 * A project directory: `compose.yaml` (its project named for the test and run) with these
 * `services`, and the `app/` build context holding busybox and `files`.
 */
function fixture(
  name: string,
  services: string,
  files: Record<string, string>,
): { dir: string; project: string } {
  const project = `berth-e2e-img-${runtime.kind}-${name}-${RUN_ID}`;
  const dir = mkdtempSync(path.join(tmpdir(), `berth-e2e-img-${name}-`));
  mkdirSync(path.join(dir, "app"));
  copyFileSync(BUSYBOX_PATH, path.join(dir, "app", "busybox"));
  for (const [file, text] of Object.entries(files)) writeFileSync(path.join(dir, "app", file), text);
  writeFileSync(path.join(dir, "compose.yaml"), `name: ${project}\nservices:\n${services}`);
  dirs.push(dir);
  projects.push(project);
  return { dir, project };
}

/** A service that builds `reference` from `app/`, with more `build:` keys if given (indented by 6). */
function built(service: string, reference: string, more = ""): string {
  return `
  ${service}:
    image: ${reference}
    build:
      context: ./app
      labels: { ${TEST_LABEL}: "${RUN_ID}" }
${more}`;
}

/** A tag for this run, removed after the suite. */
function tag(name: string, registry = false): string {
  const reference = `${registry ? `${REGISTRY}/` : ""}berth-test/${name}-${runtime.kind}-${RUN_ID}:v1`;
  images.push(reference);
  return reference;
}

/** What `sh -c script` prints in a container of `reference` (run with busybox, removed after). */
async function runIn(reference: string, script: string): Promise<string> {
  const { id } = await runtime.containers.create({
    name: `berth-e2e-img-run-${RUN_ID}-${Math.random().toString(36).slice(2, 8)}`,
    image: reference,
    entrypoint: ["/bin/busybox", "sh", "-c"],
    command: [script],
    labels: { [TEST_LABEL]: RUN_ID },
  });
  try {
    await runtime.containers.start(id);
    await runtime.containers.wait(id, { signal: AbortSignal.timeout(20_000) });
    const lines: string[] = [];
    for await (const line of runtime.containers.logs(id, {})) lines.push(line.line);
    return lines.join("\n");
  } finally {
    await runtime.containers.remove(id, { force: true });
  }
}

const b = (dir: string, args: readonly string[]) => cli.berth(["--progress", "plain", ...args], { cwd: dir });

/** Three stages from scratch: `final` is the target; `unused`, last, is what a build without it makes. */
const MULTI_STAGE = `FROM scratch AS base
COPY busybox /bin/busybox
ARG GREETING=default
ARG OTHER=default
COPY . /ctx/
RUN ["/bin/busybox", "sh", "-c", "echo $GREETING > /greeting; echo $OTHER > /other"]
FROM base AS final
RUN ["/bin/busybox", "touch", "/final"]
FROM base AS unused
RUN ["/bin/busybox", "touch", "/unused"]
`;

const STAGE_AND_ARGS = "      target: final\n      args: { GREETING: from-file, OTHER: from-file }\n";

describe.each(BACKENDS)("berth build / push / pull ($name)", (backend) => {
  const suite = useBackend(backend);
  const it = suite.it;

  beforeAll(() => {
    if (!backend.available) return;
    ({ runtime, image } = suite.opened);
    cli = backendCli(suite);
  });

  afterAll(async () => {
    if (!backend.available) return;
    for (const reference of images.splice(0))
      await runtime.images.remove(reference, { force: true }).catch(() => {});
    for (const project of projects.splice(0)) {
      await cli.berth(["-p", project, "down", "-t", "0"], { cwd: tmpdir() });
      expect(await suite.opened.leaks(project)).toEqual([]);
    }
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("build must honour .dockerignore, args, --build-arg and target, and build a shared image once", async () => {
    const ref = tag("built");
    const { dir } = fixture(
      "build",
      built("web", ref, STAGE_AND_ARGS) + built("worker", ref, STAGE_AND_ARGS),
      {
        Dockerfile: MULTI_STAGE,
        ".dockerignore": "secret.txt\n*.log\n",
        "keep.txt": "k\n",
        "secret.txt": "s\n",
        "x.log": "l\n",
      },
    );
    const result = await b(dir, ["build", "--build-arg", "GREETING=from-flag"]);
    expect(result.stderr).toContain(`Image ${ref}  Built`);
    expect(result.exitCode).toBe(0);
    // One image, one build: the two services share it.
    expect(result.stderr.split("\n").filter((l) => l.includes(`Image ${ref}  Built`))).toHaveLength(1);
    expect(
      result.stderr.split("\n").filter((l) => /Step 1\/\d+ : FROM scratch AS base/.test(l)),
    ).toHaveLength(1);

    const out = await runIn(ref, "cat /greeting /other; ls -a /ctx; ls /final /unused 2>&1");
    const lines = out.split("\n");
    expect(lines.slice(0, 2)).toEqual(["from-flag", "from-file"]);
    expect(out).toContain("keep.txt");
    expect(out).not.toContain("secret.txt");
    expect(out).not.toContain("x.log");
    expect(out).toContain("/final");
    expect(out).toMatch(/\/unused.*No such file/);
  }, 60_000);

  it("build must make a dependency's image before the image built FROM it", async () => {
    const base = tag("base");
    const top = tag("top");
    const { dir } = fixture(
      "order",
      built("app", top, `      dockerfile_inline: "FROM ${base}\\nCOPY keep.txt /top.txt\\n"\n`) +
        "    depends_on: [base]\n" +
        built("base", base),
      { Dockerfile: "FROM scratch\nCOPY busybox /bin/busybox\n", "keep.txt": "k\n" },
    );
    const result = await b(dir, ["build"]);
    expect(result.stderr).toContain(`Image ${top}  Built`);
    expect(result.exitCode).toBe(0);
    expect(await runIn(top, "cat /top.txt")).toBe("k");
  }, 60_000);

  it("build must take a dockerfile_inline, and not copy it into the image", async () => {
    const ref = tag("inline");
    const { dir } = fixture(
      "inline",
      built(
        "app",
        ref,
        "      dockerfile_inline: |\n        FROM scratch\n        COPY busybox /bin/busybox\n        COPY . /ctx/\n",
      ),
      { "keep.txt": "k\n" },
    );
    const result = await b(dir, ["build", "-q"]);
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    const out = await runIn(ref, "ls -a /ctx");
    expect(out).toContain("keep.txt");
    expect(out).not.toContain(".dockerfile.");
  }, 60_000);

  it("a failing build step must exit 1 and show what the step printed", async () => {
    const ref = tag("broken");
    const { dir } = fixture("broken", built("app", ref), {
      Dockerfile: `FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "sh", "-c", "echo step-output-marker; exit 3"]\n`,
    });
    const result = await b(dir, ["build"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/returned a non-zero code: 3/);
    // What the step printed comes after the error, as a hint, on both runtimes.
    expect(result.stderr).toMatch(/hint: the step printed:\nstep-output-marker/);
    expect(await runtime.images.inspect(ref)).toBeUndefined();
    // The failed step's container is not left behind (the build sets forcerm).
    const left = await runtime.containers.list({ all: true, labels: [`${TEST_LABEL}=${RUN_ID}`] });
    expect(left.filter((c) => c.image.startsWith("sha256:") || /^[0-9a-f]{12}$/.test(c.image))).toEqual([]);
  }, 60_000);

  it("push must put the image in the registry, and pull must bring it back once removed", async () => {
    const ref = tag("pushed", true);
    const { dir } = fixture("push", `${built("app", ref)}  plain:\n    image: ${image}\n`, {
      Dockerfile: "FROM scratch\nCOPY busybox /bin/busybox\n",
    });
    expect((await b(dir, ["build", "app"])).exitCode).toBe(0);
    const made = await runtime.images.inspect(ref);
    expect(made).toBeDefined();
    // The tag time `pull_policy: daily` and the like compare against (Metadata.LastTagTime).
    expect(Date.now() - (made?.lastTagTime?.getTime() ?? 0)).toBeLessThan(60_000);

    const pushed = await b(dir, ["push"]);
    expect(pushed.stderr).toContain(`Image ${ref}  Pushed`);
    expect(pushed.stderr).toContain("Image plain  Skipped");
    expect(pushed.exitCode).toBe(0);

    await runtime.images.remove(ref, { force: true });
    expect(await runtime.images.inspect(ref)).toBeUndefined();
    const pulled = await b(dir, ["pull", "app"]);
    expect(pulled.stderr).toContain(`Image ${ref}  Pulled`);
    expect(pulled.exitCode).toBe(0);
    expect((await runtime.images.inspect(ref))?.id).toBe(made?.id);
  }, 60_000);

  it("pull must fail on an unreachable image, and --ignore-pull-failures must go on past it", async () => {
    const gone = tag("unreachable").replace("berth-test/", "127.0.0.1:1/berth-test/");
    const { dir } = fixture(
      "unreachable",
      `
  gone:
    image: ${gone}
  local:
    image: ${image}
    pull_policy: missing
`,
      {},
    );
    const failing = await b(dir, ["pull"]);
    expect(failing.exitCode).toBe(1);
    expect(failing.stderr).toContain(`Image ${gone}  Error`);

    const ignoring = await b(dir, ["pull", "--ignore-pull-failures"]);
    expect(ignoring.stderr).toContain(`Image ${gone}  Warning`);
    expect(ignoring.stderr).toContain(`Image ${image}  Skipped  Image is already present locally`);
    expect(ignoring.exitCode).toBe(0);
  }, 60_000);

  it("up must fail clearly when a pull_policy: never image is missing", async () => {
    const missing = tag("never");
    const { dir } = fixture(
      "never",
      `
  app:
    image: ${missing}
    pull_policy: never
    labels: { ${TEST_LABEL}: "${RUN_ID}" }
`,
      {},
    );
    const result = await b(dir, ["up", "-d"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      `image ${missing} for service "app" is not present and its pull policy is never`,
    );
  }, 30_000);
});
