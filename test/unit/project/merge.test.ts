import { describe, expect, it } from "vitest";
import { LoadError } from "../../../src/errors.js";
import { enforceUnicity, mergeDocuments, volumeTarget, type Located } from "../../../src/project/merge.js";
import { parseYaml, type ParsedDocument } from "../../../src/project/parse.js";
import { SourceMap } from "../../../src/project/source-map.js";
import type { Mapping } from "../../../src/project/tree.js";

function parse(text: string, file: string): ParsedDocument {
  const [doc] = parseYaml(text, file);
  return doc ?? { file, tree: {}, sources: new SourceMap(), resetPaths: [] };
}

/** Merge the documents in order, from an empty tree, as the loader does (`f0.yaml`, `f1.yaml`, ...). */
function mergeAll(...texts: string[]): Located {
  let accumulated: Located = { tree: {}, sources: new SourceMap() };
  texts.forEach((text, index) => {
    accumulated = mergeDocuments(accumulated, parse(text, `f${index}.yaml`));
  });
  return accumulated;
}

function yaml(text: string): Mapping {
  return parse(text, "want.yaml").tree;
}

function loadError(run: () => unknown): LoadError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(LoadError);
    return error as LoadError;
  }
  throw new Error("expected a LoadError");
}

interface Case {
  readonly name: string;
  readonly docs: readonly string[];
  readonly want: string;
}

