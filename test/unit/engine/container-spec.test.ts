/**
 * containerSpecFor on real projects written to temp directories and loaded with loadProject (and a
 * few hand-built models): every mapping Docker Compose v2 makes from a service to a container,
 * checked field by field.
 */

import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  ContainerSpecError,
  containerSpecFor,
  type ContainerSpecContext,
  type ContainerSpecResult,
} from "../../../src/engine/container-spec.js";
import { serviceConfigHash } from "../../../src/engine/hash.js";
import { COMPOSE_VERSION } from "../../../src/engine/labels.js";
import { loadProject } from "../../../src/project/load.js";
import type { Project, Service } from "../../../src/project/model.js";
import { fileTree } from "../../file-tree.js";

function writeProject(files: Record<string, string>): string {
  return fileTree("spec", files);
}

async function loadDir(dir: string, env: Record<string, string> = {}): Promise<Project> {
  const { project } = await loadProject({ cwd: dir, env, projectName: "app" });
  // The loader keeps the interpolation environment out of the model for now; secrets read it here.
  return { ...project, environment: { ...env, ...project.environment } };
}

async function load(yaml: string, env: Record<string, string> = {}, extra: Record<string, string> = {}) {
  const dir = writeProject({ "compose.yaml": yaml, ...extra });
  return { dir, project: await loadDir(dir, env) };
}

const CONTEXT: ContainerSpecContext = { configFiles: ["/srv/app/compose.yaml"] };

async function specOf(
  yaml: string,
  service = "web",
  options: {
    number?: number;
    context?: Partial<ContainerSpecContext>;
    env?: Record<string, string>;
    files?: Record<string, string>;
  } = {},
): Promise<ContainerSpecResult & { dir: string; project: Project }> {
  const { dir, project } = await load(yaml, options.env, options.files);
  const result = containerSpecFor(project, service, options.number ?? 1, { ...CONTEXT, ...options.context });
  return { ...result, dir, project };
}

/** A minimal hand-built project: one service, the default network. */
function handBuilt(service: Service, more: Partial<Project> = {}): Project {
  return {
    name: "app",
    workingDir: "/srv/app",
    services: { web: service },
    networks: { default: { name: "app_default" } },
    volumes: {},
    secrets: {},
    configs: {},
    models: {},
    ...more,
  };
}

describe("labels", () => {
  it("writes every Compose label on a replica", async () => {
    const { spec, project } = await specOf("services:\n  web:\n    image: nginx\n", "web", { number: 2 });
    expect(spec.labels).toEqual({
      "com.docker.compose.project": "app",
      "com.docker.compose.service": "web",
      "com.docker.compose.version": COMPOSE_VERSION,
      "com.docker.compose.project.working_dir": project.workingDir,
      "com.docker.compose.project.config_files": "/srv/app/compose.yaml",
      "com.docker.compose.oneoff": "False",
      "com.docker.compose.config-hash": serviceConfigHash(project.services["web"] as Service),
      "com.docker.compose.container-number": "2",
      "com.docker.compose.depends_on": "",
    });
  });

  it("keeps the service's own labels and lets Compose's win", async () => {
    const { spec } = await specOf(
      "services:\n  web:\n    image: nginx\n    labels:\n      team: core\n      com.docker.compose.project: evil\n",
    );
    expect(spec.labels["team"]).toBe("core");
    expect(spec.labels["com.docker.compose.project"]).toBe("app");
  });

  it("joins several config files and env files, and records the image ID", async () => {
    const { spec } = await specOf("services:\n  web:\n    image: nginx\n", "web", {
      context: {
        configFiles: ["/a/compose.yaml", "/a/override.yaml"],
        environmentFiles: ["/a/.env", "/a/ci.env"],
        imageId: "sha256:abc",
      },
    });
    expect(spec.labels["com.docker.compose.project.config_files"]).toBe("/a/compose.yaml,/a/override.yaml");
    expect(spec.labels["com.docker.compose.project.environment_file"]).toBe("/a/.env,/a/ci.env");
    expect(spec.labels["com.docker.compose.image"]).toBe("sha256:abc");
  });

  it("leaves out the environment_file and image labels when there are none", async () => {
    const { spec } = await specOf("services:\n  web:\n    image: nginx\n", "web", {
      context: { environmentFiles: [] },
    });
    expect(spec.labels).not.toHaveProperty("com.docker.compose.project.environment_file");
    expect(spec.labels).not.toHaveProperty("com.docker.compose.image");
  });

  it("writes depends_on as svc:condition:restart, comma-joined", async () => {
    const { spec } = await specOf(
      [
        "services:",
        "  web:",
        "    image: nginx",
        "    depends_on:",
        "      db: {condition: service_healthy, restart: true}",
        "      cache: {condition: service_started}",
        "  db: {image: postgres}",
        "  cache: {image: redis}",
      ].join("\n"),
    );
    const deps = spec.labels["com.docker.compose.depends_on"]?.split(",").sort();
    expect(deps).toEqual(["cache:service_started:false", "db:service_healthy:true"]);
  });
});

