import { describe, expect, it } from "vitest";
import { LoadError } from "../../../src/errors.js";
import { parseYaml } from "../../../src/project/parse.js";
import { formats } from "../../../src/project/schema/compose-validator.generated.js";
import { validate } from "../../../src/project/validate.js";

/** Strip the common indentation of a template literal, so YAML lines and columns are what they look like. */
function yaml(text: string): string {
  const lines = text
    .replace(/^\n/, "")
    .replace(/\n\s*$/, "")
    .split("\n");
  const indent = Math.min(
    ...lines.filter((line) => line.trim() !== "").map((line) => /^ */.exec(line)?.[0].length ?? 0),
  );
  return `${lines.map((line) => line.slice(indent)).join("\n")}\n`;
}

/** Validate a compose file; undefined when valid, else the error's `describe()` line. */
function check(text: string): string | undefined {
  const [doc] = parseYaml(yaml(text), "compose.yaml");
  if (!doc) throw new Error("empty document");
  try {
    validate(doc.tree, doc.sources);
    return undefined;
  } catch (error) {
    if (error instanceof LoadError) return error.describe();
    throw error;
  }
}

function errorOf(text: string): LoadError {
  const [doc] = parseYaml(yaml(text), "compose.yaml");
  if (!doc) throw new Error("empty document");
  try {
    validate(doc.tree, doc.sources);
  } catch (error) {
    if (error instanceof LoadError) return error;
    throw error;
  }
  throw new Error("expected a LoadError");
}

/** One service with `body` (indented under it) as its only content. */
function service(body: string): string {
  const lines = yaml(body)
    .trimEnd()
    .split("\n")
    .map((line) => `    ${line}`);
  return ["services:", "  web:", ...lines].join("\n");
}