/** Each case mirrors a compose-go rule (override/merge.go, override/uncity.go) or one of its tests. */
const cases: readonly Case[] = [
  {
    name: "mappings merge by key, scalars are replaced (Test_mergeOverrides)",
    docs: [
      "services:\n  test:\n    image: foo\n    scale: 1\n",
      "services:\n  test:\n    image: bar\n",
      "services:\n  test:\n    scale: 2\n",
    ],
    want: "services:\n  test:\n    image: bar\n    scale: 2\n",
  },
  {
    name: "a null override keeps the earlier value",
    docs: ["services:\n  test:\n    image: foo\n", "services:\n  test:\n    image: null\n"],
    want: "services:\n  test:\n    image: foo\n",
  },
  {
    name: "sequences without a rule are appended, duplicates kept (security_opt)",
    docs: [
      "services:\n  test:\n    security_opt: [label:role:ROLE]\n",
      "services:\n  test:\n    security_opt: [label:role:ROLE, label:user:USER]\n",
    ],
    want: "services:\n  test:\n    security_opt: [label:role:ROLE, label:role:ROLE, label:user:USER]\n",
  },
  {
    name: "command is replaced, not appended",
    docs: [
      'services:\n  foo:\n    command: ["echo", "foo"]\n',
      'services:\n  foo:\n    command: ["echo", "bar"]\n',
    ],
    want: 'services:\n  foo:\n    command: ["echo", "bar"]\n',
  },
  {
    name: "entrypoint is replaced, a string by a list too",
    docs: ["services:\n  foo:\n    entrypoint: /a.sh\n", "services:\n  foo:\n    entrypoint: [/b.sh, -x]\n"],
    want: "services:\n  foo:\n    entrypoint: [/b.sh, -x]\n",
  },
  {
    name: "healthcheck.test is replaced, other healthcheck keys merge",
    docs: [
      "services:\n  foo:\n    healthcheck:\n      test: [CMD, a]\n      retries: 3\n",
      "services:\n  foo:\n    healthcheck:\n      test: [CMD-SHELL, b]\n      interval: 5s\n",
    ],
    want: "services:\n  foo:\n    healthcheck:\n      test: [CMD-SHELL, b]\n      retries: 3\n      interval: 5s\n",
  },
  {
    name: "command: null in an override clears it (the override rule takes the value as is)",
    docs: ["services:\n  foo:\n    command: run\n", "services:\n  foo:\n    command: null\n"],
    want: "services:\n  foo:\n    command: null\n",
  },
  {
    name: "environment lists are appended (Test_mergeYamlEnvironmentSequence)",
    docs: [
      "services:\n  test:\n    image: foo\n    environment:\n      - FOO=BAR\n",
      "services:\n  test:\n    environment:\n      - QIX=ZOT\n      - EMPTY=\n      - NIL\n",
    ],
    want: "services:\n  test:\n    image: foo\n    environment: [FOO=BAR, QIX=ZOT, EMPTY=, NIL]\n",
  },
  {
    name: "environment mappings become sorted KEY=value lists (Test_mergeYamlEnvironmentMapping)",
    docs: [
      "services:\n  test:\n    environment:\n      FOO: BAR\n",
      'services:\n  test:\n    environment:\n      QIX: ZOT\n      EMPTY: ""\n      NIL: null\n',
    ],
    want: "services:\n  test:\n    environment: [FOO=BAR, EMPTY=, NIL, QIX=ZOT]\n",
  },
  {
    name: "environment mapping over list (Test_mergeYamlEnvironmentMixed)",
    docs: [
      "services:\n  test:\n    environment:\n      FOO: BAR\n",
      "services:\n  test:\n    environment:\n      - QIX=ZOT\n",
    ],
    want: "services:\n  test:\n    environment: [FOO=BAR, QIX=ZOT]\n",
  },
  {
    name: "mapping values print as Go's %v: booleans, floats (exponent from 1e6), null as a bare key",
    docs: [
      "services:\n  test:\n    environment:\n      A: true\n      B: 1.5\n      C: 1234567.5\n      D:\n",
      "services:\n  test:\n    environment: [E=5]\n",
    ],
    want: "services:\n  test:\n    environment: [A=true, B=1.5, C=1.2345675e+06, D, E=5]\n",
  },
  {
    name: "a redefined environment variable keeps its place and takes the later value",
    docs: [
      "services:\n  test:\n    environment:\n      A: 1\n      B: 2\n",
      "services:\n  test:\n    environment:\n      - A=3\n      - C=4\n",
    ],
    want: "services:\n  test:\n    environment: [A=3, B=2, C=4]\n",
  },
  {
    name: "duplicate variables within one file are reduced too (EnforceUnicity runs on every file)",
    docs: ["services:\n  test:\n    environment: [A=1, B=2, A=3]\n"],
    want: "services:\n  test:\n    environment: [A=3, B=2]\n",
  },
  {
    name: "labels: mapping and list merged by key",
    docs: [
      "services:\n  test:\n    labels:\n      com.example.a: one\n      com.example.b: two\n",
      "services:\n  test:\n    labels: [com.example.b=deux, com.example.c=trois]\n",
    ],
    want: "services:\n  test:\n    labels: [com.example.a=one, com.example.b=deux, com.example.c=trois]\n",
  },
  {
    name: "annotations and sysctls merge by key",
    docs: [
      "services:\n  test:\n    annotations: {a: 1}\n    sysctls: {net.core.somaxconn: 1024}\n",
      "services:\n  test:\n    annotations: [a=2, b=3]\n    sysctls: [net.core.somaxconn=2048]\n",
    ],
    want: "services:\n  test:\n    annotations: [a=2, b=3]\n    sysctls: [net.core.somaxconn=2048]\n",
  },
  {
    name: "build.args numbers (Test_mergeYamlArgsNumber)",
    docs: [
      "services:\n  test:\n    build:\n      context: .\n      args:\n        FOO: 1\n",
      "services:\n  test:\n    build:\n      context: .\n      args:\n        FOO: 3\n",
    ],
    want: "services:\n  test:\n    build:\n      context: .\n      args: [FOO=3]\n",
  },
  {
    name: "build args, additional_contexts, platform, tags (Test_mergeYamlArgsMixed)",
    docs: [
      "services:\n  test:\n    build:\n      context: .\n      args:\n        FOO: BAR\n      additional_contexts:\n        - resources=/path/to/resources\n        - app=docker-image://my-app:latest\n      platform: linux/amd64\n      tags: [myimage:mytag]\n",
      "services:\n  test:\n    build:\n      args:\n        - QIX=ZOT\n      additional_contexts:\n        app: docker-image://new-app:latest\n        source: https://github.com/myuser/project.git\n      tags: [registry/username/myrepos:my-other-tag]\n",
    ],
    want: "services:\n  test:\n    build:\n      context: .\n      args: [FOO=BAR, QIX=ZOT]\n      additional_contexts:\n        - resources=/path/to/resources\n        - app=docker-image://new-app:latest\n        - source=https://github.com/myuser/project.git\n      platform: linux/amd64\n      tags: [myimage:mytag, registry/username/myrepos:my-other-tag]\n",
  },
  {
    name: "build as a string is the context, merged with a build mapping",
    docs: ["services:\n  test:\n    build: ./app\n", "services:\n  test:\n    build:\n      target: dev\n"],
    want: "services:\n  test:\n    build:\n      context: ./app\n      target: dev\n",
  },
  {
    name: "extra_hosts lists: equal entries dropped, same host kept (TestMergeExtraHostsSequence)",
    docs: [
      "services:\n  test:\n    extra_hosts: [example.com=1.2.3.4]\n",
      "services:\n  test:\n    extra_hosts: [localhost=127.0.0.1, example.com=1.2.3.4, example.com=4.3.2.1]\n",
    ],
    want: "services:\n  test:\n    extra_hosts: [example.com=1.2.3.4, localhost=127.0.0.1, example.com=4.3.2.1]\n",
  },
  {
    name: "extra_hosts mappings, a host with several addresses (TestMergeExtraHostsMapping)",
    docs: [
      'services:\n  test:\n    extra_hosts:\n      "example.com": "1.2.3.4"\n',
      'services:\n  test:\n    extra_hosts:\n      "localhost": "127.0.0.1"\n      "example.com": ["1.2.3.4", "4.3.2.1"]\n',
    ],
    want: "services:\n  test:\n    extra_hosts: [example.com=1.2.3.4, example.com=4.3.2.1, localhost=127.0.0.1]\n",
  },
  {
    name: "depends_on list and mapping merge into a mapping with Compose's defaults",
    docs: [
      "services:\n  web:\n    depends_on: [db, cache]\n",
      "services:\n  web:\n    depends_on:\n      db:\n        condition: service_healthy\n      queue:\n        condition: service_started\n",
    ],
    want: "services:\n  web:\n    depends_on:\n      db: {condition: service_healthy, required: true}\n      cache: {condition: service_started, required: true}\n      queue: {condition: service_started}\n",
  },
  {
    name: "depends_on: null in an override keeps the earlier list (Test_mergeYamlNullOverrideOfMappingLikeAttribute)",
    docs: [
      "services:\n  test:\n    image: foo\n    depends_on: [runtime]\n",
      "services:\n  test:\n    depends_on: null\n",
    ],
    want: "services:\n  test:\n    image: foo\n    depends_on:\n      runtime: {condition: service_started, required: true}\n",
  },
  {
    name: "service networks as lists become a mapping (Test_mergeYamlServiceNetworkSequence)",
    docs: [
      "services:\n  test:\n    networks: [front-network, back-network]\n",
      "services:\n  test:\n    networks: [front-network]\n",
    ],
    want: "services:\n  test:\n    networks:\n      front-network:\n      back-network:\n",
  },
  {
    name: "service networks mappings merge, aliases and link_local_ips unique (Test_mergeYamlServiceNetworksMapping)",
    docs: [
      "services:\n  test:\n    networks:\n      network1:\n        aliases: [alias1, alias2]\n        link_local_ips: [57.123.22.11, 57.123.22.13]\n      network2:\n        aliases: [alias1, alias3]\n",
      "services:\n  test:\n    networks:\n      network1:\n        aliases: [alias3, alias1]\n        link_local_ips: [57.123.22.12, 57.123.22.13]\n",
    ],
    want: "services:\n  test:\n    networks:\n      network1:\n        aliases: [alias1, alias2, alias3]\n        link_local_ips: [57.123.22.11, 57.123.22.13, 57.123.22.12]\n      network2:\n        aliases: [alias1, alias3]\n",
  },
  {
    name: "service networks: list then mapping (Test_mergeYamlServiceNetworksMixed)",
    docs: [
      "services:\n  test:\n    networks: [front-network, network1]\n",
      "services:\n  test:\n    networks:\n      network1:\n        aliases: [alias1]\n",
    ],
    want: "services:\n  test:\n    networks:\n      front-network:\n      network1:\n        aliases: [alias1]\n",
  },
  {
    name: "logging with the same driver merges options (Test_mergeYamlLoggingSameDriver)",
    docs: [
      'services:\n  test:\n    logging:\n      driver: syslog\n      options:\n        syslog-address: "tcp://192.168.0.42:123"\n        tag: web\n',
      'services:\n  test:\n    logging:\n      driver: syslog\n      options:\n        syslog-address: "tcp://127.0.0.1:123"\n',
    ],
    want: 'services:\n  test:\n    logging:\n      driver: syslog\n      options:\n        syslog-address: "tcp://127.0.0.1:123"\n        tag: web\n',
  },
  {
    name: "logging with another driver replaces the options (Test_mergeYamlLoggingDistinctDriver)",
    docs: [
      'services:\n  test:\n    logging:\n      driver: local\n      options:\n        max-size: "10m"\n',
      'services:\n  test:\n    logging:\n      driver: syslog\n      options:\n        syslog-address: "tcp://127.0.0.1:123"\n',
    ],
    want: 'services:\n  test:\n    logging:\n      driver: syslog\n      options:\n        syslog-address: "tcp://127.0.0.1:123"\n',
  },
  {
    name: "logging without a driver merges (Test_mergeYamlLoggingImplicitDriver)",
    docs: [
      'services:\n  test:\n    logging:\n      options:\n        max-size: "10m"\n',
      "services:\n  test:\n    logging:\n      options:\n        max-file: 3\n",
    ],
    want: 'services:\n  test:\n    logging:\n      options:\n        max-size: "10m"\n        max-file: 3\n',
  },
  {
    name: "each ulimit is replaced whole (Test_mergeYamlUlimits)",
    docs: [
      "services:\n  test:\n    ulimits:\n      nofile: {soft: 20000, hard: 40000}\n      nproc: 65535\n      locks: {soft: 20000, hard: 40000}\n      core: 0\n",
      "services:\n  test:\n    ulimits:\n      nofile: {soft: 10000, hard: 40000}\n      nproc: {soft: 65535}\n      locks: {hard: 65535}\n",
    ],
    want: "services:\n  test:\n    ulimits:\n      nofile: {soft: 10000, hard: 40000}\n      nproc: {soft: 65535}\n      locks: {hard: 65535}\n      core: 0\n",
  },
  {
    name: "ports: the same port in short and long syntax is one entry, in the first position, with the last value",
    docs: [
      'services:\n  test:\n    ports: ["8080:80", "9090:90"]\n',
      'services:\n  test:\n    ports:\n      - "8080:80/tcp"\n      - "127.0.0.1:8080:80"\n      - {target: 90, published: "9090"}\n',
    ],
    want: 'services:\n  test:\n    ports:\n      - "8080:80/tcp"\n      - {target: 90, published: "9090"}\n      - "127.0.0.1:8080:80"\n',
  },
  {
    name: "ports: other published port, protocol or target are other entries",
    docs: [
      'services:\n  test:\n    ports: ["8080:80", 80]\n',
      'services:\n  test:\n    ports: ["8081:80", "8080:80/udp", "80"]\n',
    ],
    want: 'services:\n  test:\n    ports: ["8080:80", "80", "8081:80", "8080:80/udp"]\n',
  },
  {
    name: "volumes are unique by target (13-merge.md)",
    docs: [
      "services:\n  foo:\n    volumes: [foo:/work, /data]\n",
      "services:\n  foo:\n    volumes: [bar:/work]\n",
    ],
    want: "services:\n  foo:\n    volumes: [bar:/work, /data]\n",
  },
  {
    name: "volumes: long syntax and short syntax share the target key",
    docs: [
      "services:\n  foo:\n    volumes: [./data:/data:ro, cache:/cache]\n",
      "services:\n  foo:\n    volumes:\n      - type: volume\n        source: data\n        target: /data\n",
    ],
    want: "services:\n  foo:\n    volumes:\n      - {type: volume, source: data, target: /data}\n      - cache:/cache\n",
  },
  {
    name: "secrets and configs are unique by target (short name → /run/secrets/<name>, /<name>)",
    docs: [
      "services:\n  foo:\n    secrets: [token, other]\n    configs: [conf]\n",
      "services:\n  foo:\n    secrets:\n      - source: token2\n        target: /run/secrets/token\n    configs:\n      - source: conf2\n        target: /conf\n      - source: extra\n",
    ],
    want: "services:\n  foo:\n    secrets:\n      - {source: token2, target: /run/secrets/token}\n      - other\n    configs:\n      - {source: conf2, target: /conf}\n      - {source: extra}\n",
  },
  {
    name: "expose: a number and a string of the same port are one entry",
    docs: [
      'services:\n  foo:\n    expose: ["3000", 8000]\n',
      'services:\n  foo:\n    expose: [3000, "8000"]\n',
    ],
    want: 'services:\n  foo:\n    expose: [3000, "8000"]\n',
  },
  {
    name: "dns, dns_search, dns_opt: strings become lists, entries unique",
    docs: [
      "services:\n  foo:\n    dns: 8.8.8.8\n    dns_search: example.com\n    dns_opt: [use-vc]\n",
      "services:\n  foo:\n    dns: [9.9.9.9, 8.8.8.8]\n    dns_search: [example.com, other.com]\n    dns_opt: [no-tld-query]\n",
    ],
    want: "services:\n  foo:\n    dns: [8.8.8.8, 9.9.9.9]\n    dns_search: [example.com, other.com]\n    dns_opt: [use-vc, no-tld-query]\n",
  },
  {
    name: "cap_add, cap_drop, profiles, links are unique; tmpfs too",
    docs: [
      "services:\n  foo:\n    cap_add: [NET_ADMIN]\n    cap_drop: [ALL]\n    profiles: [dev]\n    links: [db]\n    tmpfs: /run\n",
      "services:\n  foo:\n    cap_add: [NET_ADMIN, SYS_PTRACE]\n    cap_drop: [ALL]\n    profiles: [dev, debug]\n    links: [db, cache]\n    tmpfs: [/run, /tmp]\n",
    ],
    want: "services:\n  foo:\n    cap_add: [NET_ADMIN, SYS_PTRACE]\n    cap_drop: [ALL]\n    profiles: [dev, debug]\n    links: [db, cache]\n    tmpfs: [/run, /tmp]\n",
  },
  {
    name: "devices are unique by container path",
    docs: [
      "services:\n  foo:\n    devices: [/dev/sda:/dev/xvda:rwm, /dev/null]\n",
      "services:\n  foo:\n    devices: [/dev/sdb:/dev/xvda:r]\n",
    ],
    want: "services:\n  foo:\n    devices: [/dev/sdb:/dev/xvda:r, /dev/null]\n",
  },
  {
    name: "env_file: a string and a list are appended, the same file once",
    docs: [
      "services:\n  foo:\n    env_file: common.env\n",
      "services:\n  foo:\n    env_file:\n      - common.env\n      - path: test.env\n        required: false\n",
    ],
    want: "services:\n  foo:\n    env_file:\n      - common.env\n      - {path: test.env, required: false}\n",
  },
  {
    name: "top-level networks: ipam config by subnet, options and labels merged (Test_mergeYamlNetworks)",
    docs: [
      'networks:\n  network1:\n    ipam:\n      config:\n        - subnet: 172.28.0.0/16\n          ip_range: 172.28.5.0/24\n          aux_addresses: {host1: 172.28.1.5, host2: 172.28.1.6, host3: 172.28.1.7}\n      options: {foo: bar, baz: "0"}\n    labels:\n      com.example.description: "Financial transaction network"\n      com.example.department: "Finance"\n',
      'networks:\n  network1:\n    ipam:\n      config:\n        - subnet: 172.28.0.0/16\n          ip_range: 172.28.5.1/24\n          aux_addresses: {host1: 172.28.1.5, host2: 172.28.1.4, host4: 172.28.1.10}\n        - subnet: 172.28.10.0/16\n          ip_range: 172.28.10.1/24\n      options: {bar: foo, baz: "0"}\n    labels:\n      - "com.example.department-new=New"\n      - "com.example.description=Financial transaction network"\n  network2:\n',
    ],
    want: 'networks:\n  network1:\n    ipam:\n      config:\n        - subnet: 172.28.0.0/16\n          ip_range: 172.28.5.1/24\n          aux_addresses: {host1: 172.28.1.5, host2: 172.28.1.4, host3: 172.28.1.7, host4: 172.28.1.10}\n        - subnet: 172.28.10.0/16\n          ip_range: 172.28.10.1/24\n      options: {foo: bar, bar: foo, baz: "0"}\n    labels:\n      - "com.example.department=Finance"\n      - "com.example.description=Financial transaction network"\n      - "com.example.department-new=New"\n  network2:\n',
  },
  {
    name: "volume labels become one list; compose-go keys only network labels, so the later a=2 stays after a=1",
    docs: ["volumes:\n  data:\n    labels: {a: '1'}\n", "volumes:\n  data:\n    labels: [a=2, b=3]\n"],
    want: "volumes:\n  data:\n    labels: [a=1, a=2, b=3]\n",
  },
  {
    name: "extension fields merge like any mapping",
    docs: ["x-common:\n  a: 1\n  list: [x]\nservices: {}\n", "x-common:\n  b: 2\n  list: [y]\n"],
    want: "x-common:\n  a: 1\n  b: 2\n  list: [x, y]\nservices: {}\n",
  },
  {
    name: "!reset removes what earlier files set (13-merge.md)",
    docs: [
      'services:\n  app:\n    image: myapp\n    ports:\n      - "8080:80"\n    environment:\n      FOO: BAR\n',
      "services:\n  app:\n    image: myapp\n    ports: !reset []\n    environment:\n      FOO: !reset null\n",
    ],
    want: "services:\n  app:\n    image: myapp\n    environment: null\n",
  },
  {
    name: "!reset keeps the other keys of a mapping",
    docs: [
      "services:\n  app:\n    environment:\n      FOO: BAR\n      KEEP: yes\n",
      "services:\n  app:\n    environment:\n      FOO: !reset null\n",
    ],
    want: "services:\n  app:\n    environment: [KEEP=yes]\n",
  },
  {
    name: "!reset on a whole service or network removes it (TestResetRemove)",
    docs: [
      "services:\n  a: {image: a}\n  b: {image: b}\nnetworks:\n  test:\n    name: test\n    external: true\n",
      "services:\n  b: !reset {}\nnetworks:\n  test: !reset {}\n",
    ],
    want: "services:\n  a: {image: a}\nnetworks: {}\n",
  },
  {
    name: "!override replaces instead of appending (13-merge.md)",
    docs: [
      'services:\n  app:\n    image: myapp\n    ports:\n      - "8080:80"\n',
      'services:\n  app:\n    ports: !override\n      - "8443:443"\n',
    ],
    want: 'services:\n  app:\n    image: myapp\n    ports: ["8443:443"]\n',
  },
  {
    name: "!override on a mapping drops the earlier keys (TestOverrideReplace)",
    docs: [
      "networks:\n  test:\n    name: test\n    external: true\n",
      "networks:\n  test: !override\n    driver: bridge\n",
    ],
    want: "networks:\n  test:\n    driver: bridge\n",
  },
  {
    name: "!reset on a sequence item removes it from its own file only, as in compose-go",
    docs: [
      'services:\n  app:\n    dns: ["1.1.1.1"]\n',
      'services:\n  app:\n    dns: ["8.8.8.8", !reset "1.1.1.1"]\n',
    ],
    want: 'services:\n  app:\n    dns: ["1.1.1.1", "8.8.8.8"]\n',
  },
];