describe("names, one-offs and replacements", () => {
  it("names a replica <project>-<service>-<n>, or by container_name", async () => {
    expect((await specOf("services:\n  web: {image: nginx}\n", "web", { number: 3 })).spec.name).toBe(
      "app-web-3",
    );
    expect((await specOf("services:\n  web: {image: nginx, container_name: front}\n")).spec.name).toBe(
      "front",
    );
  });

  it("makes a one-off container as `run` does", async () => {
    const slug = "0123456789abcdef0123456789abcdef";
    const { spec, project } = await specOf(
      "services:\n  web: {image: nginx, container_name: front, restart: always}\n",
      "web",
      { context: { oneOff: true, slug } },
    );
    expect(spec.name).toBe("app-web-run-0123456789ab");
    expect(spec.labels["com.docker.compose.oneoff"]).toBe("True");
    expect(spec.labels["com.docker.compose.slug"]).toBe(slug);
    expect(spec.restart).toBeUndefined();
    // Without --use-aliases a one-off is reachable by its name only.
    expect(spec.networks?.["app_default"]?.aliases).toEqual(["app-web-run-0123456789ab"]);
    // The hash is of the service as run changed it (no restart policy).
    const { restart: _restart, ...withoutRestart } = project.services["web"] as Service;
    expect(spec.labels["com.docker.compose.config-hash"]).toBe(serviceConfigHash(withoutRestart));
  });

  it("honours run --name and --use-aliases", async () => {
    const { spec } = await specOf("services:\n  web: {image: nginx}\n", "web", {
      context: { oneOff: true, slug: "ffffffffffffffff", name: "mine", useAliases: true },
    });
    expect(spec.name).toBe("mine");
    expect(spec.networks?.["app_default"]?.aliases).toEqual(["mine", "web"]);
  });

  it("refuses a one-off without a slug or a name", async () => {
    const { project } = await load("services:\n  web: {image: nginx}\n");
    expect(() => containerSpecFor(project, "web", 1, { ...CONTEXT, oneOff: true })).toThrow(
      ContainerSpecError,
    );
  });

  it("creates a replacement under a temporary name, labelled with the slot it replaces", async () => {
    const id = "2c457ba8998f0000111122223333444455556666777788889999aaaabbbbcccc";
    const { spec } = await specOf("services:\n  web: {image: nginx}\n", "web", { context: { replaces: id } });
    expect(spec.name).toBe("2c457ba8998f_app-web-1");
    expect(spec.labels["com.docker.compose.replace"]).toBe("web-1");
    expect(spec.networks?.["app_default"]?.aliases).toEqual(["app-web-1", "web"]);
  });

  it("rejects an unknown service", async () => {
    const { project } = await load("services:\n  web: {image: nginx}\n");
    expect(() => containerSpecFor(project, "nope", 1, CONTEXT)).toThrow(/no such service: nope/);
  });
});

describe("image, command, environment, process", () => {
  it("uses the image as written", async () => {
    expect((await specOf("services:\n  web: {image: 'nginx:1.27'}\n")).spec.image).toBe("nginx:1.27");
  });

  it("names a build-only service's image <project>-<service>", async () => {
    const { spec } = await specOf("services:\n  web: {build: .}\n", "web", {
      files: { Dockerfile: "FROM scratch\n" },
    });
    expect(spec.image).toBe("app-web");
  });

  it("keeps an empty command (clears the image's) apart from an absent one", async () => {
    const { spec } = await specOf("services:\n  web: {image: nginx, command: []}\n  db: {image: pg}\n");
    expect(spec.command).toEqual([]);
    expect(spec.entrypoint).toBeUndefined();
    const db = await specOf("services:\n  web: {image: nginx}\n", "web");
    expect(db.spec).not.toHaveProperty("command");
  });

  it("splits command and entrypoint strings as shell words", async () => {
    const { spec } = await specOf(
      "services:\n  web:\n    image: nginx\n    command: echo 'hello world'\n    entrypoint: ['/bin/sh', '-c']\n",
    );
    expect(spec.command).toEqual(["echo", "hello world"]);
    expect(spec.entrypoint).toEqual(["/bin/sh", "-c"]);
  });

  it("drops environment entries without a value", async () => {
    const { spec } = await specOf("services:\n  web:\n    image: nginx\n    environment: [A=1, B, C=]\n");
    expect(spec.env).toEqual({ A: "1", C: "" });
  });

  it("maps working_dir, user, hostname, domainname, tty, stdin_open and stop_signal", async () => {
    const { spec } = await specOf(
      [
        "services:",
        "  web:",
        "    image: nginx",
        "    working_dir: /app",
        "    user: '1000:1000'",
        "    hostname: h",
        "    domainname: example.org",
        "    tty: true",
        "    stdin_open: true",
        "    stop_signal: SIGINT",
      ].join("\n"),
    );
    expect(spec).toMatchObject({
      workingDir: "/app",
      user: "1000:1000",
      hostname: "h",
      domainname: "example.org",
      tty: true,
      stdinOpen: true,
      stopSignal: "SIGINT",
    });
  });

  it("turns stop_grace_period into whole seconds, rounded up", async () => {
    const grace = async (value: string) =>
      (await specOf(`services:\n  web: {image: nginx, stop_grace_period: ${value}}\n`)).spec.stopTimeoutS;
    expect(await grace("1500ms")).toBe(2);
    expect(await grace("1m30s")).toBe(90);
    expect(await grace("0s")).toBe(0);
    expect((await specOf("services:\n  web: {image: nginx}\n")).spec.stopTimeoutS).toBeUndefined();
  });

  it("maps platform, falling back to DOCKER_DEFAULT_PLATFORM", async () => {
    expect((await specOf("services:\n  web: {image: nginx, platform: linux/arm64}\n")).spec.platform).toBe(
      "linux/arm64",
    );
    const project = handBuilt(
      { image: "nginx" },
      { environment: { DOCKER_DEFAULT_PLATFORM: "linux/amd64" } },
    );
    expect(containerSpecFor(project, "web", 1, CONTEXT).spec.platform).toBe("linux/amd64");
  });
});

