/** `ps` must print what `docker compose ps` prints: the same columns, alignment, port text and JSON fields. */
import { describe, expect, it } from "vitest";
import type { ContainerSummary } from "../../../src/runtime/runtime.js";
import { displayPorts, ellipsis, psFormat, psTable } from "../../../src/ui/plain/ps-format.js";

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

describe("ps --format json", () => {
  /** One container as `ps --format json` prints it (a line), parsed. */
  const json = (c: ContainerSummary, trunc = true): Record<string, unknown> => {
    const text = psFormat([c], now, "json", trunc);
    expect(text.endsWith("}\n") && text.split("\n").length === 2).toBe(true);
    return JSON.parse(text) as Record<string, unknown>;
  };
  const mounted = container({
    mounts: [
      { name: "webapp_data-volume-long", source: "/var/lib/docker/volumes/x/_data", driver: "local" },
      { source: "/srv/site" },
    ],
    networks: ["webapp_back", "webapp_default"],
    ports: [
      { containerPort: 443, protocol: "tcp" },
      { containerPort: 80, protocol: "tcp", hostIp: "0.0.0.0", hostPort: "8080" },
    ],
  });

  it("prints Compose v2's container context: every field, sorted, one object per line", () => {
    const row = json(mounted);
    expect(Object.keys(row)).toEqual([
      "Command",
      "CreatedAt",
      "ExitCode",
      "Health",
      "ID",
      "Image",
      "Labels",
      "LocalVolumes",
      "Mounts",
      "Name",
      "Names",
      "Networks",
      "Ports",
      "Project",
      "Publishers",
      "RunningFor",
      "Service",
      "Size",
      "State",
      "Status",
    ]);
    expect(row).toMatchObject({
      Command: '"/docker-entrypoint.…"',
      ExitCode: 0,
      Health: "healthy",
      ID: "0123456789ab",
      Image: "nginx:1.27-alpine",
      Labels: "com.docker.compose.project=webapp,com.docker.compose.service=web",
      LocalVolumes: "1",
      Mounts: "webapp_data-vo…,/srv/site",
      Name: "webapp-web-1",
      Names: "webapp-web-1",
      Networks: "webapp_back,webapp_default",
      Ports: "443/tcp, 0.0.0.0:8080->80/tcp",
      Project: "webapp",
      Publishers: [
        { URL: "0.0.0.0", TargetPort: 80, PublishedPort: 8080, Protocol: "tcp" },
        { URL: "", TargetPort: 443, PublishedPort: 0, Protocol: "tcp" },
      ],
      RunningFor: "5 minutes ago",
      Service: "web",
      Size: "0B",
      State: "running",
      Status: "Up 5 minutes (healthy)",
    });
    expect(row["CreatedAt"]).toMatch(/^2024-05-01 \d\d:55:00 [+-]\d{4} \S+$/);
  });

  it("--no-trunc keeps the ID, command and mount names whole; an exited container shows its exit code", () => {
    expect(json(mounted, false)).toMatchObject({
      Command: `"/docker-entrypoint.sh nginx -g 'daemon off;'"`,
      ID: "0123456789abcdef",
      Mounts: "webapp_data-volume-long,/srv/site",
    });
    const exited = json(
      container({
        status: "exited",
        statusText: "Exited (137) 3 seconds ago",
        health: undefined,
        exitCode: 137,
        ports: [],
      }),
    );
    expect([exited["State"], exited["Health"], exited["ExitCode"], exited["Publishers"]]).toEqual([
      "exited",
      "",
      137,
      [],
    ]);
  });
});
