/**
 * reconcile: (project, observed state, options) → plan, compared as text. Each scenario states an
 * intent; the golden shows exactly which operations follow and in what order they may run.
 */
import { describe, expect, it } from "vitest";
import { PlanError } from "../../../src/engine/errors.js";
import type { Plan } from "../../../src/engine/plan.js";
import { reconcile, type UpOptions } from "../../../src/engine/reconcile.js";
import type { LoadedProject } from "../../../src/project/load.js";
import type { ContainerSummary } from "../../../src/runtime/runtime.js";
import { observedState } from "../../../src/engine/observe.js";
import {
  allImages,
  CONFIG_FILE,
  container,
  fakeId,
  foreign,
  load,
  network,
  state,
  volume,
} from "./helpers.js";

const BASE = `
services:
  db:
    image: busybox
    healthcheck: { test: ["CMD", "true"], interval: 1s }
    volumes: [data:/data]
  web:
    image: busybox
    environment: { MODE: one }
    depends_on: { db: { condition: service_healthy } }
    ports: ["8080:80"]
  cache:
    image: redis
volumes:
  data: {}
`;

function plan(
  loaded: LoadedProject,
  observed: Parameters<typeof state>[1] = {},
  options: UpOptions = {},
): Plan {
  return reconcile(loaded.project, loaded.graph, state(loaded, observed), options, {
    configFiles: [CONFIG_FILE],
    disabledServices: Object.keys(loaded.disabledServices),
  });
}

/** Everything of BASE as a previous `up` left it: running, up to date. */
function upToDate(loaded: LoadedProject, extra: ContainerSummary[] = []) {
  return {
    containers: [
      container(loaded, { service: "cache", number: 1 }),
      container(loaded, { service: "db", number: 1 }),
      container(loaded, { service: "web", number: 1 }),
      ...extra,
    ],
    networks: [network("demo_default")],
    volumes: [volume("demo_data")],
  };
}

const text = (p: Plan): string => p.toString();

