/** Builders shared by the dashboard tests: services, inspected containers, a filled store. */
import type { ContainerState } from "../../../../src/runtime/runtime.js";
import type { ServiceDef } from "../../../../src/ui/dashboard/model.js";
import { DashboardStore } from "../../../../src/ui/dashboard/store.js";
import type { Timer } from "../../../../src/ui/dashboard/frame-clock.js";

export const PROJECT = "demo";

/** db ← api (healthy) ← web (started); worker alone. */
export const SERVICES: readonly ServiceDef[] = [
  { name: "db", image: "postgres:16", build: false, healthcheck: true, replicas: 1, dependsOn: [] },
  {
    name: "api",
    image: "demo-api",
    build: true,
    healthcheck: false,
    replicas: 1,
    dependsOn: [{ service: "db", condition: "service_healthy" }],
  },
  {
    name: "web",
    image: "nginx:1",
    build: false,
    healthcheck: false,
    replicas: 1,
    dependsOn: [{ service: "api", condition: "service_started" }],
  },
];

export function state(
  service: string,
  number: number,
  overrides: Partial<ContainerState> = {},
): ContainerState {
  const name = `${PROJECT}-${service}-${number}`;
  return {
    id: `${name}-id`,
    name,
    image: SERVICES.find((s) => s.name === service)?.image ?? "busybox",
    imageId: "sha256:0",
    labels: {
      "com.docker.compose.project": PROJECT,
      "com.docker.compose.service": service,
      "com.docker.compose.container-number": String(number),
      "com.docker.compose.oneoff": "False",
    },
    created: new Date(0),
    status: "running",
    running: true,
    exitCode: undefined,
    pid: 1,
    startedAt: new Date(1_000),
    finishedAt: undefined,
    health: undefined,
    restartCount: 0,
    oomKilled: false,
    error: undefined,
    tty: false,
    networks: {},
    ports: [],
    mounts: [],
    ...overrides,
  };
}

/** Frames run only when the test says so (`flush`). */
export function manualTimer(): Timer & { flush(): void; readonly pending: number } {
  let clock = 0;
  const queue: (() => void)[] = [];
  return {
    now: () => clock,
    after: (fn) => {
      queue.push(fn);
      return () => {
        const at = queue.indexOf(fn);
        if (at >= 0) queue.splice(at, 1);
      };
    },
    flush: () => {
      clock += 1000;
      for (const fn of queue.splice(0)) fn();
    },
    get pending() {
      return queue.length;
    },
  };
}

/** The manual frame timer of each store made by testStore (Ink tests flush it after each key). */
export const FRAME_TIMERS = new WeakMap<DashboardStore, ReturnType<typeof manualTimer>>();

export function testStore(
  options: {
    columns?: number;
    rows?: number;
    colour?: boolean;
    timer?: ReturnType<typeof manualTimer>;
    services?: readonly ServiceDef[];
  } = {},
): DashboardStore {
  const timer = options.timer ?? manualTimer();
  const store = new DashboardStore({
    project: PROJECT,
    services: options.services ?? SERVICES,
    colour: options.colour ?? false,
    scrollback: 1000,
    size: { columns: options.columns ?? 100, rows: options.rows ?? 30 },
    now: () => 61_000,
    timer,
  });
  FRAME_TIMERS.set(store, timer);
  return store;
}
