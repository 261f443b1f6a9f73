/**
 * A ContainerSpec must reach the engine as the `POST /containers/create` body Docker Compose would
 * send: undefined fields left out (the image's and the engine's defaults apply), binds that may
 * create their source in `Binds`, and the fields that depend on the API version chosen from it.
 */
import { describe, expect, it } from "vitest";
import { endpointConfig, planCreate } from "../../../src/runtime/docker/container-spec.js";
import { InvalidRequestError } from "../../../src/runtime/errors.js";
import type { ContainerSpec } from "../../../src/runtime/runtime.js";

/** The body as it goes on the wire (JSON.stringify drops undefined). */
function wire(spec: ContainerSpec, apiVersion = "1.41"): unknown {
  return JSON.parse(JSON.stringify(planCreate(spec, apiVersion).body));
}

const minimal: ContainerSpec = { name: "demo-web-1", image: "nginx:1.27", labels: { a: "1" } };

const full: ContainerSpec = {
  name: "demo-web-1",
  image: "nginx:1.27",
  labels: { "com.docker.compose.service": "web" },
  command: ["nginx", "-g", "daemon off;"],
  entrypoint: ["/entry.sh"],
  env: { A: "1", EMPTY: "" },
  workingDir: "/app",
  user: "101:101",
  hostname: "web",
  domainname: "example.org",
  tty: true,
  stdinOpen: true,
  stopSignal: "SIGQUIT",
  stopTimeoutS: 3,
  exposedPorts: ["9000", "53/udp"],
  healthcheck: {
    test: ["CMD-SHELL", "wget -qO- localhost"],
    intervalNs: 1e9,
    timeoutNs: 2e9,
    startPeriodNs: 3e9,
    startIntervalNs: 4e9,
    retries: 5,
  },
  ports: [
    { containerPort: 80, protocol: "tcp", hostIp: "127.0.0.1", hostPort: "8080" },
    { containerPort: 80, protocol: "tcp", hostPort: "8081" },
    { containerPort: 443, protocol: "tcp" },
  ],
  mounts: [
    { type: "bind", source: "/srv/conf", target: "/etc/nginx/conf.d", readOnly: true, propagation: "rslave" },
    { type: "bind", source: "/srv/must-exist", target: "/data", createHostPath: false },
    { type: "volume", source: "demo_data", target: "/var/lib/data", noCopy: true },
    { type: "volume", target: "/cache" },
    { type: "tmpfs", target: "/run", sizeBytes: 65536, mode: 0o1770 },
  ],
  tmpfs: { "/tmp": "size=64m,noexec" },
  restart: { name: "on-failure", maximumRetryCount: 3 },
  networks: {
    demo_front: { aliases: ["web", "www"], ipv4Address: "172.30.0.10", macAddress: "02:42:ac:1e:00:0a" },
    demo_back: { aliases: ["web"] },
  },
  resources: {
    memoryBytes: 256 * 1024 * 1024,
    nanoCpus: 500_000_000,
    pidsLimit: 100,
    shmSizeBytes: 64 * 1024 * 1024,
    ulimits: [{ name: "nofile", soft: 1024, hard: 2048 }],
  },
  capAdd: ["NET_ADMIN"],
  capDrop: ["ALL"],
  init: true,
  extraHosts: ["db:10.0.0.2"],
  dns: ["1.1.1.1"],
  sysctls: { "net.core.somaxconn": "1024" },
  devices: [{ source: "/dev/fuse", target: "/dev/fuse", permissions: "rwm" }],
  logging: { driver: "json-file", options: { "max-size": "1m" } },
  links: ["demo-db-1:db"],
};

