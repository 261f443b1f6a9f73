import { describe, expect, it } from "vitest";
import { serviceDefs } from "../../../../src/cli/commands/dashboard.js";
import { load } from "../../engine/helpers.js";

describe("the dashboard's services", () => {
  it("come in start order with their image, build, healthcheck, replicas and depends_on conditions", async () => {
    const loaded = await load(`
services:
  web:
    image: nginx:1
    depends_on:
      api: { condition: service_started }
  api:
    build: ./api
    scale: 2
    depends_on:
      db: { condition: service_healthy }
      migrate: { condition: service_completed_successfully }
  migrate:
    image: tool
    healthcheck: { disable: true }
  db:
    image: postgres:16
    healthcheck: { test: ["CMD", "pg_isready"] }
`);
    expect(serviceDefs(loaded)).toEqual([
      { name: "db", image: "postgres:16", build: false, healthcheck: true, replicas: 1, dependsOn: [] },
      { name: "migrate", image: "tool", build: false, healthcheck: false, replicas: 1, dependsOn: [] },
      {
        name: "api",
        image: "demo-api",
        build: true,
        healthcheck: false,
        replicas: 2,
        dependsOn: [
          { service: "db", condition: "service_healthy" },
          { service: "migrate", condition: "service_completed_successfully" },
        ],
      },
      {
        name: "web",
        image: "nginx:1",
        build: false,
        healthcheck: false,
        replicas: 1,
        dependsOn: [{ service: "api", condition: "service_started" }],
      },
    ]);
  });
});
