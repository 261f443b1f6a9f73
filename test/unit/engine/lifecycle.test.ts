/** down/stop/start/restart plans, as text: reverse dependency order, resources after containers. */
import { describe, expect, it } from "vitest";
import { planDown, planRestart, planStart, planStop } from "../../../src/engine/lifecycle.js";
import { PlanError } from "../../../src/engine/errors.js";
import type { LoadedProject } from "../../../src/project/load.js";
import { container, fakeId, foreign, load, network, state, volume } from "./helpers.js";

const YAML = `
services:
  db:
    image: busybox
    volumes: [data:/data]
  api:
    image: busybox
    depends_on: { db: { condition: service_healthy } }
  web:
    image: busybox
    depends_on: [api]
  cache:
    image: redis
volumes:
  data: {}
  shared: { external: true }
networks:
  outside: { external: true }
`;

function running(loaded: LoadedProject, status: "running" | "exited" = "running") {
  return state(loaded, {
    containers: ["api", "cache", "db", "web"].map((service) =>
      container(loaded, { service, number: 1, status }),
    ),
    networks: [network("demo_default")],
    volumes: [volume("demo_data")],
  });
}

const model = (loaded: LoadedProject) => ({ project: loaded.project, graph: loaded.graph });

describe("planDown", () => {
  it("removes every network of the project by ID, a duplicate of the same name too", async () => {
    const loaded = await load(YAML);
    const observed = running(loaded, "exited");
    const twin = { ...network("demo_default"), id: fakeId("twin"), created: new Date(1_800_000_000_000) };
    const withTwin = state(loaded, {
      containers: observed.containers.map((c) => c.summary),
      networks: [network("demo_default"), twin],
    });
    const plan = planDown("demo", model(loaded), withTwin);
    expect(plan.nodes.filter((n) => n.op.kind === "RemoveNetwork").map((n) => n.op)).toEqual([
      { kind: "RemoveNetwork", name: "demo_default", id: fakeId("demo_default") },
      { kind: "RemoveNetwork", name: "demo_default", id: fakeId("twin") },
    ]);
    // Without the file, from the labels alone, the same.
    expect(
      planDown("demo", undefined, withTwin).nodes.filter((n) => n.op.kind === "RemoveNetwork"),
    ).toHaveLength(2);
  });

  it("removes dependents first, independent services in parallel, then the network; volumes only with -v", async () => {
    const loaded = await load(YAML);
    expect(planDown("demo", model(loaded), running(loaded)).toString()).toBe(
      [
        "[1] container:web:1 StopContainer demo-web-1 (down)",
        "[2] <- #1 container:web:1 RemoveContainer demo-web-1 (down)",
        "[3] container:cache:1 StopContainer demo-cache-1 (down)",
        "[4] <- #3 container:cache:1 RemoveContainer demo-cache-1 (down)",
        "[5] <- #2 container:api:1 StopContainer demo-api-1 (down)",
        "[6] <- #5 container:api:1 RemoveContainer demo-api-1 (down)",
        "[7] <- #6 container:db:1 StopContainer demo-db-1 (down)",
        "[8] <- #7 container:db:1 RemoveContainer demo-db-1 (down)",
        "[9] <- #2,#4,#6,#8 network:default RemoveNetwork demo_default (down)",
        "",
      ].join("\n"),
    );
    const withVolumes = planDown("demo", model(loaded), running(loaded, "exited"), { volumes: true });
    expect(withVolumes.toString()).toBe(
      [
        "[1] container:web:1 RemoveContainer demo-web-1 (down)",
        "[2] container:cache:1 RemoveContainer demo-cache-1 (down)",
        "[3] <- #1 container:api:1 RemoveContainer demo-api-1 (down)",
        "[4] <- #3 container:db:1 RemoveContainer demo-db-1 (down)",
        "[5] <- #1,#2,#3,#4 network:default RemoveNetwork demo_default (down)",
        "[6] <- #1,#2,#3,#4 volume:data RemoveVolume demo_data (down -v)",
        "",
      ].join("\n"),
    );
    expect(withVolumes.nodes.every((n) => n.op.kind !== "RemoveContainer" || n.op.volumes)).toBe(true);
  });

  it("leaves orphans unless asked, and without a compose file works from the labels alone", async () => {
    const loaded = await load(YAML);
    const observed = state(loaded, {
      containers: [
        container(loaded, { service: "web", number: 1 }),
        container(loaded, { service: "api", number: 1 }),
        foreign("old", 1),
      ],
      networks: [network("demo_default")],
      volumes: [volume("demo_data")],
    });
    const kept = planDown("demo", model(loaded), observed);
    expect(kept.nodes.map((n) => n.resource)).not.toContain("container:old:1");
    // Left in place, they are named in the project's warning, in the words `up` uses (Compose's).
    expect(kept.warnings).toEqual([
      {
        resource: "project",
        id: "demo",
        text:
          "Found orphan containers (demo-old-1) for this project. If you removed or renamed this service " +
          "in your compose file, you can run this command with the --remove-orphans flag to clean it up.",
      },
    ]);
    const removed = planDown("demo", model(loaded), observed, { removeOrphans: true });
    expect(removed.warnings).toEqual([]);
    expect(removed.nodes.filter((n) => n.resource === "container:old:1").map((n) => n.reason)).toEqual([
      "orphaned container",
      "orphaned container",
    ]);
    // By labels: web's depends_on label names api, so web goes first; every labelled volume goes with -v.
    expect(planDown("demo", undefined, observed, { volumes: true }).toString()).toBe(
      [
        "[1] container:web:1 StopContainer demo-web-1 (down)",
        "[2] <- #1 container:web:1 RemoveContainer demo-web-1 (down)",
        "[3] container:old:1 StopContainer demo-old-1 (down)",
        "[4] <- #3 container:old:1 RemoveContainer demo-old-1 (down)",
        "[5] <- #2 container:api:1 StopContainer demo-api-1 (down)",
        "[6] <- #5 container:api:1 RemoveContainer demo-api-1 (down)",
        "[7] <- #2,#4,#6 network:demo_default RemoveNetwork demo_default (down)",
        "[8] <- #2,#4,#6 volume:demo_data RemoveVolume demo_data (down -v)",
        "",
      ].join("\n"),
    );
  });

  it("says so when there is nothing to remove, about the project, not a container", async () => {
    const loaded = await load(YAML);
    const plan = planDown("demo", undefined, state(loaded));
    expect(plan.isEmpty()).toBe(true);
    expect(plan.warnings.map((w) => `${w.resource} ${w.text}`)).toEqual([
      'project No resource found to remove for project "demo".',
    ]);
  });

  it("--rmi local removes only images the project builds", async () => {
    const loaded = await load(`
services:
  app:
    build: { context: . }
  db:
    image: busybox
`);
    const plan = planDown("demo", model(loaded), state(loaded), { rmi: "local" });
    expect(plan.toString()).toBe("[1] image:demo-app RemoveImage demo-app (--rmi local)\n");
  });
});

