/**
 * What the executor does when a run killed a moment earlier still had a create in flight: the
 * engine finishes it, so this run meets a network twin or a container holding its name. Against a
 * fake runtime that records calls; no clock.
 */
import { describe, expect, it } from "vitest";
import { recordingSink } from "../../../src/engine/events.js";
import { execute } from "../../../src/engine/execute.js";
import { PlanBuilder } from "../../../src/engine/plan.js";
import { ConflictError } from "../../../src/runtime/errors.js";
import type { ContainerSpec, ContainerState, NetworkInfo, Runtime } from "../../../src/runtime/runtime.js";
import { fakeId, network } from "./helpers.js";

const PROJECT = { "com.docker.compose.project": "demo" };

function twin(id: string, at: number, labels: Record<string, string> = PROJECT): NetworkInfo {
  return { ...network("demo_default", labels), id: fakeId(id), created: new Date(at) };
}

/** A runtime whose network create answers `create`, and whose listing by name answers `named`. */
function networksRuntime(create: () => Promise<{ id: string }>, named: NetworkInfo[]) {
  const removed: string[] = [];
  const runtime = {
    networks: {
      create,
      list: () => Promise.resolve(named),
      remove: (id: string) => {
        removed.push(id);
        return Promise.resolve();
      },
    },
  } as unknown as Runtime;
  return { runtime, removed };
}

function createNetworkPlan() {
  const plan = new PlanBuilder();
  plan.add(
    "network:default",
    { kind: "CreateNetwork", name: "demo_default", spec: { name: "demo_default", labels: PROJECT } },
    "not found",
  );
  return plan.build();
}

describe("execute: a create a killed run left in flight", () => {
  it("two networks of one name after the create: the project's oldest stays, the others go", async () => {
    const { runtime, removed } = networksRuntime(
      () => Promise.resolve({ id: fakeId("mine") }),
      [twin("mine", 2_000), twin("theirs", 1_000), twin("foreign", 500, {})],
    );
    await execute(runtime, createNetworkPlan(), recordingSink(), { project: "demo" });
    expect(removed).toEqual([fakeId("mine")]);
  });

  it("a create refused because the project's network exists counts as created; someone else's is an error", async () => {
    const refuse = () => Promise.reject(new ConflictError("network with name demo_default already exists"));
    const ours = networksRuntime(refuse, [twin("theirs", 1_000)]);
    await execute(ours.runtime, createNetworkPlan(), recordingSink(), { project: "demo" });
    expect(ours.removed).toEqual([]);

    const foreign = networksRuntime(refuse, [twin("foreign", 1_000, {})]);
    await expect(
      execute(foreign.runtime, createNetworkPlan(), recordingSink(), { project: "demo" }),
    ).rejects.toThrow(/already exists/);
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

  function containersRuntime(holder: Partial<ContainerState>) {
    const calls: string[] = [];
    let creates = 0;
    const runtime = {
      containers: {
        create: () => {
          calls.push("create");
          return ++creates === 1
            ? Promise.reject(new ConflictError(`The container name "/demo-web-1" is already in use`))
            : Promise.resolve({ id: fakeId("new"), warnings: [] });
        },
        inspect: () =>
          Promise.resolve({ id: fakeId("old"), status: "created", labels: spec.labels, ...holder }),
        remove: (id: string) => {
          calls.push(`remove ${id === fakeId("old") ? "old" : id}`);
          return Promise.resolve();
        },
      },
    } as unknown as Runtime;
    const plan = new PlanBuilder();
    plan.add(
      "container:web:1",
      { kind: "CreateContainer", name: spec.name, display: spec.name, spec, copies: [] },
      "no existing container",
    );
    return { run: () => execute(runtime, plan.build(), recordingSink(), { project: "demo" }), calls };
  }

  it("a never-started container of the same replica and config holding the name is replaced", async () => {
    const { run, calls } = containersRuntime({});
    await run();
    expect(calls).toEqual(["create", "remove old", "create"]);
  });

  it("a name held by a container that ran, or by another config, is a conflict", async () => {
    const ran = containersRuntime({ status: "exited" });
    await expect(ran.run()).rejects.toThrow(/already in use/);
    expect(ran.calls).toEqual(["create"]);

    const other = containersRuntime({ labels: { ...spec.labels, "com.docker.compose.config-hash": "old" } });
    await expect(other.run()).rejects.toThrow(/already in use/);
    expect(other.calls).toEqual(["create"]);
  });
});