describe("ports", () => {
  it("binds every published port, with host IP and protocol", async () => {
    const { spec } = await specOf(
      "services:\n  web:\n    image: nginx\n    ports: ['8080:80', '127.0.0.1:5353:53/udp', '9000']\n",
    );
    expect(spec.ports).toEqual([
      { containerPort: 80, protocol: "tcp", hostPort: "8080" },
      { containerPort: 53, protocol: "udp", hostIp: "127.0.0.1", hostPort: "5353" },
      { containerPort: 9000, protocol: "tcp" },
    ]);
  });

  it("keeps a host port range for one container port", async () => {
    const { spec } = await specOf("services:\n  web:\n    image: nginx\n    ports: ['8000-8010:80']\n");
    expect(spec.ports).toEqual([{ containerPort: 80, protocol: "tcp", hostPort: "8000-8010" }]);
  });

  it("maps the long syntax", async () => {
    const { spec } = await specOf(
      [
        "services:",
        "  web:",
        "    image: nginx",
        "    ports:",
        "      - {target: 80, published: '8080', host_ip: '::1', protocol: tcp, mode: host}",
      ].join("\n"),
    );
    expect(spec.ports).toEqual([{ containerPort: 80, protocol: "tcp", hostIp: "::1", hostPort: "8080" }]);
  });

  it("exposes `expose` entries (ranges expanded) and every published target, each once", async () => {
    const { spec } = await specOf(
      "services:\n  web:\n    image: nginx\n    expose: ['3000', '4000-4001/udp', '80']\n    ports: ['8080:80']\n",
    );
    expect(spec.exposedPorts).toEqual(["3000/tcp", "4000/udp", "4001/udp", "80/tcp"]);
  });
});

describe("volumes and tmpfs", () => {
  it("maps a read-only bind mount with propagation", async () => {
    const { spec, dir } = await specOf(
      [
        "services:",
        "  web:",
        "    image: nginx",
        "    volumes:",
        "      - ./data:/data:ro",
        "      - {type: bind, source: ./logs, target: /logs, bind: {propagation: rshared}}",
      ].join("\n"),
    );
    expect(spec.mounts).toEqual([
      { type: "bind", source: path.join(dir, "data"), target: "/data", readOnly: true, createHostPath: true },
      {
        type: "bind",
        source: path.join(dir, "logs"),
        target: "/logs",
        propagation: "rshared",
        createHostPath: true,
      },
    ]);
  });

  it("keeps create_host_path: false", async () => {
    const { spec } = await specOf(
      [
        "services:",
        "  web:",
        "    image: nginx",
        "    volumes:",
        "      - {type: bind, source: /etc/app, target: /cfg, bind: {create_host_path: false}}",
      ].join("\n"),
    );
    expect(spec.mounts).toEqual([
      { type: "bind", source: "/etc/app", target: "/cfg", createHostPath: false },
    ]);
  });

  it("mounts a named volume by the project's volume name", async () => {
    const { spec } = await specOf(
      [
        "services:",
        "  web:",
        "    image: nginx",
        "    volumes: ['data:/data', 'custom:/custom:ro', 'ext:/ext']",
        "volumes:",
        "  data: {}",
        "  custom: {name: my-custom}",
        "  ext: {external: true}",
      ].join("\n"),
    );
    expect(spec.mounts).toEqual([
      { type: "volume", source: "app_data", target: "/data" },
      { type: "volume", source: "my-custom", target: "/custom", readOnly: true },
      { type: "volume", source: "ext", target: "/ext" },
    ]);
  });

  it("mounts an anonymous volume without a source, and keeps nocopy and subpath", async () => {
    const { spec } = await specOf(
      [
        "services:",
        "  web:",
        "    image: nginx",
        "    volumes:",
        "      - /cache",
        "      - {type: volume, source: data, target: /sub, volume: {nocopy: true, subpath: a/b}}",
        "volumes: {data: {}}",
      ].join("\n"),
    );
    expect(spec.mounts).toEqual([
      { type: "volume", target: "/cache" },
      { type: "volume", source: "app_data", target: "/sub", noCopy: true, subpath: "a/b" },
    ]);
  });

  it("maps a tmpfs volume with its size and mode", async () => {
    const { spec } = await specOf(
      [
        "services:",
        "  web:",
        "    image: nginx",
        "    volumes:",
        "      - {type: tmpfs, target: /scratch, tmpfs: {size: 64m, mode: 0o1777}}",
      ].join("\n"),
    );
    expect(spec.mounts).toEqual([
      { type: "tmpfs", target: "/scratch", sizeBytes: 64 * 1024 * 1024, mode: 0o1777 },
    ]);
  });

  it("passes `tmpfs:` entries on with their options as written, as Compose sends HostConfig.Tmpfs", async () => {
    const { spec, ignored } = await specOf(
      "services:\n  web:\n    image: nginx\n    tmpfs: ['/run:size=64m,mode=1770,noexec', '/tmp', '/ro:ro']\n",
    );
    expect(spec.mounts).toBeUndefined();
    expect(spec.tmpfs).toEqual({ "/run": "size=64m,mode=1770,noexec", "/tmp": "", "/ro": "ro" });
    expect(ignored).toEqual([]);
  });

  it("lets a later volume for the same target replace an earlier one", async () => {
    const { project } = await load("services:\n  web: {image: nginx}\n");
    const web: Service = {
      image: "nginx",
      networks: { default: null },
      volumes: [
        { type: "volume", target: "/data" },
        { type: "bind", source: "/host", target: "/data", bind: { create_host_path: true } },
      ],
    };
    const { spec } = containerSpecFor({ ...project, services: { web } }, "web", 1, CONTEXT);
    expect(spec.mounts).toEqual([{ type: "bind", source: "/host", target: "/data", createHostPath: true }]);
  });

  it("refuses mount types the spec cannot carry", () => {
    const project = handBuilt({
      image: "nginx",
      volumes: [{ type: "image", source: "alpine", target: "/img" }],
    });
    expect(() => containerSpecFor(project, "web", 1, CONTEXT)).toThrow(
      /volumes\[0\].*"image" are not supported/,
    );
  });

  it("reports bind options the spec cannot carry", async () => {
    const { ignored } = await specOf("services:\n  web:\n    image: nginx\n    volumes: ['./x:/x:z']\n");
    expect(ignored).toEqual(["services.web.volumes[0].bind.selinux"]);
  });
});