describe("reconcile: convergence", () => {
  it("a fresh project creates networks, volumes and images, then containers, started in dependency order", async () => {
    const loaded = await load(BASE);
    expect(text(plan(loaded, { images: {} }))).toMatchInlineSnapshot(`
      "[1] network:default CreateNetwork demo_default (not found)
      [2] volume:data CreateVolume demo_data (not found)
      [3] image:busybox PullImage busybox (image not found)
      [4] image:redis PullImage redis (image not found)
      [5] <- #1,#4 container:cache:1 CreateContainer demo-cache-1 (no existing container)
      [6] <- #1,#2,#3 container:db:1 CreateContainer demo-db-1 (no existing container)
      [7] <- #1,#3,#6 container:web:1 CreateContainer demo-web-1 (no existing container)
      [8] <- #5 container:cache:1 StartContainer demo-cache-1 (new container)
      [9] <- #6 container:db:1 StartContainer demo-db-1 (new container)
      [10] <- #9 service:db WaitCondition service_healthy (depends_on service_healthy)
      [11] <- #7,#10 container:web:1 StartContainer demo-web-1 (new container)
      "
    `);
  });

  it("a second up of an unchanged project has no container operation (only the health condition is checked)", async () => {
    const loaded = await load(BASE);
    const result = plan(loaded, upToDate(loaded));
    expect(result.containerOperations()).toEqual([]);
    expect(text(result)).toMatchInlineSnapshot(`
      "[1] service:db WaitCondition service_healthy (depends_on service_healthy)
      "
    `);
    expect(result.unchanged.map((c) => c.name)).toEqual(["demo-cache-1", "demo-db-1", "demo-web-1"]);
  });

  it("an environment change recreates only that service, through a temporary name", async () => {
    const before = await load(BASE);
    const after = await load(BASE.replace("MODE: one", "MODE: two"));
    expect(text(plan(after, upToDate(before)))).toMatchInlineSnapshot(`
      "[1] container:web:1 CreateContainer 776562310000_demo-web-1 (config changed)
      [2] <- #1 container:web:1 StopContainer demo-web-1 (replaced by #1)
      [3] <- #1,#2 container:web:1 RemoveContainer demo-web-1 (replaced by #1)
      [4] <- #3 container:web:1 RenameContainer 776562310000_demo-web-1 -> demo-web-1 (finalize recreate)
      [5] service:db WaitCondition service_healthy (depends_on service_healthy)
      [6] <- #4,#5 container:web:1 StartContainer demo-web-1 (recreated)
      "
    `);
  });

  it("a recreated service recreates the services sharing its network namespace or volumes", async () => {
    const yaml = (mode: string) => `
services:
  db:
    image: busybox
    environment: { MODE: ${mode} }
  sidecar:
    image: busybox
    network_mode: "service:db"
  backup:
    image: busybox
    volumes_from: [db]
  web:
    image: busybox
    depends_on: [db]
`;
    const before = await load(yaml("one"));
    const after = await load(yaml("two"));
    const containers = ["backup", "db", "sidecar", "web"].map((service) =>
      container(before, { service, number: 1 }),
    );
    expect(text(plan(after, { containers, networks: [network("demo_default")] }))).toMatchInlineSnapshot(`
      "[1] container:db:1 CreateContainer 646231000000_demo-db-1 (config changed)
      [2] <- #1 container:sidecar:1 StopContainer demo-sidecar-1 (dependency db being recreated)
      [3] <- #1,#2 container:db:1 StopContainer demo-db-1 (replaced by #1)
      [4] <- #1,#3 container:db:1 RemoveContainer demo-db-1 (replaced by #1)
      [5] <- #4 container:db:1 RenameContainer 646231000000_demo-db-1 -> demo-db-1 (finalize recreate)
      [6] <- #5 container:backup:1 CreateContainer 6261636b7570_demo-backup-1 (db recreated)
      [7] <- #6 container:backup:1 StopContainer demo-backup-1 (replaced by #6)
      [8] <- #6,#7 container:backup:1 RemoveContainer demo-backup-1 (replaced by #6)
      [9] <- #8 container:backup:1 RenameContainer 6261636b7570_demo-backup-1 -> demo-backup-1 (finalize recreate)
      [10] <- #5 container:sidecar:1 CreateContainer 736964656361_demo-sidecar-1 (db recreated)
      [11] <- #2,#10 container:sidecar:1 RemoveContainer demo-sidecar-1 (replaced by #10)
      [12] <- #11 container:sidecar:1 RenameContainer 736964656361_demo-sidecar-1 -> demo-sidecar-1 (finalize recreate)
      [13] <- #5 container:db:1 StartContainer demo-db-1 (recreated)
      [14] <- #9,#13 container:backup:1 StartContainer demo-backup-1 (recreated)
      [15] <- #12,#13 container:sidecar:1 StartContainer demo-sidecar-1 (recreated)
      "
    `);
  });

  it("a dependent with depends_on.restart is stopped once its dependency's replacement exists, before the old one stops, and started after", async () => {
    const yaml = (mode: string) => `
services:
  db:
    image: busybox
    environment: { MODE: ${mode} }
  web:
    image: busybox
    depends_on: { db: { condition: service_started, restart: true } }
`;
    const before = await load(yaml("one"));
    const after = await load(yaml("two"));
    const containers = ["db", "web"].map((service) => container(before, { service, number: 1 }));
    expect(text(plan(after, { containers, networks: [network("demo_default")] }))).toMatchInlineSnapshot(`
      "[1] container:db:1 CreateContainer 646231000000_demo-db-1 (config changed)
      [2] <- #1 container:web:1 StopContainer demo-web-1 (dependency db being recreated)
      [3] <- #1,#2 container:db:1 StopContainer demo-db-1 (replaced by #1)
      [4] <- #1,#3 container:db:1 RemoveContainer demo-db-1 (replaced by #1)
      [5] <- #4 container:db:1 RenameContainer 646231000000_demo-db-1 -> demo-db-1 (finalize recreate)
      [6] <- #5 container:db:1 StartContainer demo-db-1 (recreated)
      [7] <- #2,#6 container:web:1 StartContainer demo-web-1 (dependency recreated)
      "
    `);
  });

  it("a dependent restarting with two recreated services, one of them scaled, is stopped once, after the first replacement", async () => {
    const yaml = (mode: string) => `
services:
  z: { image: busybox, environment: { MODE: ${mode} } }
  x: { image: busybox, scale: 2, environment: { MODE: ${mode} }, depends_on: [z] }
  d:
    image: busybox
    depends_on: { z: { condition: service_started, restart: true }, x: { condition: service_started, restart: true } }
`;
    const before = await load(yaml("one"));
    const after = await load(yaml("two"));
    const containers = [
      container(before, { service: "z", number: 1 }),
      container(before, { service: "x", number: 1 }),
      container(before, { service: "x", number: 2 }),
      container(before, { service: "d", number: 1 }),
    ];
    const result = plan(after, { containers, networks: [network("demo_default")] });
    const lines = text(result).split("\n");
    expect(lines.filter((l) => l.includes("StopContainer demo-d-1"))).toEqual([
      "[2] <- #1 container:d:1 StopContainer demo-d-1 (dependency z being recreated)",
    ]);
    expect(lines[0]).toBe("[1] container:z:1 CreateContainer 7a3100000000_demo-z-1 (config changed)");
  });

  it("a stopped up-to-date container is started, not recreated", async () => {
    const loaded = await load(BASE);
    const observed = upToDate(loaded);
    observed.containers[0] = container(loaded, { service: "cache", number: 1, status: "exited" });
    expect(text(plan(loaded, observed))).toMatchInlineSnapshot(`
      "[1] container:cache:1 StartContainer demo-cache-1 (container is exited)
      [2] service:db WaitCondition service_healthy (depends_on service_healthy)
      "
    `);
  });

  it("--no-start creates without starting or waiting", async () => {
    const loaded = await load(BASE);
    expect(text(plan(loaded, {}, { noStart: true }))).toMatchInlineSnapshot(`
      "[1] network:default CreateNetwork demo_default (not found)
      [2] volume:data CreateVolume demo_data (not found)
      [3] <- #1 container:cache:1 CreateContainer demo-cache-1 (no existing container)
      [4] <- #1,#2 container:db:1 CreateContainer demo-db-1 (no existing container)
      [5] <- #1,#4 container:web:1 CreateContainer demo-web-1 (no existing container)
      "
    `);
  });

  it("--no-recreate keeps a diverged container; --force-recreate recreates only the named service", async () => {
    const before = await load(BASE);
    const after = await load(BASE.replace("MODE: one", "MODE: two"));
    expect(plan(after, upToDate(before), { noRecreate: true }).containerOperations()).toEqual([]);
    expect(text(plan(before, upToDate(before), { forceRecreate: true, services: ["cache"] })))
      .toMatchInlineSnapshot(`
      "[1] container:cache:1 CreateContainer 636163686531_demo-cache-1 (--force-recreate)
      [2] <- #1 container:cache:1 StopContainer demo-cache-1 (replaced by #1)
      [3] <- #1,#2 container:cache:1 RemoveContainer demo-cache-1 (replaced by #1)
      [4] <- #3 container:cache:1 RenameContainer 636163686531_demo-cache-1 -> demo-cache-1 (finalize recreate)
      [5] <- #4 container:cache:1 StartContainer demo-cache-1 (recreated)
      "
    `);
  });

  it("a changed image recreates the containers made from the old one", async () => {
    const loaded = await load(BASE);
    const observed = upToDate(loaded);
    observed.containers[0] = container(loaded, { service: "cache", number: 1, imageId: "sha256:old" });
    const result = plan(loaded, { ...observed, images: { busybox: "sha256:1", redis: "sha256:new" } });
    expect(result.containerOperations().map((n) => `${n.resource} ${n.op.kind}`)).toEqual([
      "container:cache:1 CreateContainer",
      "container:cache:1 StopContainer",
      "container:cache:1 RemoveContainer",
      "container:cache:1 RenameContainer",
      "container:cache:1 StartContainer",
    ]);
  });

  it("a build service named with capitals is built and run under one lowercase image name", async () => {
    const loaded = await load("services:\n  Web:\n    build: .\n");
    const result = plan(loaded, { images: {} });
    const built = result.nodes.flatMap((n) => (n.op.kind === "BuildImage" ? [n.op.reference] : []));
    const created = result.nodes.flatMap((n) => (n.op.kind === "CreateContainer" ? [n.op.spec.image] : []));
    expect({ built, created }).toEqual({ built: ["demo-web"], created: ["demo-web"] });
  });
});

