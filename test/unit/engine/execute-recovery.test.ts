/**
 * What the executor does when a run killed a moment earlier still had a create in flight: the
 * engine finishes it, so this run meets a network twin or a container holding its name. Against the
 * fake runtime, which records calls; no clock.
 */
import { describe, expect, it } from "vitest";
import { recordingSink } from "../../../src/engine/events.js";
import { execute } from "../../../src/engine/execute.js";
import { PlanBuilder } from "../../../src/engine/plan.js";
import type { ContainerSpec } from "../../../src/runtime/runtime.js";
import { FakeRuntime } from "../../fake-runtime.js";

const PROJECT = { "com.docker.compose.project": "demo" };
const NETWORK = { name: "demo_default", labels: PROJECT };

function createNetworkPlan() {
  const plan = new PlanBuilder();
  plan.add("network:default", { kind: "CreateNetwork", name: "demo_default", spec: NETWORK }, "not found");
  return plan.build();
}

/** The fake, told that racing creates of one name can both land (Networks.createMayDuplicate, as on Docker 20.10). */
function landingTwins(): FakeRuntime {
  const runtime = new FakeRuntime();
  Object.assign(runtime.networks, { createMayDuplicate: true });
  return runtime;
}

/** The IDs of the networks named demo_default, oldest first. */
async function networksNamed(runtime: FakeRuntime): Promise<string[]> {
  const listed = await runtime.networks.list({ name: "demo_default" });
  return listed.sort((a, b) => a.created.getTime() - b.created.getTime()).map((n) => n.id);
}

describe("execute: a create a killed run left in flight", () => {
  it("two networks of one name after the create: the project's oldest stays, the others go", async () => {
    const runtime = landingTwins();
    const twins: string[] = [];
    // The killed run's create lands while this run's is answered: seen by the listing that follows.
    runtime.before("networks.list", () => {
      if (twins.length > 0) return;
      twins.push(runtime.seedNetwork(NETWORK, { created: new Date(1_000) }));
      twins.push(runtime.seedNetwork({ name: "demo_default", labels: {} }, { created: new Date(500) }));
    });
    await execute(runtime, createNetworkPlan(), recordingSink(), { project: "demo" });
    expect(await networksNamed(runtime)).toEqual([twins[1], twins[0]]);
    expect(runtime.callsOf("networks.remove")).toHaveLength(1);
  });

  it("a create refused because the project's network exists counts as created; someone else's is an error", async () => {
    const ours = new FakeRuntime();
    const theirs = ours.seedNetwork(NETWORK, { created: new Date(1_000) });
    await execute(ours, createNetworkPlan(), recordingSink(), { project: "demo" });
    expect(ours.callsOf("networks.remove")).toEqual([]);
    expect(await networksNamed(ours)).toEqual([theirs]);

    const foreign = new FakeRuntime();
    foreign.seedNetwork({ name: "demo_default", labels: {} }, { created: new Date(1_000) });
    await expect(execute(foreign, createNetworkPlan(), recordingSink(), { project: "demo" })).rejects.toThrow(
      /already exists/,
    );
  });

  it("a runtime whose creates never land twins is asked for nothing more after a create", async () => {
    const runtime = new FakeRuntime();
    await execute(runtime, createNetworkPlan(), recordingSink(), { project: "demo" });
    expect(runtime.callsOf("networks.create")).toHaveLength(1);
    expect(runtime.callsOf("networks.list")).toEqual([]);
  });

  const spec: ContainerSpec = {
    name: "demo-web-1",
    image: "busybox",
    labels: {
      ...PROJECT,
      "com.docker.compose.service": "web",
      "com.docker.compose.container-number": "1",
      "com.docker.compose.config-hash": "abc",
    },
  };

  /** A runtime where `holder` (made, and run when `ran`) holds the name; run() executes a create of `spec`. */
  async function nameHeld(holder: ContainerSpec, ran = false) {
    const runtime = new FakeRuntime();
    runtime.seedImage("busybox");
    const old = (await runtime.containers.create(holder)).id;
    if (ran) {
      await runtime.containers.start(old);
      runtime.process(old).exit(0);
    }
    const plan = new PlanBuilder();
    plan.add(
      "container:web:1",
      { kind: "CreateContainer", name: spec.name, display: spec.name, spec, copies: [] },
      "no existing container",
    );
    const from = runtime.calls.length;
    const calls = (): string[] =>
      runtime.calls
        .slice(from)
        .filter((c) => c.op === "containers.create" || c.op === "containers.remove")
        .map((c) =>
          c.op === "containers.create" ? "create" : `remove ${c.args[0] === old ? "old" : "other"}`,
        );
    return {
      run: () => execute(runtime, plan.build(), recordingSink(), { project: "demo" }),
      calls,
      runtime,
      old,
    };
  }

  it("a never-started container of the same replica and config holding the name is replaced", async () => {
    const { run, calls, runtime, old } = await nameHeld(spec);
    await run();
    expect(calls()).toEqual(["create", "remove old", "create"]);
    const now = await runtime.containers.inspect("demo-web-1");
    expect(now?.id).not.toBe(old);
    expect(now?.status).toBe("created");
  });

  it("a name held by a container that ran, or by another config, is a conflict", async () => {
    const ran = await nameHeld(spec, true);
    await expect(ran.run()).rejects.toThrow(/already in use/);
    expect(ran.calls()).toEqual(["create"]);

    const other = await nameHeld({
      ...spec,
      labels: { ...spec.labels, "com.docker.compose.config-hash": "old" },
    });
    await expect(other.run()).rejects.toThrow(/already in use/);
    expect(other.calls()).toEqual(["create"]);
  });
});