describe("networks", () => {
  it("joins the default network with the container name and service name as aliases", async () => {
    const { spec } = await specOf("services:\n  web: {image: nginx}\n", "web", { number: 2 });
    expect(spec.networkMode).toBe("app_default");
    expect(spec.networks).toEqual({ app_default: { aliases: ["app-web-2", "web"] } });
  });

  it("orders networks by priority, then name, and joins the first at create", async () => {
    const { spec } = await specOf(
      [
        "services:",
        "  web:",
        "    image: nginx",
        "    networks:",
        "      zeta: {priority: 100}",
        "      beta: {}",
        "      alpha: {}",
        "      mid: {priority: 10, aliases: [m1, m2]}",
        "networks: {zeta: {}, beta: {}, alpha: {}, mid: {name: middle}}",
      ].join("\n"),
    );
    expect(Object.keys(spec.networks ?? {})).toEqual(["app_zeta", "middle", "app_alpha", "app_beta"]);
    expect(spec.networkMode).toBe("app_zeta");
    expect(spec.networks?.["middle"]?.aliases).toEqual(["app-web-1", "web", "m1", "m2"]);
  });

  it("sets static addresses and the MAC address", async () => {
    const { spec } = await specOf(
      [
        "services:",
        "  web:",
        "    image: nginx",
        "    mac_address: 02:42:ac:11:00:02",
        "    networks:",
        "      front: {ipv4_address: 172.20.0.5, ipv6_address: 'fd00::5'}",
        "networks:",
        "  front: {enable_ipv6: true, ipam: {config: [{subnet: 172.20.0.0/16}, {subnet: 'fd00::/64'}]}}",
      ].join("\n"),
    );
    expect(spec.networks).toEqual({
      app_front: {
        aliases: ["app-web-1", "web"],
        ipv4Address: "172.20.0.5",
        ipv6Address: "fd00::5",
        macAddress: "02:42:ac:11:00:02",
      },
    });
  });

  it("refuses a service MAC address that differs from the main network's", () => {
    const project = handBuilt({
      image: "nginx",
      mac_address: "02:00:00:00:00:01",
      networks: { default: { mac_address: "02:00:00:00:00:02" } },
    });
    expect(() => containerSpecFor(project, "web", 1, CONTEXT)).toThrow(/mac_address/);
  });

  it("passes host, none and bridge network modes with no endpoints", async () => {
    for (const mode of ["host", "none", "bridge"]) {
      const { spec } = await specOf(`services:\n  web: {image: nginx, network_mode: ${mode}}\n`);
      expect(spec.networkMode).toBe(mode);
      expect(spec.networks).toBeUndefined();
    }
  });

  it("turns network_mode service:x into the container of x's first replica", async () => {
    const yaml = (extra: string) =>
      `services:\n  web: {image: nginx, network_mode: 'service:vpn'}\n  vpn: {image: wg${extra}}\n`;
    expect((await specOf(yaml(""))).spec.networkMode).toBe("container:app-vpn-1");
    expect((await specOf(yaml(", container_name: tunnel"))).spec.networkMode).toBe("container:tunnel");
  });

  it("keeps network_mode container:x", async () => {
    const { spec } = await specOf("services:\n  web: {image: nginx, network_mode: 'container:other'}\n");
    expect(spec.networkMode).toBe("container:other");
  });

  it("uses network mode none when the project has no networks", () => {
    const project = handBuilt({ image: "nginx" }, { networks: {} });
    const { spec } = containerSpecFor(project, "web", 1, CONTEXT);
    expect(spec.networkMode).toBe("none");
    expect(spec.networks).toBeUndefined();
  });

  it("refuses a network the project does not declare", () => {
    const project = handBuilt({ image: "nginx", networks: { ghost: null } });
    expect(() => containerSpecFor(project, "web", 1, CONTEXT)).toThrow(/undefined network ghost/);
  });

  it("reports endpoint settings the spec cannot carry", () => {
    const project = handBuilt({
      image: "nginx",
      networks: { default: { gw_priority: 1, driver_opts: { a: "b" }, link_local_ips: ["169.254.0.9"] } },
    });
    expect([...containerSpecFor(project, "web", 1, CONTEXT).ignored].sort()).toEqual([
      "services.web.networks.default.driver_opts",
      "services.web.networks.default.gw_priority",
      "services.web.networks.default.link_local_ips",
    ]);
  });

  it("maps extra_hosts, dns, dns_search and dns_opt", async () => {
    const { spec } = await specOf(
      [
        "services:",
        "  web:",
        "    image: nginx",
        "    extra_hosts: ['db:10.0.0.2', 'v6=::1']",
        "    dns: [1.1.1.1, 8.8.8.8]",
        "    dns_search: [example.org]",
        "    dns_opt: ['ndots:2']",
      ].join("\n"),
    );
    expect(spec.extraHosts).toEqual(["db:10.0.0.2", "v6:::1"]);
    expect(spec.dns).toEqual(["1.1.1.1", "8.8.8.8"]);
    expect(spec.dnsSearch).toEqual(["example.org"]);
    expect(spec.dnsOptions).toEqual(["ndots:2"]);
  });

  it("links to every replica of the linked service under Compose's three names", async () => {
    const { spec } = await specOf(
      [
        "services:",
        "  web:",
        "    image: nginx",
        "    links: ['db:database', cache]",
        "    external_links: ['legacy:old', standalone]",
        "  db: {image: postgres, scale: 2}",
        "  cache: {image: redis}",
      ].join("\n"),
    );
    expect(spec.links).toEqual([
      "app-db-1:database",
      "app-db-1:db-1",
      "app-db-1:app-db-1",
      "app-db-2:database",
      "app-db-2:db-1",
      "app-db-2:app-db-1",
      "app-cache-1:cache",
      "app-cache-1:cache-1",
      "app-cache-1:app-cache-1",
      "legacy:old",
      "standalone:standalone",
    ]);
    expect(spec.networks?.["app_default"]?.links).toEqual(spec.links);
  });

  it("links to as many replicas of the linked service as `--scale` makes", async () => {
    const { spec } = await specOf(
      ["services:", "  web:", "    image: nginx", "    links: [db]", "  db: {image: postgres}"].join("\n"),
      "web",
      { context: { scale: { db: 2 } } },
    );
    expect(spec.links).toEqual([
      "app-db-1:db",
      "app-db-1:db-1",
      "app-db-1:app-db-1",
      "app-db-2:db",
      "app-db-2:db-1",
      "app-db-2:app-db-1",
    ]);
  });
});