describe("planStop / planStart / planRestart", () => {
  it("stop goes dependents first; start waits on conditions; restart follows the start order", async () => {
    const loaded = await load(YAML);
    expect(planStop(model(loaded), running(loaded), ["db", "api"], 3).toString()).toBe(
      [
        "[1] container:api:1 StopContainer demo-api-1 (stop)",
        "[2] <- #1 container:db:1 StopContainer demo-db-1 (stop)",
        "",
      ].join("\n"),
    );
    expect(planStart(model(loaded), running(loaded, "exited")).toString()).toBe(
      [
        "[1] container:cache:1 StartContainer demo-cache-1 (start)",
        "[2] container:db:1 StartContainer demo-db-1 (start)",
        "[3] <- #2 service:db WaitCondition service_healthy (depends_on service_healthy)",
        "[4] <- #3 container:api:1 StartContainer demo-api-1 (start)",
        "[5] <- #4 container:web:1 StartContainer demo-web-1 (start)",
        "",
      ].join("\n"),
    );
    expect(planRestart(model(loaded), running(loaded), ["web", "api"]).toString()).toBe(
      [
        "[1] container:api:1 RestartContainer demo-api-1 (restart)",
        "[2] <- #1 container:web:1 RestartContainer demo-web-1 (restart)",
        "",
      ].join("\n"),
    );
  });

  it("start shares one wait per dependency and condition, naming every dependent, required when any requires it", async () => {
    const loaded = await load(`
services:
  db: { image: busybox }
  api: { image: busybox, depends_on: { db: { condition: service_healthy, required: false } } }
  web: { image: busybox, depends_on: { db: { condition: service_healthy } } }
`);
    const observed = state(loaded, {
      containers: ["api", "db", "web"].map((service) =>
        container(loaded, { service, number: 1, status: "exited" }),
      ),
    });
    const waits = planStart(model(loaded), observed)
      .nodes.filter((n) => n.op.kind === "WaitCondition")
      .map((n) => n.op);
    expect(waits).toEqual([
      {
        kind: "WaitCondition",
        service: "db",
        condition: "service_healthy",
        required: true,
        dependents: ["api", "web"],
      },
    ]);
  });

  it("start of a service without containers fails, naming it", async () => {
    const loaded = await load(YAML);
    expect(() => planStart(model(loaded), state(loaded), ["cache"])).toThrow(PlanError);
    expect(() => planStart(model(loaded), state(loaded), ["cache"])).toThrow(
      'service "cache" has no container to start',
    );
  });
});
