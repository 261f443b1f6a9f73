import { describe, expect, it } from "vitest";
import { criticalPath } from "../../../../src/ui/dashboard/critical-path.js";
import type { ServiceDef, UpTimeline } from "../../../../src/ui/dashboard/model.js";

const def = (name: string, deps: string[] = []): ServiceDef => ({
  name,
  image: name,
  build: false,
  healthcheck: false,
  replicas: 1,
  dependsOn: deps.map((service) => ({ service, condition: "service_started" })),
});

describe("critical path", () => {
  it("ends at the last service ready and walks back through the dependency that released each step", () => {
    const services = [
      def("db"),
      def("cache"),
      def("api", ["db", "cache"]),
      def("web", ["api"]),
      def("worker", ["db"]),
    ];
    const timeline: UpTimeline = {
      startedAt: 1_000,
      finishedAt: 4_000,
      source: "engine",
      services: {
        db: { started: 1_100, ready: 2_500 },
        cache: { started: 1_100, ready: 1_300 },
        api: { started: 2_600, ready: 3_000 },
        web: { started: 3_100, ready: 3_600 },
        worker: { started: 2_600, ready: 2_700 },
      },
    };
    expect(criticalPath(services, timeline)).toEqual({
      steps: [
        { service: "db", started: 100, ready: 1_500 },
        { service: "api", started: 1_600, ready: 2_000 },
        { service: "web", started: 2_100, ready: 2_600 },
      ],
      totalMs: 2_600,
    });
  });

  it("has nothing to say without a timeline or without any service timed", () => {
    expect(criticalPath([def("a")], undefined)).toBeUndefined();
    expect(
      criticalPath([def("a")], { startedAt: 0, finishedAt: 1, source: "engine", services: {} }),
    ).toBeUndefined();
  });
});