describe("planCreate", () => {
  it("leaves out what the spec does not say, so the image's and engine's defaults apply", () => {
    expect(wire(minimal)).toEqual({
      Image: "nginx:1.27",
      Labels: { a: "1" },
      Tty: false,
      OpenStdin: false,
      StdinOnce: false,
      AttachStdin: false,
      AttachStdout: true,
      AttachStderr: true,
      // Compose's PortBindings is a map even when empty; the engine shows {} rather than null.
      HostConfig: { PortBindings: {} },
    });
    expect(planCreate(minimal, "1.41").connectAfter).toEqual([]);
  });

  it("writes a full spec as Engine API 1.41 takes it: one network at create, the rest connected after", () => {
    const plan = planCreate(full, "1.41");
    expect(JSON.parse(JSON.stringify(plan.body))).toEqual({
      Image: "nginx:1.27",
      Labels: { "com.docker.compose.service": "web" },
      Cmd: ["nginx", "-g", "daemon off;"],
      Entrypoint: ["/entry.sh"],
      Env: ["A=1", "EMPTY="],
      WorkingDir: "/app",
      User: "101:101",
      Hostname: "web",
      Domainname: "example.org",
      Tty: true,
      OpenStdin: true,
      StdinOnce: false,
      AttachStdin: false,
      AttachStdout: true,
      AttachStderr: true,
      StopSignal: "SIGQUIT",
      StopTimeout: 3,
      ExposedPorts: { "9000/tcp": {}, "53/udp": {}, "80/tcp": {}, "443/tcp": {} },
      // StartInterval needs API 1.44; older engines would ignore it silently.
      Healthcheck: {
        Test: ["CMD-SHELL", "wget -qO- localhost"],
        Interval: 1e9,
        Timeout: 2e9,
        StartPeriod: 3e9,
        Retries: 5,
      },
      MacAddress: "02:42:ac:1e:00:0a",
      HostConfig: {
        Binds: ["/srv/conf:/etc/nginx/conf.d:ro,rslave"],
        Mounts: [
          { Type: "bind", Source: "/srv/must-exist", Target: "/data" },
          { Type: "volume", Source: "demo_data", Target: "/var/lib/data", VolumeOptions: { NoCopy: true } },
          { Type: "volume", Source: "", Target: "/cache" },
          { Type: "tmpfs", Target: "/run", TmpfsOptions: { SizeBytes: 65536, Mode: 0o1770 } },
        ],
        Tmpfs: { "/tmp": "size=64m,noexec" },
        PortBindings: {
          "80/tcp": [
            { HostIp: "127.0.0.1", HostPort: "8080" },
            { HostIp: "", HostPort: "8081" },
          ],
          "443/tcp": [{ HostIp: "", HostPort: "" }],
        },
        RestartPolicy: { Name: "on-failure", MaximumRetryCount: 3 },
        NetworkMode: "demo_front",
        Memory: 268435456,
        NanoCpus: 500000000,
        PidsLimit: 100,
        ShmSize: 67108864,
        Ulimits: [{ Name: "nofile", Soft: 1024, Hard: 2048 }],
        CapAdd: ["NET_ADMIN"],
        CapDrop: ["ALL"],
        Init: true,
        ExtraHosts: ["db:10.0.0.2"],
        Dns: ["1.1.1.1"],
        Sysctls: { "net.core.somaxconn": "1024" },
        Devices: [{ PathOnHost: "/dev/fuse", PathInContainer: "/dev/fuse", CgroupPermissions: "rwm" }],
        LogConfig: { Type: "json-file", Config: { "max-size": "1m" } },
        Links: ["demo-db-1:db"],
      },
      NetworkingConfig: {
        EndpointsConfig: {
          demo_front: { Aliases: ["web", "www"], IPAMConfig: { IPv4Address: "172.30.0.10" } },
        },
      },
    });
    expect(plan.connectAfter).toEqual([["demo_back", { aliases: ["web"] }]]);
  });

  it("from API 1.44 joins every network at create, with the MAC address per endpoint and StartInterval", () => {
    const plan = planCreate(full, "1.44");
    const body = JSON.parse(JSON.stringify(plan.body)) as Record<string, unknown>;
    expect(body.MacAddress).toBeUndefined();
    expect(body.Healthcheck).toMatchObject({ StartInterval: 4e9 });
    expect(body.NetworkingConfig).toEqual({
      EndpointsConfig: {
        demo_front: {
          Aliases: ["web", "www"],
          IPAMConfig: { IPv4Address: "172.30.0.10" },
          MacAddress: "02:42:ac:1e:00:0a",
        },
        demo_back: { Aliases: ["web"] },
      },
    });
    expect(plan.connectAfter).toEqual([]);
  });

  it("keeps an explicit network mode over the first network", () => {
    const body = wire({ ...minimal, networkMode: "host", networks: { demo_default: {} } }) as {
      HostConfig: Record<string, unknown>;
    };
    expect(body.HostConfig.NetworkMode).toBe("host");
  });

  it("refuses a volume subpath before API 1.45, saying which version it needs", () => {
    const spec: ContainerSpec = {
      ...minimal,
      mounts: [{ type: "volume", source: "v", target: "/x", subpath: "sub" }],
    };
    expect(() => planCreate(spec, "1.41")).toThrow(InvalidRequestError);
    expect(() => planCreate(spec, "1.41")).toThrow(
      "volume subpath (/x) needs Engine API 1.45 or newer; this engine speaks 1.41",
    );
    expect((wire(spec, "1.45") as { HostConfig: { Mounts: unknown } }).HostConfig.Mounts).toEqual([
      { Type: "volume", Source: "v", Target: "/x", VolumeOptions: { Subpath: "sub" } },
    ]);
  });

  it("gives a TTY's console size as [height, width] from API 1.42, as the Go client does, and none before", () => {
    const sized: ContainerSpec = { ...minimal, tty: true, consoleSize: { rows: 40, cols: 120 } };
    expect(wire(sized, "1.42")).toMatchObject({ HostConfig: { ConsoleSize: [40, 120] } });
    expect(wire(sized, "1.41")).not.toHaveProperty("HostConfig.ConsoleSize");
    expect(wire({ ...sized, tty: false }, "1.44")).not.toHaveProperty("HostConfig.ConsoleSize");
  });

  it("passes the host settings as Compose's getCreateConfigs does (annotations from API 1.43, empty masked paths for unmaskedPaths)", () => {
    const sized: ContainerSpec = {
      ...minimal,
      oomScoreAdj: 500,
      cgroupnsMode: "private",
      annotations: { a: "1" },
      usernsMode: "host",
      runtime: "runc",
      storageOpt: { size: "1G" },
      volumeDriver: "local",
      unmaskedPaths: true,
      resources: {
        memorySwappiness: 30,
        oomKillDisable: true,
        cpuRealtimePeriod: 1_000_000,
        cpuRealtimeRuntime: 950_000,
        deviceCgroupRules: ["c 1:3 mr"],
        blkio: {
          weight: 300,
          weightDevice: [{ path: "/dev/sda", weight: 400 }],
          deviceReadBps: [{ path: "/dev/sda", rate: 1024 }],
          deviceReadIops: [{ path: "/dev/sda", rate: 10 }],
          deviceWriteBps: [{ path: "/dev/sda", rate: 2048 }],
          deviceWriteIops: [{ path: "/dev/sda", rate: 20 }],
        },
      },
    };
    expect(wire(sized, "1.43")).toMatchObject({
      HostConfig: {
        OomScoreAdj: 500,
        CgroupnsMode: "private",
        Annotations: { a: "1" },
        UsernsMode: "host",
        Runtime: "runc",
        StorageOpt: { size: "1G" },
        VolumeDriver: "local",
        MaskedPaths: [],
        ReadonlyPaths: [],
        MemorySwappiness: 30,
        OomKillDisable: true,
        CpuRealtimePeriod: 1_000_000,
        CpuRealtimeRuntime: 950_000,
        DeviceCgroupRules: ["c 1:3 mr"],
        BlkioWeight: 300,
        BlkioWeightDevice: [{ Path: "/dev/sda", Weight: 400 }],
        BlkioDeviceReadBps: [{ Path: "/dev/sda", Rate: 1024 }],
        BlkioDeviceReadIOps: [{ Path: "/dev/sda", Rate: 10 }],
        BlkioDeviceWriteBps: [{ Path: "/dev/sda", Rate: 2048 }],
        BlkioDeviceWriteIOps: [{ Path: "/dev/sda", Rate: 20 }],
      },
    });
    expect(wire(sized, "1.41")).not.toHaveProperty("HostConfig.Annotations");
    const plain = wire(minimal, "1.43");
    for (const field of ["MaskedPaths", "ReadonlyPaths", "OomScoreAdj", "MemorySwappiness", "BlkioWeight"])
      expect(plain).not.toHaveProperty(`HostConfig.${field}`);
  });
});

describe("endpointConfig", () => {
  it("is what network connect takes: aliases, static addresses, links, and the MAC when asked", () => {
    const ep = { aliases: ["a"], ipv6Address: "fd00::5", links: ["x:y"], macAddress: "02:00:00:00:00:01" };
    expect(JSON.parse(JSON.stringify(endpointConfig(ep)))).toEqual({
      Aliases: ["a"],
      IPAMConfig: { IPv6Address: "fd00::5" },
      Links: ["x:y"],
      MacAddress: "02:00:00:00:00:01",
    });
    expect(JSON.parse(JSON.stringify(endpointConfig(ep, false)))).not.toHaveProperty("MacAddress");
    expect(JSON.parse(JSON.stringify(endpointConfig({})))).toEqual({});
  });
});
