/** `ps` must print what `docker compose ps` prints: the same columns, alignment, port text and JSON fields. */
import { describe, expect, it } from "vitest";
import type { ContainerSummary } from "../../../src/runtime/runtime.js";
import { displayPorts, ellipsis, psJson, psTable } from "../../../src/ui/plain/ps-format.js";

const now = new Date("2024-05-01T10:00:00Z");
const container = (over: Partial<ContainerSummary> = {}): ContainerSummary => ({
  id: "0123456789abcdef",
  name: "webapp-web-1",
  image: "nginx:1.27-alpine",
  imageId: "sha256:abc",
  labels: { "com.docker.compose.project": "webapp", "com.docker.compose.service": "web" },
  status: "running",
  statusText: "Up 5 minutes (healthy)",
  health: "healthy",
  created: new Date(now.getTime() - 5 * 60_000),
  ports: [
    { containerPort: 80, protocol: "tcp", hostIp: "0.0.0.0", hostPort: "8080" },
    { containerPort: 443, protocol: "tcp" },
  ],
  command: "/docker-entrypoint.sh nginx -g 'daemon off;'",
  ...over,
});

describe("ps table", () => {
  it("prints Compose's columns, aligned like Docker's tabwriter (min 10 wide, 3 spaces padding)", () => {
    const text = psTable(
      [
        container(),
        container({
          name: "webapp-db-1",
          image: "postgres:16",
          labels: { "com.docker.compose.service": "db" },
          statusText: "Exited (0) 2 seconds ago",
          ports: [],
          command: "docker-entrypoint.sh postgres",
        }),
      ],
      now,
    );
    expect(text).toBe(
      [
        "NAME           IMAGE               COMMAND                  SERVICE   CREATED         STATUS                     PORTS",
        'webapp-web-1   nginx:1.27-alpine   "/docker-entrypoint.…"   web       5 minutes ago   Up 5 minutes (healthy)     443/tcp, 0.0.0.0:8080->80/tcp',
        'webapp-db-1    postgres:16         "docker-entrypoint.s…"   db        5 minutes ago   Exited (0) 2 seconds ago   ',
        "",
      ].join("\n"),
    );
  });

  it("folds consecutive ports into ranges, brackets IPv6, and lists remapped ports last", () => {
    expect(
      displayPorts([
        { containerPort: 8001, protocol: "tcp", hostIp: "0.0.0.0", hostPort: "8001" },
        { containerPort: 8000, protocol: "tcp", hostIp: "0.0.0.0", hostPort: "8000" },
        { containerPort: 8002, protocol: "tcp", hostIp: "0.0.0.0", hostPort: "8002" },
        { containerPort: 80, protocol: "tcp", hostIp: "::", hostPort: "8080" },
        { containerPort: 53, protocol: "udp" },
      ]),
    ).toBe("53/udp, 0.0.0.0:8000-8002->8000-8002/tcp, [::]:8080->80/tcp");
    expect(displayPorts([])).toBe("");
  });

  it("cuts long commands with an ellipsis", () => {
    expect(ellipsis("short", 20)).toBe("short");
    expect(ellipsis("a".repeat(25), 20)).toBe(`${"a".repeat(19)}…`);
  });
});

describe("ps json", () => {
  it("uses Compose's field names, with the runtime's health and exit code", () => {
    expect(psJson(container())).toEqual({
      ID: "0123456789abcdef",
      Name: "webapp-web-1",
      Image: "nginx:1.27-alpine",
      Command: "/docker-entrypoint.sh nginx -g 'daemon off;'",
      Project: "webapp",
      Service: "web",
      Created: Math.floor(now.getTime() / 1000) - 300,
      State: "running",
      Status: "Up 5 minutes (healthy)",
      Health: "healthy",
      ExitCode: 0,
      Publishers: [
        { URL: "0.0.0.0", TargetPort: 80, PublishedPort: 8080, Protocol: "tcp" },
        { URL: "", TargetPort: 443, PublishedPort: 0, Protocol: "tcp" },
      ],
      Labels: { "com.docker.compose.project": "webapp", "com.docker.compose.service": "web" },
    });
    const exited = psJson(
      container({
        status: "exited",
        statusText: "Exited (137) 3 seconds ago",
        health: undefined,
        exitCode: 137,
      }),
    );
    expect([exited.State, exited.Health, exited.ExitCode]).toEqual(["exited", "", 137]);
  });
});