describe("mergeDocuments: compose-go merge rules", () => {
  it.each(cases)("$name", ({ docs, want }) => {
    expect(mergeAll(...docs).tree).toEqual(yaml(want));
  });

  it("does not modify its inputs", () => {
    const base = parse("services:\n  a:\n    ports: ['80:80']\n    environment: {A: 1}\n", "f0.yaml");
    const next = parse("services:\n  a:\n    ports: ['81:81']\n    environment: {B: 2}\n", "f1.yaml");
    const before = structuredClone([base.tree, next.tree]);
    mergeDocuments(base, next);
    expect([base.tree, next.tree]).toEqual(before);
  });

  it("refuses to merge a mapping with a list, at the later value", () => {
    const error = loadError(() =>
      mergeAll(
        "services:\n  a:\n    ulimits: {}\n    x-opts: {a: 1}\n",
        "services:\n  a:\n    x-opts: [a]\n",
      ),
    );
    expect(error.describe()).toBe("f1.yaml:3:13: services.a.x-opts: cannot override a mapping with an array");
  });

  it("refuses a list replaced by a string", () => {
    const error = loadError(() =>
      mergeAll("services:\n  a:\n    group_add: [a]\n", "services:\n  a:\n    group_add: b\n"),
    );
    expect(error.path).toBe("services.a.group_add");
    expect(error.message).toBe("cannot override an array with a string");
  });

  it("reports an invalid short volume as compose-go's ParseVolume does", () => {
    const error = loadError(() => mergeAll("services:\n  a:\n    volumes: ['aa::b']\n"));
    expect(error.describe()).toBe(
      'f0.yaml:3:15: services.a.volumes[0]: invalid volume spec "aa::b": empty section between colons',
    );
  });

  it("reports a long-syntax volume without a target", () => {
    const error = loadError(() =>
      mergeAll("services:\n  a:\n    volumes:\n      - type: bind\n        source: .\n"),
    );
    expect(error.message).toBe("service volume is missing a mount target");
    expect(error.path).toBe("services.a.volumes[0]");
  });
});