describe("healthcheck and restart", () => {
  it("maps every healthcheck field, durations in nanoseconds", async () => {
    const { spec } = await specOf(
      [
        "services:",
        "  web:",
        "    image: nginx",
        "    healthcheck:",
        "      test: ['CMD', 'curl', '-f', 'http://localhost']",
        "      interval: 30s",
        "      timeout: 5s",
        "      retries: 4",
        "      start_period: 1m",
        "      start_interval: 2s",
      ].join("\n"),
    );
    expect(spec.healthcheck).toEqual({
      test: ["CMD", "curl", "-f", "http://localhost"],
      intervalNs: 30e9,
      timeoutNs: 5e9,
      retries: 4,
      startPeriodNs: 60e9,
      startIntervalNs: 2e9,
    });
  });

  it("keeps a string test as CMD-SHELL", async () => {
    const { spec } = await specOf(
      "services:\n  web:\n    image: nginx\n    healthcheck: {test: 'curl -f x'}\n",
    );
    expect(spec.healthcheck).toEqual({ test: ["CMD-SHELL", "curl -f x"] });
  });

  it("disables the image's healthcheck with NONE", async () => {
    const { spec } = await specOf("services:\n  web:\n    image: nginx\n    healthcheck: {disable: true}\n");
    expect(spec.healthcheck?.test).toEqual(["NONE"]);
  });

  it("refuses start_interval without start_period", () => {
    const project = handBuilt({ image: "nginx", healthcheck: { test: ["NONE"], start_interval: 1e9 } });
    expect(() => containerSpecFor(project, "web", 1, CONTEXT)).toThrow(
      /start_interval requires start_period/,
    );
  });

  it("maps every restart policy", async () => {
    const policy = async (value: string) =>
      (await specOf(`services:\n  web: {image: nginx, restart: '${value}'}\n`)).spec.restart;
    expect(await policy("no")).toEqual({ name: "no" });
    expect(await policy("always")).toEqual({ name: "always" });
    expect(await policy("unless-stopped")).toEqual({ name: "unless-stopped" });
    expect(await policy("on-failure")).toEqual({ name: "on-failure" });
    expect(await policy("on-failure:5")).toEqual({ name: "on-failure", maximumRetryCount: 5 });
    expect((await specOf("services:\n  web: {image: nginx}\n")).spec.restart).toBeUndefined();
  });

  it("lets deploy.restart_policy override restart", async () => {
    const { spec } = await specOf(
      [
        "services:",
        "  web:",
        "    image: nginx",
        "    restart: always",
        "    deploy: {restart_policy: {condition: on-failure, max_attempts: 3}}",
      ].join("\n"),
    );
    expect(spec.restart).toEqual({ name: "on-failure", maximumRetryCount: 3 });
    const any = handBuilt({ image: "nginx", deploy: { restart_policy: { condition: "any" } } });
    expect(containerSpecFor(any, "web", 1, CONTEXT).spec.restart).toEqual({ name: "always" });
  });
});

