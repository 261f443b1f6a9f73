/**
 * Which containers `down SERVICE…`, `restart [--no-deps]` and the `-p`-only lifecycle commands act
 * on: named services with their dependents (down), `restart: true` dependents (restart), and the
 * project read from the containers' labels when there is no compose file.
 */
import { describe, expect, it } from "vitest";
import { modelFromLabels } from "../../../src/engine/labelled-project.js";
import { planDown, planRestart, planStart, planStop } from "../../../src/engine/lifecycle.js";
import type { LoadedProject } from "../../../src/project/load.js";
import { container, load, network, state } from "./helpers.js";

const YAML = `
services:
  db:
    image: busybox
  api:
    image: busybox
    depends_on: { db: { condition: service_healthy, restart: true } }
  web:
    image: busybox
    depends_on: [api]
  cache:
    image: busybox
`;

function running(loaded: LoadedProject) {
  return state(loaded, {
    containers: ["api", "cache", "db", "web"].map((service) =>
      container(loaded, { service, number: 1, status: "running" }),
    ),
    networks: [network("demo_default")],
  });
}

const model = (loaded: LoadedProject) => ({ project: loaded.project, graph: loaded.graph });

const removed = (plan: { nodes: readonly { op: { kind: string; display?: string } }[] }) =>
  plan.nodes.filter((n) => n.op.kind === "RemoveContainer").map((n) => n.op.display);

describe("down SERVICE…", () => {
  it("removes the named services and what depends on them, leaves the rest, still tries the network", async () => {
    const loaded = await load(YAML);
    const observed = running(loaded);
    const plan = planDown("demo", model(loaded), observed, { services: ["api"] });
    expect(removed(plan).sort()).toEqual(["demo-api-1", "demo-web-1"]);
    expect(plan.nodes.filter((n) => n.op.kind === "RemoveNetwork")).toHaveLength(1);
    // From the labels alone (`-p` and no file), the same; an unknown name is nothing to remove.
    expect(removed(planDown("demo", undefined, observed, { services: ["api"] })).sort()).toEqual([
      "demo-api-1",
      "demo-web-1",
    ]);
    expect(removed(planDown("demo", undefined, observed, { services: ["gone"] }))).toEqual([]);
  });
});

describe("restart", () => {
  it("brings along the services that depend on a named one with restart: true, unless --no-deps", async () => {
    const loaded = await load(YAML);
    const observed = running(loaded);
    const restarted = (noDeps: boolean) =>
      planRestart(model(loaded), observed, ["db"], undefined, noDeps)
        .nodes.map((n) => (n.op.kind === "RestartContainer" ? n.op.display : ""))
        .sort();
    // api depends on db with restart: true; web on api without it.
    expect(restarted(false)).toEqual(["demo-api-1", "demo-db-1"]);
    expect(restarted(true)).toEqual(["demo-db-1"]);
  });
});

describe("a project known only by its labels", () => {
  it("keeps the dependency order and the conditions its labels record", async () => {
    const loaded = await load(YAML);
    const observed = state(loaded, {
      containers: ["api", "cache", "db", "web"].map((service) =>
        container(loaded, { service, number: 1, status: "exited" }),
      ),
    });
    const fromLabels = modelFromLabels("demo", observed);
    expect(Object.keys(fromLabels.project.services).sort()).toEqual(["api", "cache", "db", "web"]);
    expect(planStart(fromLabels, observed).toString()).toBe(planStart(model(loaded), observed).toString());
    const up = running(loaded);
    expect(planStop(modelFromLabels("demo", up), up).toString()).toBe(planStop(model(loaded), up).toString());
    expect(planRestart(modelFromLabels("demo", up), up, ["db"]).toString()).toBe(
      planRestart(model(loaded), up, ["db"]).toString(),
    );
  });
});
