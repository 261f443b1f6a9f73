/**
 * The Docker backend must turn the engine's JSON into berth's types without losing or inventing
 * anything: nulls become empty, the zero time becomes undefined, the list's status text gives its
 * health and exit code. The inputs are trimmed copies of what Docker 20.10 (API 1.41) answers.
 */
import { describe, expect, it } from "vitest";
import {
  primaryName,
  toContainerState,
  toContainerSummary,
  toDate,
  toImageInfo,
  toImageSummary,
  toNetworkInfo,
  toVolumeInfo,
} from "../../../src/runtime/docker/convert.js";
import type { WireContainerInspect, WireContainerSummary } from "../../../src/runtime/docker/wire.js";

const NEVER = "0001-01-01T00:00:00Z";

/** `GET /containers/{id}/json` for a running web container with a healthcheck and a published port. */
const runningInspect: WireContainerInspect = {
  Id: "4f3c2b1a",
  Created: "2024-05-01T09:55:00.123456789Z",
  Name: "/demo-web-1",
  Image: "sha256:aaaa",
  RestartCount: 2,
  State: {
    Status: "running",
    Running: true,
    Paused: false,
    Restarting: false,
    OOMKilled: false,
    Dead: false,
    Pid: 4242,
    ExitCode: 0,
    Error: "",
    StartedAt: "2024-05-01T09:55:01.5Z",
    FinishedAt: NEVER,
    Health: {
      Status: "healthy",
      Log: [
        { Start: "2024-05-01T09:59:00Z", End: "2024-05-01T09:59:00.2Z", ExitCode: 1, Output: "refused\n" },
        { Start: "2024-05-01T09:59:30Z", End: "2024-05-01T09:59:30.1Z", ExitCode: 0, Output: "ok\n" },
      ],
    },
  },
  Config: {
    Image: "nginx:1.27-alpine",
    Labels: { "com.docker.compose.project": "demo", "com.docker.compose.service": "web" },
    Tty: false,
  },
  HostConfig: { PortBindings: { "80/tcp": [{ HostIp: "", HostPort: "" }] } },
  NetworkSettings: {
    Ports: {
      "80/tcp": [
        { HostIp: "0.0.0.0", HostPort: "49153" },
        { HostIp: "::", HostPort: "49153" },
      ],
      "443/tcp": null,
    },
    Networks: {
      demo_default: {
        NetworkID: "net1",
        IPAddress: "172.18.0.2",
        Aliases: ["demo-web-1", "web", "4f3c2b1a"],
      },
    },
  },
  Mounts: [
    {
      Type: "volume",
      Name: "demo_data",
      Source: "/var/lib/docker/volumes/demo_data/_data",
      Destination: "/data",
      RW: true,
    },
    { Type: "bind", Name: "", Source: "/srv/conf", Destination: "/etc/nginx/conf.d", RW: false },
  ],
};