describe("valid files", () => {
  it("accepts a realistic file that uses every service key once", () => {
    expect(
      check(`
        version: "3.9"
        name: shop_2-prod
        include:
          - other/compose.yaml
          - path: [a.yaml, b.yaml]
            env_file: a.env
            project_directory: ./a
        x-common: &common
          restart: unless-stopped
        services:
          web:
            <<: *common
            annotations: { com.example.team: web }
            attach: false
            blkio_config:
              weight: 300
              weight_device: [{ path: /dev/sda, weight: 400 }]
              device_read_bps: [{ path: /dev/sda, rate: 12mb }]
              device_write_bps: [{ path: /dev/sda, rate: 1024k }]
              device_read_iops: [{ path: /dev/sda, rate: 120 }]
              device_write_iops: [{ path: /dev/sda, rate: "30" }]
            build:
              context: ./web
              dockerfile: Dockerfile.prod
              dockerfile_inline: FROM scratch
              args: { VERSION: "1.2", DEBUG: null }
              ssh: [default]
              labels: [com.example=1]
              cache_from: [type=registry,ref=web:cache]
              cache_to: [type=inline]
              no_cache: false
              additional_contexts: { base: docker-image://alpine }
              network: host
              provenance: true
              sbom: mode=max
              pull: true
              target: prod
              shm_size: 2g
              extra_hosts: ["db:10.0.0.2"]
              isolation: default
              privileged: false
              secrets: [npmrc]
              tags: [web:latest]
              ulimits: { nofile: 1024 }
              platforms: [linux/amd64, linux/arm64]
              entitlements: [network.host]
              x-build-note: fine
            cap_add: [NET_ADMIN]
            cap_drop: [ALL]
            cgroup: private
            cgroup_parent: m-executor
            command: ["npm", "start"]
            configs: [app_config, { source: other, target: /etc/other, uid: "100", gid: "100", mode: 0440 }]
            container_name: shop-web
            cpu_count: 2
            cpu_percent: 50
            cpu_shares: 73
            cpu_quota: 50000
            cpu_period: 100000
            cpu_rt_period: 1400us
            cpu_rt_runtime: 95000
            cpus: 1.5
            cpuset: 0-3
            credential_spec: { config: my_credential_spec }
            depends_on:
              db: { condition: service_healthy, restart: true, required: false }
            deploy:
              mode: replicated
              endpoint_mode: vip
              replicas: 1
              labels: { com.example.tier: front }
              resources:
                limits: { cpus: "0.5", memory: 512M, pids: 100 }
                reservations:
                  cpus: "0.25"
                  memory: 128m
                  devices: [{ driver: nvidia, count: 1, capabilities: [gpu] }]
                  generic_resources: [{ discrete_resource_spec: { kind: gpu, value: 2 } }]
              restart_policy: { condition: on-failure, delay: 5s, max_attempts: 3, window: 2m }
              update_config: { parallelism: 2, delay: 10s, order: start-first, monitor: 1m, failure_action: pause }
              rollback_config: { parallelism: 1, delay: 0s, order: stop-first, max_failure_ratio: 0.1 }
              placement:
                constraints: [node.role==manager]
                preferences: [{ spread: node.labels.zone }]
                max_replicas_per_node: 1
            develop:
              watch:
                - path: ./src
                  action: sync+exec
                  target: /app/src
                  ignore: [node_modules/]
                  include: "*.js"
                  exec: { command: [npm, run, build] }
            device_cgroup_rules: ["c 1:3 mr"]
            devices: ["/dev/ttyUSB0:/dev/ttyUSB0", { source: /dev/sda, target: /dev/xvda, permissions: rwm }]
            dns: 8.8.8.8
            dns_opt: [use-vc]
            dns_search: [example.com]
            domainname: example.com
            entrypoint: /entrypoint.sh
            env_file:
              - .env
              - path: ./override.env
                required: false
                format: raw
            environment:
              NODE_ENV: production
              WORKERS: 4
              VERBOSE: false
              EMPTY:
            expose: ["3000", 8080, "9000-9010/udp"]
            extends: { service: base, file: base.yaml }
            external_links: [redis_1]
            extra_hosts: { somehost: "162.242.195.82", other: ["::1", "10.0.0.1"] }
            gpus: all
            group_add: [mail, 1001]
            healthcheck:
              test: ["CMD", "curl", "-f", "http://localhost"]
              interval: 1m30s
              timeout: 10s
              retries: 3
              start_period: 40s
              start_interval: 5s
              disable: false
              x-probe: deep
            hostname: web
            image: shop/web:1.2
            init: true
            ipc: shareable
            isolation: default
            labels: [com.example.description=web]
            label_file: ./labels
            links: [db:database]
            logging: { driver: json-file, options: { max-size: 200k, max-file: 10 } }
            mac_address: 02:42:ac:11:65:43
            mem_limit: 1g
            mem_reservation: 512m
            mem_swappiness: 60
            memswap_limit: -1
            models: [llm]
            networks:
              front:
                aliases: [shop]
                ipv4_address: 172.16.238.10
                priority: 1000
                gw_priority: 1
                interface_name: eth0
                driver_opts: { com.example.mtu: 1400 }
                link_local_ips: [57.123.22.11]
                mac_address: 02:42:ac:11:65:44
              back:
            oom_kill_disable: false
            oom_score_adj: -500
            pid: host
            pids_limit: 100
            platform: linux/amd64
            ports:
              - 3000
              - "8000:8000"
              - "127.0.0.1:8001:8001/udp"
              - { target: 80, published: "8080", host_ip: 127.0.0.1, protocol: tcp, mode: host, name: web, app_protocol: http }
            post_start: [{ command: ./hook.sh, user: root, privileged: true, working_dir: /, environment: [A=1] }]
            pre_stop: [{ command: [./drain.sh] }]
            privileged: false
            profiles: [frontend]
            pull_policy: every_12h
            pull_refresh_after: 1h
            read_only: true
            runtime: runc
            scale: 1
            secrets: [server-certificate]
            security_opt: [label=user:USER]
            shm_size: 64m
            stdin_open: true
            stop_grace_period: 1m30s
            stop_signal: SIGUSR1
            storage_opt: { size: 1G }
            sysctls: { net.core.somaxconn: 1024 }
            tmpfs: [/run, /tmp]
            tty: true
            ulimits: { nproc: 65535, nofile: { soft: 20000, hard: 40000 } }
            use_api_socket: true
            user: "1000:1000"
            userns_mode: host
            uts: host
            volumes:
              - ./data:/data:ro
              - type: bind
                source: ./static
                target: /static
                read_only: true
                bind: { propagation: rprivate, create_host_path: true, selinux: z, recursive: readonly }
              - type: volume
                source: db-data
                target: /var/lib/db
                volume: { nocopy: true, subpath: sub, labels: { a: b } }
              - type: tmpfs
                target: /cache
                tmpfs: { size: 10m, mode: 1777 }
              - type: image
                source: alpine
                target: /alpine
                image: { subpath: etc }
            volumes_from: ["other:ro"]
            working_dir: /app
            x-custom: { anything: [1, 2] }
          db:
            image: postgres:16
            network_mode: "service:web"
            provider: { type: model, options: { model: ai/smollm2, flags: [a, b] } }
            restart: always
        networks:
          front:
            driver: bridge
            driver_opts: { com.docker.network.bridge.name: br-front }
            ipam:
              driver: default
              config: [{ subnet: 172.16.238.0/24, gateway: 172.16.238.1, aux_addresses: { host1: 172.16.238.5 } }]
              options: { foo: bar }
            internal: false
            enable_ipv4: true
            enable_ipv6: false
            attachable: true
            labels: { a: b }
            x-note: front
          back:
          outside:
            external: true
            name: corp-net
        volumes:
          db-data:
            driver: local
            driver_opts: { type: none, device: /data, o: bind }
            labels: [a=b]
          shared:
            external: true
        secrets:
          server-certificate: { file: ./server.cert }
          token: { environment: TOKEN }
          npmrc: { external: true, name: npmrc-v2 }
        configs:
          app_config: { content: "debug=1", template_driver: golang }
          other: { file: ./other.conf, labels: { a: b } }
        models:
          llm:
            model: ai/smollm2
            context_size: 4096
            runtime_flags: [--no-prefill]
        x-extra: { free: form }
      `),
    ).toBeUndefined();
  });

  it("accepts an empty file section set and null-valued networks and volumes", () => {
    expect(
      check(`
        services:
          web:
            image: nginx
            deploy:
            develop:
        networks:
          default:
        volumes:
          data:
      `),
    ).toBeUndefined();
  });

  it.each([
    ["[::1]:80:80"],
    ["127.0.0.1:8000-8001:80-81/udp"],
    ["9000"],
    ["8000-8010:80"],
    ["127.0.0.1::80"],
    ["53:53/UDP"],
    ["0:80"],
    ["::1:8080:80"],
    ["80:80/sctp"],
  ])("accepts port %s", (port) => {
    expect(check(service(`ports: [${JSON.stringify(port)}]`))).toBeUndefined();
  });

  it.each([["1m30s"], ["10s"], ["1.5h"], ["500ms"], ["100us"], ["0"], ["1h2m3s"], ["2µs"]])(
    "accepts duration %s",
    (duration) => {
      expect(check(service(`stop_grace_period: ${JSON.stringify(duration)}`))).toBeUndefined();
    },
  );

  it.each([["512m"], ["1g"], ["100kb"], ["2 GiB"], ["1.5G"], ["1024"], ["1e3m"]])(
    "accepts size %s",
    (size) => {
      expect(check(service(`shm_size: ${JSON.stringify(size)}`))).toBeUndefined();
    },
  );

  it("accepts integer sizes and a -1 swap limit", () => {
    expect(check(service("shm_size: 67108864\nmemswap_limit: -1\nmem_limit: 1073741824"))).toBeUndefined();
  });

  it("accepts x- extensions wherever the spec allows them", () => {
    expect(
      check(`
        x-top: 1
        services:
          web:
            x-a: 1
            image: nginx
            build: { context: ., x-b: 1 }
            healthcheck: { test: [NONE], x-c: 1 }
            deploy: { x-d: 1, resources: { x-e: 1, limits: { x-f: 1 } } }
            logging: { x-g: 1 }
            networks: { front: { x-h: 1 } }
            ports: [{ target: 80, x-i: 1 }]
            depends_on: { db: { condition: service_started, x-j: 1 } }
        networks:
          front: { x-k: 1, ipam: { x-l: 1, config: [{ x-m: 1 }] } }
        volumes:
          data: { x-n: 1 }
        secrets:
          s: { file: ./s, x-o: 1 }
        configs:
          c: { file: ./c, x-p: 1 }
      `),
    ).toBeUndefined();
  });

  it("accepts a config or secret that only names a driver or is external", () => {
    expect(check("secrets:\n  s:\n    driver: vault\nconfigs:\n  c:\n    external: true\n")).toBeUndefined();
  });

  it("accepts network_mode with an empty networks list", () => {
    expect(check(service("network_mode: host\nnetworks: []"))).toBeUndefined();
  });
});

