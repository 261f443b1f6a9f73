import { describe, expect, it } from "vitest";
import { GraphError } from "../../../src/errors.js";
import { buildGraph, type GraphService } from "../../../src/graph/graph.js";

const on = (...names: string[]): GraphService => ({
  depends_on: Object.fromEntries(names.map((n) => [n, { condition: "service_started", required: true }])),
});

function graphError(services: Record<string, GraphService>, disabled: string[] = []): string {
  try {
    buildGraph(services, { disabled: new Set(disabled) });
  } catch (error) {
    expect(error).toBeInstanceOf(GraphError);
    return (error as GraphError).describe();
  }
  throw new Error("expected a graph error");
}

describe("service graph", () => {
  it("orders dependencies before dependents", () => {
    const graph = buildGraph({ web: on("api"), api: on("db", "cache"), db: {}, cache: {} });
    const order = graph.startOrder();
    expect(order.indexOf("db")).toBeLessThan(order.indexOf("api"));
    expect(order.indexOf("cache")).toBeLessThan(order.indexOf("api"));
    expect(order.indexOf("api")).toBeLessThan(order.indexOf("web"));
    expect(graph.stopOrder()[0]).toBe("web");
  });

  it("names the whole cycle, starting from the first service in name order", () => {
    expect(graphError({ web: on("api"), api: on("db"), db: on("web") })).toBe(
      "dependency cycle detected: api -> db -> web -> api",
    );
  });

  it("reports a service that depends on itself", () => {
    expect(graphError({ a: on("a") })).toBe("dependency cycle detected: a -> a");
  });

  it("finds cycles through implicit dependencies", () => {
    expect(graphError({ a: { links: ["b:alias"] }, b: { network_mode: "service:a" } })).toBe(
      "dependency cycle detected: a -> b -> a",
    );
  });

  it("rejects a dependency on an undefined service", () => {
    expect(graphError({ web: on("ghost") })).toBe('service "web" depends on undefined service "ghost"');
  });

  it("says when the dependency exists but is disabled by profiles", () => {
    expect(graphError({ web: on("tool") }, ["tool"])).toBe(
      'service "web" depends on service "tool", which is not enabled by any active profile',
    );
  });

  it("drops a missing dependency marked required: false, with a warning", () => {
    const warnings: string[] = [];
    const graph = buildGraph(
      { web: { depends_on: { ghost: { condition: "service_started", required: false } } } },
      { onWarning: (m) => warnings.push(m) },
    );
    expect(graph.dependenciesOf("web").size).toBe(0);
    expect(warnings).toEqual([
      'service "web" depends on undefined service "ghost"; ignoring it as it is not required',
    ]);
  });

  it("derives dependencies from links, volumes_from and service: namespaces", () => {
    const graph = buildGraph({
      app: {
        links: ["db:database", "cache"],
        volumes_from: ["data:ro", "container:external"],
        network_mode: "service:net",
        ipc: "service:ipc",
        pid: "host",
      },
      db: {},
      cache: {},
      data: {},
      net: {},
      ipc: {},
    });
    expect([...graph.dependenciesOf("app").keys()].sort()).toEqual(["cache", "data", "db", "ipc", "net"]);
    expect(graph.dependenciesOf("app").get("db")).toEqual({
      condition: "service_started",
      required: true,
      restart: true,
    });
  });

  it("keeps an explicit condition over an implicit link", () => {
    const graph = buildGraph({
      app: { links: ["db"], depends_on: { db: { condition: "service_healthy", required: true } } },
      db: {},
    });
    expect(graph.dependenciesOf("app").get("db")?.condition).toBe("service_healthy");
  });

  it("collects transitive dependencies of named services", () => {
    const graph = buildGraph({ web: on("api"), api: on("db"), db: {}, other: {} });
    expect([...graph.withDependencies(["web"])].sort()).toEqual(["api", "db", "web"]);
    expect(graph.dependentsOf("db")).toEqual(["api"]);
  });

  it("handles a long chain without recursion trouble", () => {
    const services: Record<string, GraphService> = { s0: {} };
    for (let i = 1; i < 2000; i++) services[`s${i}`] = on(`s${i - 1}`);
    const order = buildGraph(services).startOrder();
    expect(order[0]).toBe("s0");
    expect(order[1999]).toBe("s1999");
  });
});