describe("toContainerState", () => {
  it("maps a running container: health and its newest probe, live ports, networks, mounts; no exit code", () => {
    expect(toContainerState(runningInspect)).toEqual({
      id: "4f3c2b1a",
      name: "demo-web-1",
      image: "nginx:1.27-alpine",
      imageId: "sha256:aaaa",
      labels: { "com.docker.compose.project": "demo", "com.docker.compose.service": "web" },
      created: new Date("2024-05-01T09:55:00.123Z"),
      status: "running",
      running: true,
      exitCode: undefined,
      pid: 4242,
      startedAt: new Date("2024-05-01T09:55:01.5Z"),
      finishedAt: undefined,
      health: "healthy",
      healthProbe: {
        exitCode: 0,
        output: "ok\n",
        start: new Date("2024-05-01T09:59:30Z"),
        end: new Date("2024-05-01T09:59:30.1Z"),
      },
      restartCount: 2,
      oomKilled: false,
      error: undefined,
      tty: false,
      stdinOpen: false,
      networks: {
        demo_default: {
          networkId: "net1",
          ipAddress: "172.18.0.2",
          aliases: ["demo-web-1", "web", "4f3c2b1a"],
        },
      },
      ports: [
        { containerPort: 80, protocol: "tcp", hostIp: "0.0.0.0", hostPort: "49153" },
        { containerPort: 80, protocol: "tcp", hostIp: "::", hostPort: "49153" },
      ],
      mounts: [
        {
          type: "volume",
          source: "/var/lib/docker/volumes/demo_data/_data",
          target: "/data",
          name: "demo_data",
          readOnly: false,
        },
        { type: "bind", source: "/srv/conf", target: "/etc/nginx/conf.d", name: undefined, readOnly: true },
      ],
    });
  });

  it("gives an exited container its exit code and finish time, and the ports it asked for", () => {
    const state = toContainerState({
      ...runningInspect,
      State: {
        Status: "exited",
        Running: false,
        ExitCode: 137,
        OOMKilled: true,
        Pid: 0,
        Error: "",
        StartedAt: "2024-05-01T09:55:01Z",
        FinishedAt: "2024-05-01T09:58:00Z",
        Health: null,
      },
      NetworkSettings: { Ports: {}, Networks: null },
      HostConfig: { PortBindings: { "53/udp": [{ HostIp: "127.0.0.1", HostPort: "5353" }] } },
    });
    expect(state).toMatchObject({
      status: "exited",
      running: false,
      exitCode: 137,
      pid: undefined,
      finishedAt: new Date("2024-05-01T09:58:00Z"),
      health: undefined,
      healthProbe: undefined,
      oomKilled: true,
      networks: {},
      ports: [{ containerPort: 53, protocol: "udp", hostIp: "127.0.0.1", hostPort: "5353" }],
    });
  });

  it("reads the status from the flags when an old engine sends none, and never reports a created container's 0", () => {
    const base = { Id: "x", State: { StartedAt: NEVER, FinishedAt: NEVER, ExitCode: 0 } };
    expect(toContainerState(base)).toMatchObject({
      status: "created",
      exitCode: undefined,
      startedAt: undefined,
    });
    const flags = (more: object) => toContainerState({ Id: "x", State: { ...base.State, ...more } }).status;
    expect(flags({ Running: true, Paused: true })).toBe("paused");
    expect(flags({ Running: true, Restarting: true })).toBe("restarting");
    expect(flags({ Dead: true })).toBe("dead");
    expect(flags({ StartedAt: "2024-05-01T09:55:01Z" })).toBe("exited");
    expect(toContainerState({ Id: "x", State: { Status: "restarting", ExitCode: 1 } }).exitCode).toBe(1);
  });

  it("takes an engine that sends null for every map and list", () => {
    const state = toContainerState({
      Id: "x",
      Name: null,
      State: null,
      Config: { Labels: null, Image: null },
      HostConfig: { PortBindings: null },
      NetworkSettings: null,
      Mounts: null,
    });
    expect(state).toMatchObject({ name: "", image: "", labels: {}, networks: {}, ports: [], mounts: [] });
    expect(state.created).toEqual(new Date(0));
  });
});

/** One entry of `GET /containers/json?all=1`. */
const listed = (over: Partial<WireContainerSummary> = {}): WireContainerSummary => ({
  Id: "4f3c2b1a",
  Names: ["/demo-web-1"],
  Image: "nginx:1.27-alpine",
  ImageID: "sha256:aaaa",
  Command: "/docker-entrypoint.sh nginx -g 'daemon off;'",
  Created: 1714557300,
  Ports: [
    { IP: "0.0.0.0", PrivatePort: 80, PublicPort: 8080, Type: "tcp" },
    { PrivatePort: 443, Type: "tcp" },
  ],
  Labels: { "com.docker.compose.service": "web" },
  State: "running",
  Status: "Up 5 minutes (healthy)",
  Mounts: [
    { Name: "demo_data", Source: "/var/lib/docker/volumes/demo_data/_data", Driver: "local" },
    { Name: "", Source: "/srv/site", Driver: "" },
  ],
  NetworkSettings: { Networks: { demo_front: {}, demo_back: {} } },
  ...over,
});

describe("toContainerSummary", () => {
  it("maps a listed container, its ports, and the health its status text gives", () => {
    expect(toContainerSummary(listed())).toEqual({
      id: "4f3c2b1a",
      name: "demo-web-1",
      image: "nginx:1.27-alpine",
      imageId: "sha256:aaaa",
      labels: { "com.docker.compose.service": "web" },
      status: "running",
      statusText: "Up 5 minutes (healthy)",
      health: "healthy",
      exitCode: undefined,
      created: new Date(1714557300 * 1000),
      command: "/docker-entrypoint.sh nginx -g 'daemon off;'",
      ports: [
        { containerPort: 80, protocol: "tcp", hostIp: "0.0.0.0", hostPort: "8080" },
        { containerPort: 443, protocol: "tcp", hostIp: undefined, hostPort: undefined },
      ],
      mounts: [
        { name: "demo_data", source: "/var/lib/docker/volumes/demo_data/_data", driver: "local" },
        { name: undefined, source: "/srv/site", driver: undefined },
      ],
      networks: ["demo_back", "demo_front"],
    });
  });

  it("reads health and exit code from each of the engine's wordings (State.String())", () => {
    const fields = (State: string, Status: string) => {
      const s = toContainerSummary(listed({ State, Status }));
      return [s.status, s.health, s.exitCode];
    };
    expect(fields("running", "Up 2 seconds (health: starting)")).toEqual(["running", "starting", undefined]);
    expect(fields("running", "Up About an hour (unhealthy)")).toEqual(["running", "unhealthy", undefined]);
    expect(fields("running", "Up 3 minutes")).toEqual(["running", undefined, undefined]);
    expect(fields("paused", "Up 3 minutes (Paused)")).toEqual(["paused", undefined, undefined]);
    expect(fields("exited", "Exited (137) 3 seconds ago")).toEqual(["exited", undefined, 137]);
    expect(fields("exited", "Exited (0) 2 weeks ago")).toEqual(["exited", undefined, 0]);
    expect(fields("restarting", "Restarting (1) 4 seconds ago")).toEqual([
      "restarting",
      undefined,
      undefined,
    ]);
    expect(fields("created", "Created")).toEqual(["created", undefined, undefined]);
    expect(fields("dead", "Dead")).toEqual(["dead", undefined, undefined]);
  });

  it("says created for a state it does not know, and takes nulls", () => {
    const s = toContainerSummary({
      Id: "x",
      Names: null,
      State: "wat",
      Status: null,
      Ports: null,
      Labels: null,
    });
    expect(s).toMatchObject({
      name: "",
      status: "created",
      statusText: "",
      labels: {},
      ports: [],
      created: new Date(0),
    });
  });

  it("names a container by its own name, not a legacy link's alias", () => {
    expect(primaryName(["/other/db", "/demo-db-1"])).toBe("demo-db-1");
    expect(primaryName([])).toBe("");
  });
});