describe("unknown keys", () => {
  it("at top level", () => {
    expect(check("services: {}\nhelicopters: 3\n")).toBe(
      'compose.yaml:2:1: additional property "helicopters" is not allowed',
    );
  });

  it("at top level, with a suggestion", () => {
    expect(check("service:\n  web: {}\n")).toBe(
      'compose.yaml:1:1: additional property "service" is not allowed (did you mean "services"?)',
    );
  });

  it("in a service, located at the key", () => {
    expect(check(service("image: nginx\nhelicopters: 3"))).toBe(
      'compose.yaml:4:5: services.web: additional property "helicopters" is not allowed',
    );
  });

  it("in a service, with a suggestion", () => {
    expect(check(service("image: nginx\nhealtcheck: {}"))).toBe(
      'compose.yaml:4:5: services.web: additional property "healtcheck" is not allowed (did you mean "healthcheck"?)',
    );
  });

  it("suggests across - and _", () => {
    expect(check(service("depends-on: [db]"))).toBe(
      'compose.yaml:3:5: services.web: additional property "depends-on" is not allowed (did you mean "depends_on"?)',
    );
  });

  it("in healthcheck", () => {
    expect(check(service('healthcheck:\n  test: [CMD, "true"]\n  intervall: 10s'))).toBe(
      'compose.yaml:5:7: services.web.healthcheck: additional property "intervall" is not allowed (did you mean "interval"?)',
    );
  });

  it("in deploy.resources", () => {
    expect(check(service("deploy:\n  resources:\n    limit: { memory: 1g }"))).toBe(
      'compose.yaml:5:9: services.web.deploy.resources: additional property "limit" is not allowed (did you mean "limits"?)',
    );
  });

  it("in the long form of build", () => {
    expect(check(service("build:\n  context: .\n  dockerfil: Dockerfile.dev"))).toBe(
      'compose.yaml:5:7: services.web.build: additional property "dockerfil" is not allowed (did you mean "dockerfile"?)',
    );
  });

  it("in a service's networks entry", () => {
    expect(check(service("networks:\n  front:\n    alias: [www]"))).toBe(
      'compose.yaml:5:9: services.web.networks.front: additional property "alias" is not allowed (did you mean "aliases"?)',
    );
  });

  it("in a top-level network", () => {
    expect(check("networks:\n  front:\n    drivers: bridge\n")).toBe(
      'compose.yaml:3:5: networks.front: additional property "drivers" is not allowed (did you mean "driver"?)',
    );
  });

  it("in a depends_on entry", () => {
    expect(check(service("depends_on:\n  db:\n    condtion: service_healthy"))).toBe(
      'compose.yaml:5:9: services.web.depends_on.db: additional property "condtion" is not allowed (did you mean "condition"?)',
    );
  });

  it("without a suggestion when nothing is close", () => {
    expect(check(service("logging:\n  driver: json-file\n  rotation: daily"))).toBe(
      'compose.yaml:5:7: services.web.logging: additional property "rotation" is not allowed',
    );
  });

  it("x- extensions where the spec does not allow them: blkio_config", () => {
    expect(check(service("blkio_config:\n  x-note: 1"))).toBe(
      'compose.yaml:4:7: services.web.blkio_config: additional property "x-note" is not allowed (extension fields are not allowed here)',
    );
  });

  it("x- extensions where the spec does not allow them: extends", () => {
    expect(check(service("extends:\n  service: base\n  x-note: 1"))).toBe(
      'compose.yaml:5:7: services.web.extends: additional property "x-note" is not allowed (extension fields are not allowed here)',
    );
  });

  it("x- extensions where the spec does not allow them: include", () => {
    expect(check("include:\n  - path: a.yaml\n    x-note: 1\n")).toBe(
      'compose.yaml:3:5: include[0]: additional property "x-note" is not allowed (extension fields are not allowed here)',
    );
  });
});