describe("security, resources and the rest of the host config", () => {
  it("adds nothing the service does not ask for", async () => {
    const { spec } = await specOf("services:\n  web: {image: nginx}\n");
    for (const key of [
      "capAdd",
      "capDrop",
      "privileged",
      "readOnlyRootfs",
      "securityOpt",
      "init",
      "resources",
      "devices",
      "sysctls",
      "logging",
      "ipcMode",
      "pidMode",
      "utsMode",
      "user",
    ]) {
      expect(spec).not.toHaveProperty(key);
    }
  });

  it("maps init, privileged, capabilities, security_opt and read_only", async () => {
    const { spec } = await specOf(
      [
        "services:",
        "  web:",
        "    image: nginx",
        "    init: true",
        "    privileged: true",
        "    cap_add: [NET_ADMIN]",
        "    cap_drop: [ALL]",
        "    security_opt: ['no-new-privileges:true', 'label:disable']",
        "    read_only: true",
      ].join("\n"),
    );
    expect(spec).toMatchObject({
      init: true,
      privileged: true,
      capAdd: ["NET_ADMIN"],
      capDrop: ["ALL"],
      securityOpt: ["no-new-privileges:true", "label:disable"],
      readOnlyRootfs: true,
    });
  });

  it("turns systempaths=unconfined into unmasked paths, as Compose empties the masked ones", () => {
    const project = handBuilt({
      image: "nginx",
      security_opt: ["systempaths=unconfined", "seccomp=unconfined"],
    });
    const { spec, ignored } = containerSpecFor(project, "web", 1, CONTEXT);
    expect(spec.securityOpt).toEqual(["seccomp=unconfined"]);
    expect(spec.unmaskedPaths).toBe(true);
    expect(ignored).toEqual([]);
  });

  it("maps shm_size, sysctls and ulimits (a number is soft and hard)", async () => {
    const { spec } = await specOf(
      [
        "services:",
        "  web:",
        "    image: nginx",
        "    shm_size: 256m",
        "    sysctls: {net.core.somaxconn: 1024}",
        "    ulimits: {nproc: 65535, nofile: {soft: 1024, hard: 2048}}",
      ].join("\n"),
    );
    expect(spec.sysctls).toEqual({ "net.core.somaxconn": "1024" });
    expect(spec.resources?.shmSizeBytes).toBe(256 * 1024 * 1024);
    expect([...(spec.resources?.ulimits ?? [])].sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: "nofile", soft: 1024, hard: 2048 },
      { name: "nproc", soft: 65535, hard: 65535 },
    ]);
  });

  it("maps the service-level CPU and memory settings", async () => {
    const { spec } = await specOf(
      [
        "services:",
        "  web:",
        "    image: nginx",
        "    mem_limit: 512m",
        "    mem_reservation: 128m",
        "    memswap_limit: 1g",
        "    cpus: 1.5",
        "    cpu_shares: 512",
        "    cpu_quota: 50000",
        "    cpu_period: 100000",
        "    cpuset: '0,1'",
        "    pids_limit: 100",
      ].join("\n"),
    );
    expect(spec.resources).toEqual({
      memoryBytes: 512 * 1024 ** 2,
      memoryReservationBytes: 128 * 1024 ** 2,
      memorySwapBytes: 1024 ** 3,
      nanoCpus: 1.5e9,
      cpuShares: 512,
      cpuQuota: 50000,
      cpuPeriod: 100000,
      cpusetCpus: "0,1",
      pidsLimit: 100,
    });
  });

  it("lets deploy.resources limits and reservations win, as Compose does", async () => {
    const { spec } = await specOf(
      [
        "services:",
        "  web:",
        "    image: nginx",
        "    mem_limit: 512m",
        "    mem_reservation: 64m",
        "    cpus: 2",
        "    pids_limit: 10",
        "    deploy:",
        "      resources:",
        "        limits: {cpus: '0.25', memory: 1g, pids: 50}",
        "        reservations: {cpus: '0.1', memory: 256m}",
      ].join("\n"),
    );
    expect(spec.resources).toEqual({
      memoryBytes: 1024 ** 3,
      memoryReservationBytes: 256 * 1024 ** 2,
      nanoCpus: 0.25e9,
      pidsLimit: 50,
    });
  });

  it("maps devices, defaulting the target and permissions, and reports CDI devices", async () => {
    const { spec, ignored } = await specOf(
      "services:\n  web:\n    image: nginx\n    devices: ['/dev/fuse', '/dev/sda:/dev/xvda:r', 'nvidia.com/gpu=all']\n",
    );
    expect(spec.devices).toEqual([
      { source: "/dev/fuse", target: "/dev/fuse", permissions: "rwm" },
      { source: "/dev/sda", target: "/dev/xvda", permissions: "r" },
    ]);
    expect(ignored).toEqual(["services.web.devices[2]"]);
  });

  it("maps logging with its options", async () => {
    const { spec } = await specOf(
      "services:\n  web:\n    image: nginx\n    logging: {driver: json-file, options: {max-size: 10m}}\n",
    );
    expect(spec.logging).toEqual({ driver: "json-file", options: { "max-size": "10m" } });
  });

  it("maps group_add and cgroup_parent, and shares namespaces with another service's container", async () => {
    const { spec } = await specOf(
      [
        "services:",
        "  web:",
        "    image: nginx",
        "    group_add: [audio, '1001']",
        "    cgroup_parent: my.slice",
        "    ipc: 'service:db'",
        "    pid: host",
        "    uts: host",
        "  db: {image: postgres, ipc: shareable}",
      ].join("\n"),
    );
    expect(spec).toMatchObject({
      groupAdd: ["audio", "1001"],
      cgroupParent: "my.slice",
      ipcMode: "container:app-db-1",
      pidMode: "host",
      utsMode: "host",
    });
  });

  it("resolves volumes_from services and containers, keeping the mode", async () => {
    const { spec } = await specOf(
      [
        "services:",
        "  web:",
        "    image: nginx",
        "    volumes_from: [data, 'data:ro', 'container:store', 'container:store:rw']",
        "  data: {image: busybox}",
      ].join("\n"),
    );
    expect(spec.volumesFrom).toEqual(["app-data-1", "app-data-1:ro", "store", "store:rw"]);
  });

  it("carries the host settings Compose passes through, and reports only Windows' and device requests'", async () => {
    const { spec, ignored } = await specOf(
      [
        "services:",
        "  web:",
        "    image: nginx",
        "    oom_score_adj: 500",
        "    oom_kill_disable: true",
        "    mem_swappiness: 30",
        "    cpu_rt_period: 1000000",
        "    cpu_rt_runtime: 950000",
        "    device_cgroup_rules: ['c 1:3 mr', 'b *:* rwm']",
        "    cgroup: private",
        "    annotations: { com.example.a: x }",
        "    userns_mode: host",
        "    runtime: runc",
        "    storage_opt: { size: 1G }",
        "    blkio_config:",
        "      weight: 300",
        "      weight_device: [{ path: /dev/sda, weight: 400 }]",
        "      device_read_bps: [{ path: /dev/sda, rate: 1mb }]",
        "      device_write_iops: [{ path: /dev/sda, rate: 30 }]",
        "    cpu_count: 2",
        "    isolation: process",
        "",
      ].join("\n"),
    );
    expect(spec).toMatchObject({
      oomScoreAdj: 500,
      cgroupnsMode: "private",
      annotations: { "com.example.a": "x" },
      usernsMode: "host",
      runtime: "runc",
      storageOpt: { size: "1G" },
      resources: {
        oomKillDisable: true,
        memorySwappiness: 30,
        cpuRealtimePeriod: 1_000_000,
        cpuRealtimeRuntime: 950_000,
        deviceCgroupRules: ["c 1:3 mr", "b *:* rwm"],
        blkio: {
          weight: 300,
          weightDevice: [{ path: "/dev/sda", weight: 400 }],
          deviceReadBps: [{ path: "/dev/sda", rate: 1024 * 1024 }],
          deviceWriteIops: [{ path: "/dev/sda", rate: 30 }],
        },
      },
    });
    expect([...ignored].sort()).toEqual(["services.web.cpu_count", "services.web.isolation"]);
  });

  it("sends no swappiness for mem_swappiness: 0, as Compose leaves its zero value out", async () => {
    const { spec } = await specOf("services:\n  web:\n    image: nginx\n    mem_swappiness: 0\n");
    expect(spec.resources?.memorySwappiness).toBeUndefined();
  });
});