describe("images, networks, volumes", () => {
  it("maps an inspected image, its config's nulls as empty or undefined", () => {
    expect(
      toImageInfo({
        Id: "sha256:bbbb",
        RepoTags: ["berth-test:1"],
        RepoDigests: null,
        Created: "2024-05-01T09:00:00Z",
        Size: 1_234_567,
        Config: {
          Env: ["PATH=/bin"],
          Cmd: ["sh"],
          Entrypoint: null,
          WorkingDir: "",
          User: "",
          ExposedPorts: { "80/tcp": {} },
          Volumes: null,
          StopSignal: "SIGQUIT",
          Labels: null,
        },
      }),
    ).toEqual({
      id: "sha256:bbbb",
      repoTags: ["berth-test:1"],
      repoDigests: [],
      created: new Date("2024-05-01T09:00:00Z"),
      size: 1_234_567,
      labels: {},
      config: {
        env: ["PATH=/bin"],
        cmd: ["sh"],
        entrypoint: undefined,
        workingDir: undefined,
        user: undefined,
        exposedPorts: ["80/tcp"],
        volumes: [],
        stopSignal: "SIGQUIT",
      },
    });
  });

  it("drops the <none>:<none> placeholder of an untagged image", () => {
    expect(toImageSummary({ Id: "sha256:c", RepoTags: ["<none>:<none>"], Created: 10 })).toEqual({
      id: "sha256:c",
      repoTags: [],
      size: 0,
      labels: {},
      created: new Date(10_000),
    });
  });

  it("maps a network with its pools and attached containers", () => {
    expect(
      toNetworkInfo({
        Id: "net1",
        Name: "demo_default",
        Driver: "bridge",
        Internal: false,
        Attachable: true,
        EnableIPv6: false,
        Labels: { "com.docker.compose.network": "default" },
        Created: "2024-05-01T09:54:59.9Z",
        IPAM: {
          Driver: "default",
          Config: [{ Subnet: "172.18.0.0/16", Gateway: "172.18.0.1", IPRange: "" }],
        },
        Containers: { "4f3c2b1a": { Name: "demo-web-1", IPv4Address: "172.18.0.2/16" } },
      }),
    ).toEqual({
      id: "net1",
      name: "demo_default",
      driver: "bridge",
      internal: false,
      attachable: true,
      enableIPv6: false,
      labels: { "com.docker.compose.network": "default" },
      ipam: {
        driver: "default",
        pools: [
          { subnet: "172.18.0.0/16", ipRange: undefined, gateway: "172.18.0.1", auxAddresses: undefined },
        ],
      },
      containers: { "4f3c2b1a": { name: "demo-web-1", ipv4Address: "172.18.0.2/16" } },
      created: new Date("2024-05-01T09:54:59.9Z"),
    });
  });

  it("maps a volume, defaulting the driver to local", () => {
    expect(
      toVolumeInfo({ Name: "demo_data", Mountpoint: "/v/_data", CreatedAt: "2024-05-01T09:54:59Z" }),
    ).toEqual({
      name: "demo_data",
      driver: "local",
      mountpoint: "/v/_data",
      labels: {},
      options: {},
      created: new Date("2024-05-01T09:54:59Z"),
    });
  });

  it("reads the zero time and junk as no time", () => {
    expect(toDate(NEVER)).toBeUndefined();
    expect(toDate("yesterday")).toBeUndefined();
    expect(toDate(null)).toBeUndefined();
    expect(toDate("2024-05-01T09:55:01.123456789Z")).toEqual(new Date("2024-05-01T09:55:01.123Z"));
  });
});