describe("wrong types", () => {
  it("a string field given a number", () => {
    expect(check(service("image: 5"))).toBe("compose.yaml:3:12: services.web.image: must be a string");
  });

  it("a section that must be a mapping", () => {
    expect(check("services: []\n")).toBe("compose.yaml:1:11: services: must be a mapping");
  });

  it("an empty services section", () => {
    expect(check("services:\n")).toBe("compose.yaml:1:10: services: must be a mapping");
  });

  it("a service that is not a mapping", () => {
    expect(check("services:\n  web: nginx\n")).toBe("compose.yaml:2:8: services.web: must be a mapping");
  });

  it("an environment value that is a list", () => {
    expect(check(service("environment:\n  FOO: [1]"))).toBe(
      "compose.yaml:4:12: services.web.environment.FOO: must be a boolean, null, number or string",
    );
  });

  it("an environment given as a string (no oneOf branch takes it)", () => {
    expect(check(service('environment: "A=b"'))).toBe(
      "compose.yaml:3:18: services.web.environment: must be a list or mapping",
    );
  });

  it("build given a number", () => {
    expect(check(service("build: 5"))).toBe(
      "compose.yaml:3:12: services.web.build: must be a mapping or string",
    );
  });

  it("an environment list entry that is not a string (the list branch is chosen)", () => {
    expect(check(service("environment: [A=1, 2]"))).toBe(
      "compose.yaml:3:24: services.web.environment[1]: must be a string",
    );
  });

  it("a union type, with the right article", () => {
    expect(check(service("scale: [2]"))).toBe(
      "compose.yaml:3:12: services.web.scale: must be an integer or string",
    );
  });

  it("version (obsolete) may be a number or a string, but not a list", () => {
    expect(check("version: 3.8\nservices: {}\n")).toBeUndefined();
    expect(check('version: "3.8"\nservices: {}\n')).toBeUndefined();
    expect(check("version: [3]\nservices: {}\n")).toBe(
      "compose.yaml:1:10: version: must be a number or string",
    );
  });

  it("a list field given a string", () => {
    expect(check(service('ports: "80:80"'))).toBe("compose.yaml:3:12: services.web.ports: must be a list");
  });

  it("a non-integer port number", () => {
    expect(check(service("ports: [80.5]"))).toBe(
      "compose.yaml:3:13: services.web.ports[0]: must be an integer, mapping or string",
    );
  });
});