describe("mergeDocuments: locations", () => {
  it("keeps each value's location: later files win, untouched values keep theirs", () => {
    const merged = mergeAll(
      "services:\n  web:\n    image: nginx\n    user: root\n",
      "services:\n  web:\n    image: httpd\n",
    );
    expect(merged.sources.valueAt(["services", "web", "image"])).toEqual({
      file: "f1.yaml",
      line: 3,
      col: 12,
    });
    expect(merged.sources.valueAt(["services", "web", "user"])).toEqual({
      file: "f0.yaml",
      line: 4,
      col: 11,
    });
    expect(merged.sources.keyAt(["services", "web"])).toEqual({ file: "f1.yaml", line: 2, col: 3 });
  });

  it("re-keys appended sequence items to their new index", () => {
    const merged = mergeAll(
      "services:\n  web:\n    ports:\n      - 80:80\n      - 81:81\n",
      "services:\n  web:\n    ports:\n      - 82:82\n",
    );
    expect(merged.tree).toEqual(yaml("services:\n  web:\n    ports: ['80:80', '81:81', '82:82']\n"));
    expect(merged.sources.valueAt(["services", "web", "ports", 0])).toEqual({
      file: "f0.yaml",
      line: 4,
      col: 9,
    });
    expect(merged.sources.valueAt(["services", "web", "ports", 2])).toEqual({
      file: "f1.yaml",
      line: 4,
      col: 9,
    });
  });

  it("places a replaced duplicate at the first position with the later location", () => {
    const merged = mergeAll(
      "services:\n  web:\n    volumes:\n      - one:/data\n      - two:/logs\n",
      "services:\n  web:\n    volumes:\n      - three:/data\n",
    );
    expect(merged.tree).toEqual(yaml("services:\n  web:\n    volumes: ['three:/data', 'two:/logs']\n"));
    expect(merged.sources.valueAt(["services", "web", "volumes", 0])).toEqual({
      file: "f1.yaml",
      line: 4,
      col: 9,
    });
    expect(merged.sources.valueAt(["services", "web", "volumes", 1])).toEqual({
      file: "f0.yaml",
      line: 5,
      col: 9,
    });
  });

  it("points KEY=value items made from a mapping at the entry's value", () => {
    const merged = mergeAll(
      "services:\n  web:\n    environment:\n      B: 2\n      A: 1\n",
      "services:\n  web:\n    environment:\n      - C=3\n",
    );
    expect(merged.tree).toEqual(yaml("services:\n  web:\n    environment: [A=1, B=2, C=3]\n"));
    expect(merged.sources.valueAt(["services", "web", "environment", 0])).toEqual({
      file: "f0.yaml",
      line: 5,
      col: 10,
    });
    expect(merged.sources.valueAt(["services", "web", "environment", 1])).toEqual({
      file: "f0.yaml",
      line: 4,
      col: 10,
    });
    expect(merged.sources.valueAt(["services", "web", "environment", 2])).toEqual({
      file: "f1.yaml",
      line: 4,
      col: 9,
    });
  });

  it("gives entries converted from a list the location of the list item", () => {
    const merged = mergeAll(
      "services:\n  web:\n    depends_on: [db]\n",
      "services:\n  web:\n    depends_on:\n      cache:\n        condition: service_healthy\n",
    );
    expect(merged.sources.keyAt(["services", "web", "depends_on", "db"])).toEqual({
      file: "f0.yaml",
      line: 3,
      col: 18,
    });
    expect(merged.sources.valueAt(["services", "web", "depends_on", "db", "required"])).toEqual({
      file: "f0.yaml",
      line: 3,
      col: 18,
    });
    expect(merged.sources.keyAt(["services", "web", "depends_on", "cache", "condition"])).toEqual({
      file: "f1.yaml",
      line: 5,
      col: 9,
    });
  });

  it("after !override, locations are the later file's", () => {
    const merged = mergeAll(
      "services:\n  web:\n    ports:\n      - 80:80\n      - 81:81\n",
      "services:\n  web:\n    ports: !override\n      - 82:82\n",
    );
    expect(merged.tree).toEqual(yaml("services:\n  web:\n    ports: ['82:82']\n"));
    expect(merged.sources.valueAt(["services", "web", "ports", 0])).toEqual({
      file: "f1.yaml",
      line: 4,
      col: 9,
    });
  });
});