describe("secrets and configs", () => {
  const files = { "secret.txt": "from-file", "app.conf": "conf" };

  it("bind-mounts file secrets read-only under /run/secrets, honouring target", async () => {
    const { spec, copies, dir } = await specOf(
      [
        "services:",
        "  web:",
        "    image: nginx",
        "    secrets: [db_pass, {source: db_pass, target: renamed}, {source: db_pass, target: /etc/abs}]",
        "secrets: {db_pass: {file: ./secret.txt}}",
      ].join("\n"),
      "web",
      { files },
    );
    const source = path.join(dir, "secret.txt");
    expect(spec.mounts).toEqual([
      { type: "bind", source, target: "/run/secrets/db_pass", readOnly: true, createHostPath: false },
      { type: "bind", source, target: "/run/secrets/renamed", readOnly: true, createHostPath: false },
      { type: "bind", source, target: "/etc/abs", readOnly: true, createHostPath: false },
    ]);
    expect(copies).toEqual([]);
  });

  it("copies environment secrets in, never putting the value in the spec", async () => {
    const value = "s3cr3t-v4lue-never-in-spec";
    const { spec, copies } = await specOf(
      [
        "services:",
        "  web:",
        "    image: nginx",
        "    environment: [TOKEN]",
        "    secrets: [token, {source: token, target: other, uid: '1005', gid: '1005', mode: 0o440}]",
        "secrets: {token: {environment: TOKEN}}",
      ].join("\n"),
      "web",
      { env: { TOKEN: value } },
    );
    expect(copies).toEqual([
      { target: "/run/secrets/token", content: value, mode: 0o444 },
      { target: "/run/secrets/other", content: value, mode: 0o440, uid: 1005, gid: 1005 },
    ]);
    // `environment: [TOKEN]` looks TOKEN up in the shell, so it is there; the secret adds nothing.
    const { env: _env, ...rest } = spec;
    expect(JSON.stringify(rest)).not.toContain(value);
    expect(spec.mounts).toBeUndefined();
  });

  it("never puts a secret from the environment into the spec when the service does not ask for it", async () => {
    const value = "another-secret-value";
    const { spec, copies } = await specOf(
      "services:\n  web:\n    image: nginx\n    secrets: [token]\nsecrets: {token: {environment: TOKEN}}\n",
      "web",
      { env: { TOKEN: value } },
    );
    expect(JSON.stringify(spec)).not.toContain(value);
    expect(copies.map((c) => c.content)).toEqual([value]);
  });

  it("copies inline configs to /<name> and bind-mounts file configs at their target", async () => {
    const { spec, copies, dir } = await specOf(
      [
        "services:",
        "  web:",
        "    image: nginx",
        "    configs: [inline, {source: fromfile, target: /etc/app.conf}, {source: inline, target: rel.conf}]",
        "configs:",
        "  inline: {content: 'hello'}",
        "  fromfile: {file: ./app.conf}",
      ].join("\n"),
      "web",
      { files },
    );
    expect(copies).toEqual([
      { target: "/inline", content: "hello", mode: 0o444 },
      { target: "/rel.conf", content: "hello", mode: 0o444 },
    ]);
    expect(spec.mounts).toEqual([
      {
        type: "bind",
        source: path.join(dir, "app.conf"),
        target: "/etc/app.conf",
        readOnly: true,
        createHostPath: false,
      },
    ]);
  });

  it("reports uid, gid and mode on file secrets, which a bind mount cannot honour", async () => {
    const { ignored } = await specOf(
      [
        "services:",
        "  web:",
        "    image: nginx",
        "    secrets: [{source: s, uid: '1', mode: 0o400}]",
        "secrets: {s: {file: ./secret.txt}}",
      ].join("\n"),
      "web",
      { files },
    );
    expect(ignored).toEqual(["services.web.secrets[0].uid", "services.web.secrets[0].mode"]);
  });

  it("fails on an unset variable, an external secret, a copied secret in a read-only service, a bad uid", () => {
    const secret = (def: Project["secrets"][string], extra: Partial<Service> = {}, env = {}) =>
      handBuilt(
        { image: "nginx", secrets: [{ source: "s" }], ...extra },
        { secrets: { s: def }, environment: env },
      );
    expect(() => containerSpecFor(secret({ name: "app_s", environment: "NOPE" }), "web", 1, CONTEXT)).toThrow(
      /environment variable "NOPE" required by secret "app_s" is not set/,
    );
    expect(() => containerSpecFor(secret({ name: "s", external: true }), "web", 1, CONTEXT)).toThrow(
      /unsupported external secret s/,
    );
    expect(() =>
      containerSpecFor(
        secret({ name: "app_s", environment: "X" }, { read_only: true }, { X: "v" }),
        "web",
        1,
        CONTEXT,
      ),
    ).toThrow(/read-only service web/);
    const badUid = handBuilt(
      { image: "nginx", secrets: [{ source: "s", uid: "root" }] },
      { secrets: { s: { name: "app_s", environment: "X" } }, environment: { X: "v" } },
    );
    expect(() => containerSpecFor(badUid, "web", 1, CONTEXT)).toThrow(/uid: "root" is not a number/);
  });
});