describe("ports", () => {
  it.each([
    ["70000:80", 1],
    ["8080-8079:80", 1],
    ["80-90:80-85", 1],
    ["abc:80", 1],
    ["80/xyz", 1],
    ["80:80:80", 1],
    ["0", 1],
    ["1.2.3.4.5:80:80", 1],
  ])('rejects "%s"', (port) => {
    expect(check(service(`ports:\n  - "8080:80"\n  - "${port}"`))).toBe(
      `compose.yaml:5:9: services.web.ports[1]: ${JSON.stringify(port)} is not a valid port`,
    );
  });

  it("rejects a port number out of range", () => {
    expect(check(service("ports: [70000]"))).toBe(
      "compose.yaml:3:13: services.web.ports[0]: must be less than or equal to 65535",
    );
  });

  it("rejects an unknown key in the long syntax", () => {
    expect(check(service("ports:\n  - target: 80\n    publish: 8080"))).toBe(
      'compose.yaml:5:9: services.web.ports[0]: additional property "publish" is not allowed (did you mean "published"?)',
    );
  });

  it("gives a hint on the syntax", () => {
    expect(errorOf(service('ports: ["80:80:80"]')).hint).toContain("CONTAINER_PORT");
  });

  it("rejects duplicate ports", () => {
    expect(check(service('ports: ["80:80", "443:443", "80:80"]'))).toBe(
      'compose.yaml:3:33: services.web.ports: "80:80" is listed twice (at [0] and [2])',
    );
  });

  it("rejects a bad expose entry", () => {
    expect(check(service('expose: ["3000", "3000/xyz"]'))).toBe(
      'compose.yaml:3:22: services.web.expose[1]: "3000/xyz" is not a valid port',
    );
  });
});