describe("reconcile: scale", () => {
  it("scaling up creates the missing numbers and leaves the first replica alone", async () => {
    const loaded = await load(BASE);
    expect(text(plan(loaded, upToDate(loaded), { scale: { cache: 3 } }))).toMatchInlineSnapshot(`
      "[1] container:cache:2 CreateContainer demo-cache-2 (no existing container)
      [2] container:cache:3 CreateContainer demo-cache-3 (no existing container)
      [3] <- #1 container:cache:2 StartContainer demo-cache-2 (new container)
      [4] <- #2 container:cache:3 StartContainer demo-cache-3 (new container)
      [5] service:db WaitCondition service_healthy (depends_on service_healthy)
      "
    `);
  });

  it("scaling down removes the highest numbers", async () => {
    const loaded = await load(BASE);
    const observed = upToDate(loaded, [
      container(loaded, { service: "cache", number: 2 }),
      container(loaded, { service: "cache", number: 3 }),
    ]);
    expect(text(plan(loaded, observed, { scale: { cache: 1 } }))).toMatchInlineSnapshot(`
      "[1] container:cache:2 StopContainer demo-cache-2 (scale down)
      [2] <- #1 container:cache:2 RemoveContainer demo-cache-2 (scale down)
      [3] container:cache:3 StopContainer demo-cache-3 (scale down)
      [4] <- #3 container:cache:3 RemoveContainer demo-cache-3 (scale down)
      [5] service:db WaitCondition service_healthy (depends_on service_healthy)
      "
    `);
  });

  it("scaling down removes obsolete replicas before up-to-date ones", async () => {
    const loaded = await load(BASE);
    const observed = upToDate(loaded, [
      container(loaded, { service: "cache", number: 2 }),
      container(loaded, { service: "cache", number: 3, hash: "stale" }),
    ]);
    observed.containers[0] = container(loaded, { service: "cache", number: 1, hash: "stale" });
    expect(text(plan(loaded, observed, { scale: { cache: 2 } }))).toMatchInlineSnapshot(`
      "[1] container:cache:3 StopContainer demo-cache-3 (scale down)
      [2] <- #1 container:cache:3 RemoveContainer demo-cache-3 (scale down)
      [3] container:cache:1 CreateContainer 636163686531_demo-cache-1 (config changed)
      [4] <- #3 container:cache:1 StopContainer demo-cache-1 (replaced by #3)
      [5] <- #3,#4 container:cache:1 RemoveContainer demo-cache-1 (replaced by #3)
      [6] <- #5 container:cache:1 RenameContainer 636163686531_demo-cache-1 -> demo-cache-1 (finalize recreate)
      [7] <- #6 container:cache:1 StartContainer demo-cache-1 (recreated)
      [8] service:db WaitCondition service_healthy (depends_on service_healthy)
      "
    `);
  });

  it("new replicas take the lowest free numbers", async () => {
    const loaded = await load(BASE);
    const observed = upToDate(loaded, [container(loaded, { service: "cache", number: 3 })]);
    expect(text(plan(loaded, observed, { scale: { cache: 4 } }))).toMatchInlineSnapshot(`
      "[1] container:cache:2 CreateContainer demo-cache-2 (no existing container)
      [2] container:cache:4 CreateContainer demo-cache-4 (no existing container)
      [3] <- #1 container:cache:2 StartContainer demo-cache-2 (new container)
      [4] <- #2 container:cache:4 StartContainer demo-cache-4 (new container)
      [5] service:db WaitCondition service_healthy (depends_on service_healthy)
      "
    `);
  });

  it("--scale wins over deploy.replicas, which wins over 1; scale 0 removes every replica", async () => {
    const loaded = await load(`
services:
  worker:
    image: busybox
    deploy: { replicas: 2 }
`);
    expect(text(plan(loaded, {}))).toMatchInlineSnapshot(`
      "[1] network:default CreateNetwork demo_default (not found)
      [2] <- #1 container:worker:1 CreateContainer demo-worker-1 (no existing container)
      [3] <- #1 container:worker:2 CreateContainer demo-worker-2 (no existing container)
      [4] <- #2 container:worker:1 StartContainer demo-worker-1 (new container)
      [5] <- #3 container:worker:2 StartContainer demo-worker-2 (new container)
      "
    `);
    const running = {
      containers: [
        container(loaded, { service: "worker", number: 1 }),
        container(loaded, { service: "worker", number: 2 }),
      ],
      networks: [network("demo_default")],
    };
    expect(text(plan(loaded, running, { scale: { worker: 0 } }))).toMatchInlineSnapshot(`
      "[1] container:worker:1 StopContainer demo-worker-1 (scale down)
      [2] <- #1 container:worker:1 RemoveContainer demo-worker-1 (scale down)
      [3] container:worker:2 StopContainer demo-worker-2 (scale down)
      [4] <- #3 container:worker:2 RemoveContainer demo-worker-2 (scale down)
      "
    `);
  });

  it("a service linking to a scaled one links to every replica `--scale` makes", async () => {
    const loaded = await load(`
services:
  web: { image: busybox, links: [db] }
  db: { image: busybox }
`);
    const create = plan(loaded, {}, { scale: { db: 2 } }).nodes.find(
      (node) => node.op.kind === "CreateContainer" && node.op.name === "demo-web-1",
    );
    const links = create?.op.kind === "CreateContainer" ? create.op.spec.links : undefined;
    expect(links?.filter((link) => link.endsWith(":db"))).toEqual(["demo-db-1:db", "demo-db-2:db"]);
  });

  it("a fixed host port on a service with several replicas fails before any change, naming service and port", async () => {
    const loaded = await load(BASE);
    expect(() => plan(loaded, {}, { scale: { web: 2 } })).toThrow(PlanError);
    expect(() => plan(loaded, {}, { scale: { web: 2 } })).toThrow(
      'service "web" has 2 replicas but publishes the fixed host port 8080 (8080:80/tcp); only one container can bind it',
    );
  });

  it("a host port range with a port per replica is fine", async () => {
    const loaded = await load(BASE.replace('"8080:80"', '"8080-8082:80"'));
    const web = plan(loaded, {}, { scale: { web: 3 } })
      .containerOperations()
      .filter((n) => n.resource.startsWith("container:web:"));
    expect(web).toHaveLength(6);
    expect(() => plan(loaded, {}, { scale: { web: 4 } })).toThrow(
      /host port range 8080-8082 .* has only 3 ports/,
    );
  });
});