describe("the config hash", () => {
  const base = [
    "services:",
    "  web:",
    "    image: nginx",
    "    environment: {A: '1'}",
    "    ports: ['8080:80']",
    "  db: {image: postgres}",
  ];
  const hashOf = (project: Project) =>
    containerSpecFor(project, "web", 1, CONTEXT).spec.labels["com.docker.compose.config-hash"];

  it("is the same for two loads of the same files", async () => {
    const dir = writeProject({ "compose.yaml": base.join("\n") });
    expect(hashOf(await loadDir(dir))).toBe(hashOf(await loadDir(dir)));
    expect(hashOf(await loadDir(dir))).toMatch(/^[0-9a-f]{64}$/);
  });

  it("ignores scale, deploy.replicas, depends_on and profiles, and the replica number", async () => {
    const dir = writeProject({ "compose.yaml": base.join("\n") });
    const before = hashOf(await loadDir(dir));
    const variants = [
      "    scale: 3",
      "    deploy: {replicas: 2}",
      "    depends_on: [db]",
      "    profiles: [extra]",
      "    pull_policy: always",
    ];
    for (const line of variants) {
      const yaml = [...base.slice(0, 3), line, ...base.slice(3)].join("\n");
      const { project } = await loadProject({
        cwd: writeProject({ "compose.yaml": yaml }),
        env: {},
        projectName: "app",
        profiles: ["extra"],
      });
      expect(hashOf(project), line).toBe(before);
    }
    const project = await loadDir(dir);
    expect(containerSpecFor(project, "web", 7, CONTEXT).spec.labels["com.docker.compose.config-hash"]).toBe(
      before,
    );
  });

  it("changes with the configuration", async () => {
    const dir = writeProject({ "compose.yaml": base.join("\n") });
    const other = writeProject({ "compose.yaml": base.join("\n").replace("nginx", "nginx:1.27") });
    expect(hashOf(await loadDir(other))).not.toBe(hashOf(await loadDir(dir)));
  });
});

describe("hand-built models", () => {
  it("accepts a service with no networks section when the project has a default network", () => {
    const { spec } = containerSpecFor(handBuilt({ image: "nginx" }), "web", 1, CONTEXT);
    expect(spec.networkMode).toBe("app_default");
    expect(spec.networks).toEqual({ app_default: { aliases: ["app-web-1", "web"] } });
  });

  it("refuses a provider service, which has no container", () => {
    const project = handBuilt({ provider: { type: "model" } });
    expect(() => containerSpecFor(project, "web", 1, CONTEXT)).toThrow(/provider/);
  });

  it("falls back to the legacy log_driver and log_opt", () => {
    const project = handBuilt({ image: "nginx", log_driver: "syslog", log_opt: { tag: "web" } });
    expect(containerSpecFor(project, "web", 1, CONTEXT).spec.logging).toEqual({
      driver: "syslog",
      options: { tag: "web" },
    });
  });
});