describe("durations and sizes", () => {
  it.each([["10"], ["1d"], ["5 s"], ["-1s"], [""], ["1S"]])('rejects duration "%s"', (duration) => {
    expect(check(service(`healthcheck:\n  interval: "${duration}"`))).toBe(
      `compose.yaml:4:17: services.web.healthcheck.interval: ${JSON.stringify(duration)} is not a valid duration`,
    );
  });

  it("rejects a duration given as a number", () => {
    expect(check(service("stop_grace_period: 10"))).toBe(
      "compose.yaml:3:24: services.web.stop_grace_period: must be a string",
    );
  });

  it("checks durations in deploy too", () => {
    expect(check(service("deploy:\n  restart_policy:\n    delay: 5 seconds"))).toBe(
      'compose.yaml:5:16: services.web.deploy.restart_policy.delay: "5 seconds" is not a valid duration',
    );
  });

  it.each([["12x"], ["-5m"], ["m"], ["1.2.3m"], ["5bb"]])('rejects size "%s"', (size) => {
    expect(check(service(`mem_limit: "${size}"`))).toBe(
      `compose.yaml:3:16: services.web.mem_limit: ${JSON.stringify(size)} is not a valid byte size`,
    );
  });

  it("checks sizes in deploy.resources", () => {
    expect(check(service("deploy:\n  resources:\n    limits:\n      memory: lots"))).toBe(
      'compose.yaml:6:19: services.web.deploy.resources.limits.memory: "lots" is not a valid byte size',
    );
  });

  it("the format functions agree with Go on edge cases", () => {
    expect(formats.duration("1.s")).toBe(true);
    expect(formats.duration(".5s")).toBe(true);
    expect(formats.bytes("5 m")).toBe(true);
    expect(formats.bytes("5kbit")).toBe(false);
    expect(formats.ports("[::1:80:80")).toBe(false);
    expect(formats.expose("8000-8010/udp")).toBe(true);
  });
});

