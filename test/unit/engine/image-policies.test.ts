/**
 * What `up`, `pull`, `push` and `build` decide about images, in pure code: `pull_policy` refresh
 * windows (daily, weekly, every_<n><unit>) against the image's last tag time, and the services each
 * image verb acts on or skips, as Compose decides them.
 */
import { describe, expect, it } from "vitest";
import { planBuilds } from "../../../src/engine/build.js";
import { pullPolicyOf } from "../../../src/engine/desired.js";
import { observedState } from "../../../src/engine/observe.js";
import { planPulls } from "../../../src/engine/pull.js";
import { planPushes } from "../../../src/engine/push.js";
import { reconcile } from "../../../src/engine/reconcile.js";
import { load } from "./helpers.js";

const HOUR = 3_600_000;
const NOW = Date.parse("2026-06-01T12:00:00Z");

describe("pull_policy", () => {
  it("reads compose-go's policies: refresh windows in ms, if_not_present and unknown as missing", () => {
    expect(pullPolicyOf("daily")).toEqual({ kind: "refresh", everyMs: 24 * HOUR });
    expect(pullPolicyOf("weekly")).toEqual({ kind: "refresh", everyMs: 7 * 24 * HOUR });
    expect(pullPolicyOf("every_1d12h")).toEqual({ kind: "refresh", everyMs: 36 * HOUR });
    expect(pullPolicyOf("every_90s")).toEqual({ kind: "refresh", everyMs: 90_000 });
    expect(pullPolicyOf("if_not_present")).toEqual({ kind: "missing" });
    expect(pullPolicyOf(undefined)).toEqual({ kind: "missing" });
    expect(pullPolicyOf("build")).toEqual({ kind: "build" });
  });

  it("up pulls a present image once its refresh window has passed since it was last tagged", async () => {
    const loaded = await load(`
services:
  fresh: { image: example/fresh:1, pull_policy: daily }
  stale: { image: example/stale:1, pull_policy: every_12h }
  untimed: { image: example/untimed:1, pull_policy: weekly }
  absent: { image: example/absent:1, pull_policy: daily }
`);
    const observed = observedState("demo", {
      images: {
        "example/fresh:1": "sha256:1",
        "example/stale:1": "sha256:2",
        "example/untimed:1": "sha256:3",
      },
      imagesTaggedAt: {
        "example/fresh:1": new Date(NOW - 23 * HOUR),
        "example/stale:1": new Date(NOW - 13 * HOUR),
      },
    });
    const plan = reconcile(loaded.project, loaded.graph, observed, {}, { now: NOW });
    const pulls = plan.nodes.flatMap((n) => (n.op.kind === "PullImage" ? [n.op.reference] : []));
    expect(pulls.sort()).toEqual(["example/absent:1", "example/stale:1", "example/untimed:1"]);
  });
});

const IMAGES = `
services:
  api:
    image: registry.example/api:2
    build: ./api
    depends_on: [db]
  worker:
    image: registry.example/api:2
    build: ./api
  db:
    image: postgres:16
    pull_policy: missing
  cache:
    image: redis
    pull_policy: missing
  local:
    build: ./local
  off:
    image: example/off:1
    pull_policy: never
`;

describe("pull, push and build: what each acts on", () => {
  it("pull skips what Compose skips and pulls a shared image once", async () => {
    const loaded = await load(IMAGES);
    const present = new Set(["postgres:16", "redis"]);
    expect(planPulls(loaded, {}, (ref) => present.has(ref))).toEqual([
      { service: "api", pull: "registry.example/api:2" },
      // `latest` is expected to move: present, it is pulled all the same.
      { service: "cache", pull: "redis" },
      { service: "db", id: "postgres:16", skip: "Image is already present locally" },
      { service: "local", id: "local", skip: "No image to be pulled" },
      { service: "off", id: "example/off:1", skip: "" },
      { service: "worker", id: "registry.example/api:2", skip: "Image is already being pulled by api" },
    ]);
    expect(planPulls(loaded, { services: ["api"], includeDeps: true, policy: "always" }, () => true)).toEqual(
      [
        { service: "api", pull: "registry.example/api:2" },
        { service: "db", pull: "postgres:16" },
      ],
    );
  });

  it("push takes the services that build and name their image, each image once", async () => {
    const loaded = await load(IMAGES);
    expect(planPushes(loaded, {})).toEqual({
      push: ["registry.example/api:2"],
      skipped: ["cache", "db", "local", "off"],
    });
  });

  it("build takes the services with build:, a shared image once, --build-arg over build.args", async () => {
    const loaded = await load(`
services:
  a: { image: shared, build: { context: ., args: { X: file, Y: file, Z: file } } }
  b: { image: shared, build: . }
  c: { image: runs-only }
`);
    const planned = planBuilds(
      { ...loaded, project: { ...loaded.project, environment: { Y: "env" } } },
      { args: { X: "flag", Y: null, Z: null }, noCache: true },
    );
    expect(planned.map((p) => [p.reference, p.service, p.spec.args, p.spec.noCache])).toEqual([
      ["shared", "a", { X: "flag", Y: "env" }, true],
    ]);
  });

  it("build takes the named services alone, their dependencies with --with-dependencies", async () => {
    const loaded = await load(`
services:
  app: { build: ., depends_on: [base] }
  base: { build: ./base }
`);
    const refs = (withDependencies: boolean): string[] =>
      planBuilds(loaded, { services: ["app"], withDependencies }).map((p) => p.reference);
    expect(refs(false)).toEqual(["demo-app"]);
    expect(refs(true)).toEqual(["demo-app", "demo-base"]);
  });

  it("build refuses what only BuildKit does, in Compose's words", async () => {
    const loaded = await load(`
services:
  app: { build: { context: ., secrets: [token] } }
secrets:
  token: { environment: TOKEN }
`);
    expect(() => planBuilds(loaded, {})).toThrow(
      `service "app": the classic builder doesn't support secrets`,
    );
  });
});