describe("reconcile: leftovers, orphans, resources", () => {
  it("an up-to-date temporary container left by a killed recreate replaces the stale one", async () => {
    const before = await load(BASE);
    const after = await load(BASE.replace("MODE: one", "MODE: two"));
    const old = container(before, { service: "web", number: 1 });
    const leftover = container(after, {
      service: "web",
      number: 1,
      status: "created",
      id: fakeId("web1-new"),
      name: `${old.id.slice(0, 12)}_demo-web-1`,
    });
    expect(text(plan(after, upToDate(before, [leftover])))).toMatchInlineSnapshot(`
      "[1] container:web:1 StopContainer demo-web-1 (replaced by an adopted leftover)
      [2] <- #1 container:web:1 RemoveContainer demo-web-1 (replaced by an adopted leftover)
      [3] <- #2 container:web:1 RenameContainer 776562310000_demo-web-1 -> demo-web-1 (adopt leftover of an interrupted recreate)
      [4] service:db WaitCondition service_healthy (depends_on service_healthy)
      [5] <- #3,#4 container:web:1 StartContainer demo-web-1 (adopted leftover)
      "
    `);
  });

  it("a temporary container left alone (the old one already removed) is renamed and started", async () => {
    const loaded = await load(BASE);
    const observed = upToDate(loaded);
    observed.containers[2] = container(loaded, {
      service: "web",
      number: 1,
      status: "created",
      name: `${fakeId("web1-old").slice(0, 12)}_demo-web-1`,
    });
    expect(text(plan(loaded, observed))).toMatchInlineSnapshot(`
      "[1] container:web:1 RenameContainer 776562312d6f_demo-web-1 -> demo-web-1 (adopt leftover of an interrupted recreate)
      [2] service:db WaitCondition service_healthy (depends_on service_healthy)
      [3] <- #1,#2 container:web:1 StartContainer demo-web-1 (adopted leftover)
      "
    `);
  });

  it("a stale temporary container next to an up-to-date one is removed, and the one it was to replace stopped and started", async () => {
    // The dead run may have asked the engine to stop web-1, which the engine finishes on its own:
    // running now, it may be stopped a moment later. Our own stop waits that out, then it starts.
    const loaded = await load(BASE);
    const leftover = container(loaded, {
      service: "web",
      number: 1,
      status: "created",
      hash: "stale",
      id: fakeId("web1-tmp"),
      name: `${fakeId("web1").slice(0, 12)}_demo-web-1`,
    });
    expect(text(plan(loaded, upToDate(loaded, [leftover])))).toMatchInlineSnapshot(`
      "[1] container:web:1 RemoveContainer 776562310000_demo-web-1 (leftover of an interrupted recreate of demo-web-1)
      [2] container:web:1 StopContainer demo-web-1 (its recreate was cut short)
      [3] service:db WaitCondition service_healthy (depends_on service_healthy)
      [4] <- #2,#3 container:web:1 StartContainer demo-web-1 (stopped by a cut-short recreate)
      "
    `);
  });

  it("after a cut-short recreate, the dependents with depends_on.restart it may have been stopping are stopped and started too", async () => {
    const loaded = await load(`
services:
  db:
    image: busybox
  web:
    image: busybox
    depends_on: { db: { condition: service_started, restart: true } }
`);
    const db = container(loaded, { service: "db", number: 1 });
    const leftover = container(loaded, {
      service: "db",
      number: 1,
      status: "created",
      id: fakeId("db1-new"),
      name: `${db.id.slice(0, 12)}_demo-db-1`,
    });
    const containers = [db, leftover, container(loaded, { service: "web", number: 1 })];
    expect(text(plan(loaded, { containers, networks: [network("demo_default")] }))).toMatchInlineSnapshot(`
      "[1] container:db:1 RemoveContainer 646231000000_demo-db-1 (leftover of an interrupted recreate of demo-db-1)
      [2] container:db:1 StopContainer demo-db-1 (its recreate was cut short)
      [3] container:web:1 StopContainer demo-web-1 (the recreate of db was cut short)
      [4] <- #2 container:db:1 StartContainer demo-db-1 (stopped by a cut-short recreate)
      [5] <- #3,#4 container:web:1 StartContainer demo-web-1 (stopped by a cut-short recreate)
      "
    `);
  });

  it("a recreate waits for the removal of an out-of-date leftover that holds its temporary name", async () => {
    // A recreate to MODE two was killed after its create; now the file says MODE three.
    const before = await load(BASE);
    const killed = await load(BASE.replace("MODE: one", "MODE: two"));
    const after = await load(BASE.replace("MODE: one", "MODE: three"));
    const old = container(before, { service: "web", number: 1 });
    const leftover = container(killed, {
      service: "web",
      number: 1,
      status: "created",
      id: fakeId("web1-two"),
      name: `${old.id.slice(0, 12)}_demo-web-1`,
    });
    expect(text(plan(after, upToDate(before, [leftover])))).toMatchInlineSnapshot(`
      "[1] container:web:1 RemoveContainer 776562310000_demo-web-1 (leftover of an interrupted recreate of demo-web-1)
      [2] <- #1 container:web:1 CreateContainer 776562310000_demo-web-1 (config changed)
      [3] <- #2 container:web:1 StopContainer demo-web-1 (replaced by #2)
      [4] <- #2,#3 container:web:1 RemoveContainer demo-web-1 (replaced by #2)
      [5] <- #4 container:web:1 RenameContainer 776562310000_demo-web-1 -> demo-web-1 (finalize recreate)
      [6] service:db WaitCondition service_healthy (depends_on service_healthy)
      [7] <- #5,#6 container:web:1 StartContainer demo-web-1 (recreated)
      "
    `);
  });

  it("a never-started container gets its files copied in again before its first start", async () => {
    const yaml = `
services:
  app:
    image: busybox
    configs: [{ source: greeting, target: /etc/greeting }]
configs:
  greeting: { content: "hello" }
`;
    const loaded = await load(yaml);
    const starts = (status: "created" | "exited") =>
      plan(loaded, {
        containers: [container(loaded, { service: "app", number: 1, status })],
        networks: [network("demo_default")],
      }).nodes.filter((n) => n.op.kind === "StartContainer");
    // Killed between the create and the copy: nothing on the container says whether the files are in.
    expect(starts("created").map((n) => n.op)).toEqual([
      {
        kind: "StartContainer",
        container: fakeId("app1"),
        display: "demo-app-1",
        copies: [expect.objectContaining({ target: "/etc/greeting", content: "hello" })],
      },
    ]);
    // A container that ran has had its files since its first start.
    expect(starts("exited").map((n) => n.op)).toEqual([
      { kind: "StartContainer", container: fakeId("app1"), display: "demo-app-1" },
    ]);
  });

  it("a never-started container short of a network (a create cut short) is recreated; one on all of them is started", async () => {
    const yaml = `
services:
  app: { image: busybox, networks: [front, back] }
networks:
  front: {}
  back: {}
`;
    const loaded = await load(yaml);
    const app = container(loaded, { service: "app", number: 1, status: "created" });
    const withJoined = (joined: string[]) =>
      reconcile(
        loaded.project,
        loaded.graph,
        observedState("demo", {
          containers: [app],
          networks: [network("demo_front"), network("demo_back")],
          images: allImages(loaded),
          joinedNetworks: new Map([[app.id, joined]]),
        }),
      ).toString();
    expect(withJoined(["demo_back"])).toMatchInlineSnapshot(`
      "[1] container:app:1 CreateContainer 617070310000_demo-app-1 (not connected to demo_front (its create was cut short))
      [2] <- #1 container:app:1 StopContainer demo-app-1 (replaced by #1)
      [3] <- #1,#2 container:app:1 RemoveContainer demo-app-1 (replaced by #1)
      [4] <- #3 container:app:1 RenameContainer 617070310000_demo-app-1 -> demo-app-1 (finalize recreate)
      [5] <- #4 container:app:1 StartContainer demo-app-1 (recreated)
      "
    `);
    expect(withJoined(["demo_back", "demo_front"])).toMatchInlineSnapshot(`
      "[1] container:app:1 StartContainer demo-app-1 (container is created)
      "
    `);
  });

  it("a second network of the project with the same name is removed before any container joins the name", async () => {
    const loaded = await load(BASE);
    const kept = network("demo_default");
    const twin = { ...network("demo_default"), id: fakeId("twin"), created: new Date(1_800_000_000_000) };
    const observed = { ...upToDate(loaded), networks: [twin, kept] };
    observed.containers = observed.containers.filter((c) => !c.name.endsWith("web-1"));
    const result = plan(loaded, observed);
    expect(text(result)).toMatchInlineSnapshot(`
      "[1] network:default RemoveNetwork demo_default (duplicate of 64656d6f5f64)
      [2] <- #1 container:web:1 CreateContainer demo-web-1 (no existing container)
      [3] service:db WaitCondition service_healthy (depends_on service_healthy)
      [4] <- #2,#3 container:web:1 StartContainer demo-web-1 (new container)
      "
    `);
    expect(result.nodes[0]?.op).toEqual({ kind: "RemoveNetwork", name: "demo_default", id: fakeId("twin") });
  });

  it("containers of services no longer in the file are reported, and removed only with removeOrphans", async () => {
    const loaded = await load(BASE);
    const observed = upToDate(loaded, [foreign("old", 1), foreign("old", 2, "exited")]);
    const warned = plan(loaded, observed);
    expect(warned.isEmpty()).toBe(false); // the health wait only
    expect(warned.containerOperations()).toEqual([]);
    expect(warned.warnings).toEqual([
      {
        resource: "project",
        id: "demo",
        text:
          "Found orphan containers (demo-old-1, demo-old-2) for this project. If you removed or renamed this " +
          "service in your compose file, you can run this command with the --remove-orphans flag to clean it up.",
      },
    ]);
    expect(text(plan(loaded, observed, { removeOrphans: true }))).toMatchInlineSnapshot(`
      "[1] container:old:1 StopContainer demo-old-1 (orphaned container)
      [2] <- #1 container:old:1 RemoveContainer demo-old-1 (orphaned container)
      [3] container:old:2 RemoveContainer demo-old-2 (orphaned container)
      [4] service:db WaitCondition service_healthy (depends_on service_healthy)
      "
    `);
  });

  it("containers of services disabled by a profile are not orphans", async () => {
    const loaded = await load(
      BASE.replace(
        "volumes:\n  data",
        "  debug:\n    image: busybox\n    profiles: [debug]\nvolumes:\n  data",
      ),
    );
    expect(Object.keys(loaded.disabledServices)).toEqual(["debug"]);
    expect(plan(loaded, upToDate(loaded, [foreign("debug", 1)])).warnings).toEqual([]);
  });

  it("a missing external network or volume fails before any change, naming it", async () => {
    const loaded = await load(`
services:
  web:
    image: busybox
    networks: [front]
    volumes: [store:/store]
networks:
  front: { external: true, name: shared-front }
volumes:
  store: { external: true, name: shared-store }
`);
    expect(() => plan(loaded, {})).toThrow(
      "network shared-front declared as external, but could not be found",
    );
    expect(() => plan(loaded, { networks: [network("shared-front", {})] })).toThrow(
      'external volume "shared-store" not found',
    );
    expect(
      text(plan(loaded, { networks: [network("shared-front", {})], volumes: [volume("shared-store", {})] })),
    ).toMatchInlineSnapshot(`
      "[1] container:web:1 CreateContainer demo-web-1 (no existing container)
      [2] <- #1 container:web:1 StartContainer demo-web-1 (new container)
      "
    `);
  });

  it("a missing external network's hint names the runtime's command to make it, when it has one", async () => {
    const loaded = await load(`
services:
  web: { image: busybox, networks: [front] }
networks:
  front: { external: true, name: shared-front }
`);
    const hint = (manualCreateCommand?: (kind: "network" | "volume", name: string) => string) => {
      try {
        reconcile(loaded.project, loaded.graph, state(loaded, {}), {}, { manualCreateCommand });
      } catch (error) {
        return error instanceof PlanError ? error.hint : undefined;
      }
      return undefined;
    };
    expect(hint((kind, name) => `docker ${kind} create ${name}`)).toBe(
      "create it first (docker network create shared-front)",
    );
    expect(hint()).toBe("create it first");
  });

  it("an external network missing but unused by the selected services does not matter", async () => {
    const loaded = await load(`
services:
  web:
    image: busybox
    networks: [front]
  cache:
    image: redis
networks:
  front: { external: true }
`);
    expect(text(plan(loaded, {}, { services: ["cache"] }))).toMatchInlineSnapshot(`
      "[1] network:default CreateNetwork demo_default (not found)
      [2] <- #1 container:cache:1 CreateContainer demo-cache-1 (no existing container)
      [3] <- #2 container:cache:1 StartContainer demo-cache-1 (new container)
      "
    `);
  });

  it("pull policies: missing pulls, never fails early, build builds when missing or asked", async () => {
    const loaded = await load(`
services:
  app:
    build: { context: . }
  tool:
    image: example/tool:1
    pull_policy: always
  fixed:
    image: example/fixed:1
    pull_policy: never
`);
    expect(() => plan(loaded, { images: {} })).toThrow(
      'image example/fixed:1 for service "fixed" is not present and its pull policy is never',
    );
    const images = { "example/fixed:1": "sha256:f", "demo-app": "sha256:a", "example/tool:1": "sha256:t" };
    expect(text(plan(loaded, { images }))).toMatchInlineSnapshot(`
      "[1] network:default CreateNetwork demo_default (not found)
      [2] image:example/tool:1 PullImage example/tool:1 (pull_policy always)
      [3] <- #1 container:app:1 CreateContainer demo-app-1 (no existing container)
      [4] <- #1 container:fixed:1 CreateContainer demo-fixed-1 (no existing container)
      [5] <- #1,#2 container:tool:1 CreateContainer demo-tool-1 (no existing container)
      [6] <- #3 container:app:1 StartContainer demo-app-1 (new container)
      [7] <- #4 container:fixed:1 StartContainer demo-fixed-1 (new container)
      [8] <- #5 container:tool:1 StartContainer demo-tool-1 (new container)
      "
    `);
    expect(text(plan(loaded, { images }, { build: true, pull: "missing" }))).toMatchInlineSnapshot(`
      "[1] network:default CreateNetwork demo_default (not found)
      [2] image:demo-app BuildImage demo-app (--build)
      [3] <- #1,#2 container:app:1 CreateContainer demo-app-1 (no existing container)
      [4] <- #1 container:fixed:1 CreateContainer demo-fixed-1 (no existing container)
      [5] <- #1 container:tool:1 CreateContainer demo-tool-1 (no existing container)
      [6] <- #3 container:app:1 StartContainer demo-app-1 (new container)
      [7] <- #4 container:fixed:1 StartContainer demo-fixed-1 (new container)
      [8] <- #5 container:tool:1 StartContainer demo-tool-1 (new container)
      "
    `);
  });
});