describe("names, enums and patterns", () => {
  it("a bad service name", () => {
    expect(check("services:\n  web!:\n    image: x\n")).toBe(
      'compose.yaml:2:3: services: "web!" is not a valid service name: use only letters, digits, ".", "_" and "-"',
    );
  });

  it("a bad volume name", () => {
    expect(check("volumes:\n  my data:\n")).toBe(
      'compose.yaml:2:3: volumes: "my data" is not a valid volume name: use only letters, digits, ".", "_" and "-"',
    );
  });

  it("a bad network name in a service's networks mapping", () => {
    expect(check(service("networks:\n  front/back: {}"))).toBe(
      'compose.yaml:4:7: services.web.networks: "front/back" is not a valid network name: use only letters, digits, ".", "_" and "-"',
    );
  });

  it("a project name that is not a string (any string is normalized, as Compose does)", () => {
    expect(check("name: My App\n")).toBeUndefined();
    expect(check("name: [app]\n")).toBe("compose.yaml:1:7: name: must be a string");
  });

  it("a bad container name", () => {
    expect(check(service("container_name: -web"))).toBe(
      'compose.yaml:3:21: services.web.container_name: "-web" is not a valid container name: use at least two of letters, digits, "_", "." and "-", starting with a letter or digit',
    );
  });

  it("a bad pull policy", () => {
    expect(check(service("pull_policy: sometimes"))).toBe(
      'compose.yaml:3:18: services.web.pull_policy: "sometimes" is not a valid pull policy: use always, never, missing, build, if_not_present, refresh, daily, weekly or every_<interval>',
    );
  });

  it("a bad depends_on condition", () => {
    expect(check(service("depends_on:\n  db:\n    condition: started"))).toBe(
      "compose.yaml:5:20: services.web.depends_on.db.condition: must be one of: service_started, service_healthy, service_completed_successfully",
    );
  });

  it("a missing depends_on condition", () => {
    expect(check(service("depends_on:\n  db: {}"))).toBe(
      'compose.yaml:4:11: services.web.depends_on.db: missing required property "condition"',
    );
  });

  it("a bad cgroup", () => {
    expect(check(service("cgroup: shared"))).toBe(
      "compose.yaml:3:13: services.web.cgroup: must be one of: host, private",
    );
  });

  it("accepts a watch rule's initial_sync (compose-go's schema has it)", () => {
    expect(
      check(
        service(
          "develop:\n  watch:\n    - path: .\n      action: sync\n      target: /app\n      initial_sync: true",
        ),
      ),
    ).toBeUndefined();
  });

  it("a bad watch action", () => {
    expect(check(service("develop:\n  watch:\n    - path: .\n      action: copy"))).toBe(
      "compose.yaml:6:19: services.web.develop.watch[0].action: must be one of: rebuild, sync, restart, sync+restart, sync+exec",
    );
  });

  it("a bad mount type", () => {
    expect(check(service("volumes:\n  - type: nfs\n    target: /x"))).toBe(
      "compose.yaml:4:15: services.web.volumes[0].type: must be one of: bind, volume, tmpfs, cluster, npipe, image",
    );
  });

  it("restart is checked here, though Compose leaves it to the engine (see below)", () => {
    expect(check(service("restart: sometimes"))).toContain("is not a valid restart policy");
  });

  it("gpus given another word", () => {
    expect(check(service("gpus: some"))).toBe('compose.yaml:3:11: services.web.gpus: must be "all"');
  });

  it("a device reservation without capabilities or driver", () => {
    expect(
      check(service("deploy:\n  resources:\n    reservations:\n      devices:\n        - count: 1")),
    ).toBe(
      'compose.yaml:7:15: services.web.deploy.resources.reservations.devices[0]: must set one of "capabilities" or "driver"',
    );
  });

  it("an out-of-range number", () => {
    expect(check(service("cpu_percent: 150"))).toBe(
      "compose.yaml:3:18: services.web.cpu_percent: must be less than or equal to 100",
    );
  });

  it("duplicate capabilities", () => {
    expect(check(service("cap_add: [NET_ADMIN, SYS_TIME, NET_ADMIN]"))).toBe(
      'compose.yaml:3:36: services.web.cap_add: "NET_ADMIN" is listed twice (at [0] and [2])',
    );
  });
});

describe("choosing among several errors", () => {
  it("the deepest error wins over an earlier shallow one", () => {
    expect(check(service("image: 5\nhealthcheck:\n  timeout: soon"))).toBe(
      'compose.yaml:5:16: services.web.healthcheck.timeout: "soon" is not a valid duration',
    );
  });

  it("among equally deep errors, the first in the file wins", () => {
    expect(check(service("image: 5\nhostname: 6"))).toBe(
      "compose.yaml:3:12: services.web.image: must be a string",
    );
  });

  it("an unknown key counts one level deeper than its mapping", () => {
    expect(check(service("hostnam: web\nimage: 5"))).toBe(
      'compose.yaml:3:5: services.web: additional property "hostnam" is not allowed (did you mean "hostname"?)',
    );
  });
});