describe("enforceUnicity", () => {
  it("reduces the sequences Compose keys, and leaves the others", () => {
    const doc = parse(
      "services:\n  web:\n    cap_add: [A, B, A]\n    group_add: [a, a]\n    labels: [x=1, x=2]\n",
      "compose.yaml",
    );
    const unique = enforceUnicity(doc);
    expect(unique.tree).toEqual(
      yaml("services:\n  web:\n    cap_add: [A, B]\n    group_add: [a, a]\n    labels: [x=2]\n"),
    );
    expect(unique.sources.valueAt(["services", "web", "labels", 0])).toEqual({
      file: "compose.yaml",
      line: 5,
      col: 19,
    });
  });
});

describe("volumeTarget", () => {
  it.each([
    ["/data", "/data"],
    ["data:/data", "/data"],
    ["./data:/data:ro", "/data"],
    ["C:\\Users\\me:/data", "/data"],
    ["${HOME}/x:/in/container:rw", "/in/container"],
    ["ab", "ab"],
    // a one-letter source is read as a Windows drive, as compose-go does
    ["c:/data", "c:/data"],
  ])("%s → %s", (spec, target) => {
    expect(volumeTarget(spec)).toBe(target);
  });

  it("refuses too many colons", () => {
    expect(volumeTarget("aa:bb:cc:dd")).toEqual({ error: "too many colons" });
  });
});