describe("reconcile: selection and waiting", () => {
  it("up <service> brings its dependencies; --no-deps only the service", async () => {
    const loaded = await load(BASE);
    expect(text(plan(loaded, {}, { services: ["web"] }))).toMatchInlineSnapshot(`
      "[1] network:default CreateNetwork demo_default (not found)
      [2] volume:data CreateVolume demo_data (not found)
      [3] <- #1,#2 container:db:1 CreateContainer demo-db-1 (no existing container)
      [4] <- #1,#3 container:web:1 CreateContainer demo-web-1 (no existing container)
      [5] <- #3 container:db:1 StartContainer demo-db-1 (new container)
      [6] <- #5 service:db WaitCondition service_healthy (depends_on service_healthy)
      [7] <- #4,#6 container:web:1 StartContainer demo-web-1 (new container)
      "
    `);
    expect(text(plan(loaded, {}, { services: ["web"], noDeps: true }))).toMatchInlineSnapshot(`
      "[1] network:default CreateNetwork demo_default (not found)
      [2] <- #1 container:web:1 CreateContainer demo-web-1 (no existing container)
      [3] <- #2 container:web:1 StartContainer demo-web-1 (new container)
      "
    `);
  });

  it("--wait adds a running-or-healthy check per service; a one-shot dependency must complete", async () => {
    const loaded = await load(`
services:
  migrate:
    image: busybox
  app:
    image: busybox
    depends_on: { migrate: { condition: service_completed_successfully } }
`);
    expect(text(plan(loaded, {}, { wait: true, waitTimeoutS: 30 }))).toMatchInlineSnapshot(`
      "[1] network:default CreateNetwork demo_default (not found)
      [2] <- #1 container:migrate:1 CreateContainer demo-migrate-1 (no existing container)
      [3] <- #1,#2 container:app:1 CreateContainer demo-app-1 (no existing container)
      [4] <- #2 container:migrate:1 StartContainer demo-migrate-1 (new container)
      [5] <- #4 service:migrate WaitCondition service_completed_successfully (depends_on service_completed_successfully)
      [6] <- #3,#5 container:app:1 StartContainer demo-app-1 (new container)
      [7] <- #4 service:migrate WaitCondition service_completed_successfully (--wait)
      [8] <- #6 service:app WaitCondition running_or_healthy (--wait)
      "
    `);
  });
});
