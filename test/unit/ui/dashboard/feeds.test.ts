/**
 * The feeds against the fake runtime: containers listed and inspected at start, one log follower
 * per container (history only when asked), stats for running containers, events folded in and
 * answered by a re-inspection, and every stream ended by stop().
 */
import { describe, expect, it } from "vitest";
import { CONFIG_HASH_LABEL } from "../../../../src/engine/labels.js";
import { Feeds, type FollowRequest, type FollowTarget } from "../../../../src/ui/dashboard/feeds.js";
import { FakeRuntime } from "../../../fake-runtime.js";
import { state, testStore } from "./fixtures.js";

const tick = (ms = 10): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function until(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}

/** Project demo in the fake runtime; `up` makes a container as `up` labels it and starts it. */
async function project(containers: readonly (readonly [string, number, "exited"?])[]) {
  const runtime = new FakeRuntime();
  runtime.seedImage("busybox");
  const up = async (service: string, number: number): Promise<string> => {
    const { name, labels } = state(service, number);
    const { id } = await runtime.containers.create({
      name,
      image: "busybox",
      labels: { ...labels, [CONFIG_HASH_LABEL]: "abc" },
    });
    await runtime.containers.start(id);
    runtime.process(id).usage({ cpuPercent: 7 });
    return id;
  };
  const ids: Record<string, string> = {};
  for (const [service, number, exited] of containers) {
    const id = await up(service, number);
    if (exited) runtime.process(id).exit(0);
    ids[`${service}-${number}`] = id;
  }
  return { runtime, up, ids };
}

function recordingFollow() {
  const follows: { target: FollowTarget; request: FollowRequest }[] = [];
  const follow = async (target: FollowTarget, _output: unknown, request: FollowRequest): Promise<void> => {
    follows.push({ target, request });
    await until(request.signal);
  };
  return { follow, follows };
}

describe("feeds", () => {
  it("lists and inspects the containers, follows the running ones' current run, and streams their stats", async () => {
    const { runtime, ids } = await project([
      ["web", 1],
      ["db", 1, "exited"],
    ]);
    const store = testStore();
    const { follow, follows } = recordingFollow();
    const feeds = new Feeds({ runtime, store, follow });
    feeds.start();
    await tick(30);
    expect([...store.model.containers.values()].map((c) => [c.name, c.status]).sort()).toEqual([
      ["demo-db-1", "exited"],
      ["demo-web-1", "running"],
    ]);
    expect(follows.map((f) => [f.target.name, f.request.currentRun, f.request.tail])).toEqual([
      ["demo-web-1", true, undefined],
    ]);
    expect(store.model.usage.get(ids["web-1"] ?? "")?.cpuPercent).toBe(7);
    expect(runtime.openStreams).toEqual({ events: 1, stats: 1, logs: 0 });
    await feeds.stop();
    expect(runtime.openStreams).toEqual({ events: 0, stats: 0, logs: 0 });
  });

  it("with history, follows every container from its last lines", async () => {
    const { runtime } = await project([
      ["web", 1],
      ["db", 1, "exited"],
    ]);
    const { follow, follows } = recordingFollow();
    const feeds = new Feeds({ runtime, store: testStore(), follow, tail: 200 });
    feeds.start();
    await tick(30);
    expect(follows.map((f) => [f.target.name, f.request.currentRun, f.request.tail]).sort()).toEqual([
      ["demo-db-1", false, 200],
      ["demo-web-1", false, 200],
    ]);
    await feeds.stop();
  });

  it("folds events in: a new container is inspected, followed from its current run and measured; a removed one goes", async () => {
    const { runtime, up } = await project([]);
    const store = testStore();
    const { follow, follows } = recordingFollow();
    const feeds = new Feeds({ runtime, store, follow, tail: 200 });
    feeds.start();
    await tick(20);
    const api = await up("api", 1);
    await tick(30);
    expect(store.model.containers.get(api)?.status).toBe("running");
    expect(store.model.events.at(-1)).toMatchObject({ subject: "demo-api-1", text: "started" });
    expect(follows.map((f) => [f.target.name, f.request.currentRun])).toEqual([["demo-api-1", true]]);
    expect(runtime.openStreams.stats).toBe(1);

    await runtime.containers.remove(api, { force: true });
    await tick(30);
    expect(store.model.containers.has(api)).toBe(false);
    expect(runtime.openStreams.stats).toBe(0);
    await feeds.stop();
  });

  it("re-reads the whole project on a resync, dropping containers whose removal it missed", async () => {
    const { runtime, ids } = await project([["web", 1]]);
    const store = testStore();
    const { follow } = recordingFollow();
    const feeds = new Feeds({ runtime, store, follow, resyncMs: 20 });
    feeds.start();
    await tick(15);
    expect(store.model.containers.size).toBe(1);
    await runtime.withoutEvents(() => runtime.containers.remove(ids["web-1"] ?? "", { force: true }));
    await tick(60);
    expect(store.model.containers.size).toBe(0);
    await feeds.stop();
  });
});