describe("checks next to the schema", () => {
  it("network_mode with networks", () => {
    expect(check(service("network_mode: host\nnetworks: [front]"))).toBe(
      'compose.yaml:4:5: services.web: "network_mode" and "networks" are mutually exclusive',
    );
  });

  it("an external volume with a driver", () => {
    expect(check("volumes:\n  data:\n    external: true\n    driver: local\n")).toBe(
      'compose.yaml:4:5: volumes.data: conflicting parameters "external" and "driver" specified',
    );
  });

  it("an external network with ipam", () => {
    expect(check("networks:\n  corp:\n    external: true\n    ipam: {}\n")).toBe(
      'compose.yaml:4:5: networks.corp: conflicting parameters "external" and "ipam" specified',
    );
  });

  it("a config with two sources", () => {
    expect(check("configs:\n  app:\n    file: ./app.conf\n    content: x\n")).toBe(
      'compose.yaml:4:5: configs.app: "file" and "content" are mutually exclusive',
    );
  });

  it("a config with no source", () => {
    expect(check("configs:\n  app:\n    name: app\n")).toBe(
      'compose.yaml:2:3: configs.app: one of "file", "environment" or "content" must be set',
    );
  });

  it("a secret may not have inline content", () => {
    expect(check("secrets:\n  s:\n    content: hunter2\n")).toBe(
      'compose.yaml:3:5: secrets.s: additional property "content" is not allowed',
    );
  });

  it("a healthcheck test that does not start with CMD, CMD-SHELL or NONE", () => {
    expect(check(service('healthcheck:\n  test: ["curl", "-f", "http://localhost"]'))).toBe(
      'compose.yaml:4:14: services.web.healthcheck.test: must start with "CMD", "CMD-SHELL" or "NONE"',
    );
  });

  it("reports the first of several such problems in the file", () => {
    expect(
      check("configs:\n  app:\n    name: app\nvolumes:\n  data:\n    external: true\n    driver: local\n"),
    ).toBe('compose.yaml:2:3: configs.app: one of "file", "environment" or "content" must be set');
  });

  it("an empty watch path", () => {
    expect(check(service('develop:\n  watch:\n    - path: ""\n      action: rebuild'))).toBe(
      "compose.yaml:5:17: services.web.develop.watch[0].path: must not be empty",
    );
  });
});

describe("error shape", () => {
  it("is a LoadError with path, location and a hint for formats", () => {
    const error = errorOf(service("healthcheck:\n  interval: 10"));
    expect(error.path).toBe("services.web.healthcheck.interval");
    expect(error.location).toEqual({ file: "compose.yaml", line: 4, col: 17 });
    expect(error.message).toBe("must be a string");
    const format = errorOf(service('healthcheck:\n  interval: "10"'));
    expect(format.hint).toContain("10s");
  });
});

describe("values Compose leaves for the engine to refuse", () => {
  it("a restart policy: no, always, on-failure[:N], unless-stopped (and Compose's none, any)", () => {
    for (const ok of ["no", "none", "always", "any", "on-failure", "on-failure:5", "unless-stopped", '""']) {
      expect(check(service(`image: x\nrestart: ${ok}`))).toBeUndefined();
    }
    expect(check(service("restart: on-failure:many"))).toBe(
      'compose.yaml:3:14: services.web.restart: "on-failure:many" is not a valid restart policy: use no, always, on-failure[:N] or unless-stopped',
    );
  });

  it("container_name with one replica, not with more", () => {
    expect(check(service("container_name: app\nscale: 1\ndeploy: {replicas: 1}"))).toBeUndefined();
    expect(check(service('container_name: app\nscale: "4"'))).toBe(
      'compose.yaml:3:21: services.web.container_name: "app" cannot be used with scale 4: a container name must be unique',
    );
  });

  it("scale, deploy.replicas and cpus are not negative", () => {
    expect(check(service("scale: 0\ncpus: 0.5"))).toBeUndefined();
    expect(check(service("deploy:\n  replicas: -2"))).toBe(
      "compose.yaml:4:17: services.web.deploy.replicas: must be greater than or equal to 0, not -2",
    );
    expect(check(service("deploy:\n  resources:\n    limits:\n      cpus: -1"))).toBe(
      "compose.yaml:6:17: services.web.deploy.resources.limits.cpus: must be greater than or equal to 0, not -1",
    );
  });

  it("a published port in the long syntax is a port or a range of them", () => {
    for (const ok of ["0", "8080", '"8080"', '"8000-8010"', "65535"]) {
      expect(check(service(`ports:\n  - {target: 80, published: ${ok}}`))).toBeUndefined();
    }
    expect(check(service('ports:\n  - {target: 80, published: "9000-8000"}'))).toBe(
      'compose.yaml:4:33: services.web.ports[0].published: "9000-8000" is not a valid published port: use a port from 0 to 65535, or a range such as 8000-8010',
    );
  });

  it("environment names are not empty and hold no =", () => {
    expect(check(service("environment: [A=1, B, C=]"))).toBeUndefined();
    expect(check(service('environment: ["=1"]'))).toBe(
      'compose.yaml:3:19: services.web.environment[0]: "=1" has no variable name',
    );
  });
});
