/**
 * The feeds against a scripted runtime: containers listed and inspected at start, one log follower
 * per container (history only when asked), stats for running containers, events folded in and
 * answered by a re-inspection, and every stream ended by stop().
 */
import { describe, expect, it } from "vitest";
import type {
  ContainerState,
  ContainerSummary,
  Runtime,
  RuntimeEvent,
  Stats,
} from "../../../../src/runtime/runtime.js";
import { Feeds, type FollowRequest, type FollowTarget } from "../../../../src/ui/dashboard/feeds.js";
import { state, testStore } from "./fixtures.js";

const tick = (ms = 10): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function until(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}

function scripted(initial: ContainerState[]) {
  const states = new Map(initial.map((s) => [s.id, s]));
  const queue: RuntimeEvent[] = [];
  let wake: () => void = () => undefined;
  const open = { events: 0, stats: 0 };
  const sample: Stats = {
    time: new Date(0),
    cpuPercent: 7,
    memoryUsageBytes: 1024,
    memoryLimitBytes: 0,
    networkRxBytes: 0,
    networkTxBytes: 0,
    blockReadBytes: 0,
    blockWriteBytes: 0,
    pids: 1,
  };
  const summary = (s: ContainerState): ContainerSummary => ({
    id: s.id,
    name: s.name,
    image: s.image,
    imageId: s.imageId,
    labels: s.labels,
    status: s.status,
    statusText: s.status,
    created: s.created,
    ports: s.ports,
  });
  const runtime = {
    containers: {
      list: async () => [...states.values()].map(summary),
      inspect: async (id: string) => states.get(id),
      stats: async function* (_id: string, options: { signal?: AbortSignal }) {
        open.stats++;
        try {
          yield sample;
          if (options.signal) await until(options.signal);
        } finally {
          open.stats--;
        }
      },
    },
    events: async function* (_filter: unknown, signal?: AbortSignal) {
      open.events++;
      try {
        while (!signal?.aborted) {
          const next = queue.shift();
          if (next) {
            yield next;
            continue;
          }
          await Promise.race([
            new Promise<void>((resolve) => (wake = resolve)),
            signal ? until(signal) : tick(1000),
          ]);
        }
      } finally {
        open.events--;
      }
    },
  } as unknown as Runtime;
  return {
    runtime,
    states,
    open,
    emit(event: { readonly action: "start" | "destroy"; readonly id: string; readonly name: string }) {
      queue.push({ type: "container", ...event, attributes: { name: event.name }, time: new Date(9_000) });
      wake();
    },
  };
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
    const world = scripted([
      state("web", 1),
      state("db", 1, { status: "exited", running: false, exitCode: 0 }),
    ]);
    const store = testStore();
    const { follow, follows } = recordingFollow();
    const feeds = new Feeds({ runtime: world.runtime, store, follow });
    feeds.start();
    await tick(30);
    expect([...store.model.containers.values()].map((c) => [c.name, c.status]).sort()).toEqual([
      ["demo-db-1", "exited"],
      ["demo-web-1", "running"],
    ]);
    expect(follows.map((f) => [f.target.name, f.request.currentRun, f.request.tail])).toEqual([
      ["demo-web-1", true, undefined],
    ]);
    expect(store.model.usage.get("demo-web-1-id")?.cpuPercent).toBe(7);
    expect(world.open).toEqual({ events: 1, stats: 1 });
    await feeds.stop();
    expect(world.open).toEqual({ events: 0, stats: 0 });
  });

  it("with history, follows every container from its last lines", async () => {
    const world = scripted([state("web", 1), state("db", 1, { status: "exited", running: false })]);
    const { follow, follows } = recordingFollow();
    const feeds = new Feeds({ runtime: world.runtime, store: testStore(), follow, tail: 200 });
    feeds.start();
    await tick(30);
    expect(follows.map((f) => [f.target.name, f.request.currentRun, f.request.tail]).sort()).toEqual([
      ["demo-db-1", false, 200],
      ["demo-web-1", false, 200],
    ]);
    await feeds.stop();
  });

  it("folds events in: a new container is inspected, followed from its current run and measured; a removed one goes", async () => {
    const world = scripted([]);
    const store = testStore();
    const { follow, follows } = recordingFollow();
    const feeds = new Feeds({ runtime: world.runtime, store, follow, tail: 200 });
    feeds.start();
    await tick(20);
    const api = state("api", 1);
    world.states.set(api.id, api);
    world.emit({ action: "start", id: api.id, name: api.name });
    await tick(30);
    expect(store.model.containers.get(api.id)?.status).toBe("running");
    expect(store.model.events.at(-1)).toMatchObject({ subject: "demo-api-1", text: "started" });
    expect(follows.map((f) => [f.target.name, f.request.currentRun])).toEqual([["demo-api-1", true]]);
    expect(world.open.stats).toBe(1);

    world.states.delete(api.id);
    world.emit({ action: "destroy", id: api.id, name: api.name });
    await tick(30);
    expect(store.model.containers.has(api.id)).toBe(false);
    expect(world.open.stats).toBe(0);
    await feeds.stop();
  });

  it("re-reads the whole project on a resync, dropping containers whose removal it missed", async () => {
    const web = state("web", 1);
    const world = scripted([web]);
    const store = testStore();
    const { follow } = recordingFollow();
    const feeds = new Feeds({ runtime: world.runtime, store, follow, resyncMs: 20 });
    feeds.start();
    await tick(15);
    expect(store.model.containers.size).toBe(1);
    world.states.delete(web.id);
    await tick(60);
    expect(store.model.containers.size).toBe(0);
    await feeds.stop();
  });
});
