/**
 * The backends the orchestration integration tests run on: one suite, registered once per backend
 * with `describe.each(BACKENDS)`. A backend is its name, how to open it (a Runtime, the test image
 * in it, the environment that points the built CLI at it) and what it can do (`features`); a case
 * needing a feature the backend lacks is not registered for it (`withFeatures`), never skipped.
 *
 * - docker: the real engine (skipped without one, failing under CI=true: see ../engine.ts).
 * - native: as root with runc and conmon, in a temporary BERTH_ROOT/BERTH_RUN_ROOT under /var/tmp
 *   with the busybox test image imported into it (offline, from /bin/busybox); its embedded DNS
 *   never forwards outside (BERTH_DNS_FORWARD=0). Where it cannot run, each case is skipped through
 *   requireOrSkip (a failure under CI=true).
 *
 * Leak checks fit each backend: on Docker, nothing with the project label; on native also no
 * record, process, mount, cgroup, namespace or network attachment of any container the project ever
 * had, nor the bridge, nft table or DOCKER-USER rules of its default network, and at the end of a
 * suite nothing under the temporary roots (the supervisor and DNS server gone, no mount, no
 * container directory, no network or attachment in the network state).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it, type TestContext } from "vitest";
import { parseDocument, YAMLMap } from "yaml";
import { projectFilter } from "../../../src/engine/labels.js";
import { nativeMissing, runtimeBackend, type RuntimeName } from "../../../src/runtime/backends.js";
import { cgroupDirs } from "../../../src/runtime/native/containers/cgroups.js";
import { bridgeName, netnsName } from "../../../src/runtime/native/network/index.js";
import { readState } from "../../../src/runtime/native/network/store.js";
import { nativePaths } from "../../../src/runtime/native/paths.js";
import type { Runtime } from "../../../src/runtime/runtime.js";
import { engine, requireOrSkip } from "../engine.js";
import { ensureTestImage } from "../images.js";
import { leaks as labelledLeaks } from "../leaks.js";
import { mountsUnder, processesOf } from "../native/containers-harness.js";

/**
 * What a case may need beyond containers with `network_mode: none`/`host`:
 * - `networks`: named networks (and so the default network, DNS between services);
 * - `volumes`: named and anonymous volumes;
 * - `ports`: published host ports;
 * - `engine-api`: the Docker Engine API itself (its inspect JSON, DOCKER_HOST, a proxy to its socket);
 * - `log-drivers`: Docker's log drivers (`json-file`, `local`, `none`) with their own behaviours;
 * - `kill-during-stop`: a kill is served at once while a stop waits out its grace period;
 * - `start-recovery`: a start cut short by berth's SIGKILL (the process runs, the start is not yet
 *   recorded) is taken up by the next command (health, supervision);
 * - `log-run-boundaries`: a run's unterminated last line stays a line of its own after a restart;
 * - `tty-log-lines`: a TTY container's log lines come back without the terminal's `\r`.
 */
export type Feature =
  | "networks"
  | "volumes"
  | "ports"
  | "engine-api"
  | "log-drivers"
  | "kill-during-stop"
  | "start-recovery"
  | "log-run-boundaries"
  | "tty-log-lines";

export interface OpenBackend {
  readonly runtime: Runtime;
  /** The busybox test image's reference in this runtime. */
  readonly image: string;
  /** Variables that point the built CLI (bin/berth.js) at this runtime. */
  readonly cliEnv: Readonly<Record<string, string>>;
  /** What of `project` is left after its `down -v` (empty when nothing). */
  leaks(project: string): Promise<string[]>;
  /** What of the whole backend is left once every project is down (empty when nothing). */
  residue(): Promise<string[]>;
  close(): Promise<void>;
}

export interface Backend {
  readonly name: RuntimeName;
  readonly features: ReadonlySet<Feature>;
  /** Whether it can run here (otherwise `gate` skips each case, or fails it under CI=true). */
  readonly available: boolean;
  /** Skips the running case where this backend cannot run (failing it under CI=true). */
  gate(context: TestContext): void;
  open(): Promise<OpenBackend>;
}

// --- docker ---------------------------------------------------------------------------------------

function dockerGate(context: TestContext): void {
  switch (engine.state) {
    case "up":
      return;
    case "disabled":
      // Asked for (BERTH_TEST_DOCKER=0): a skip even under CI, as describeEngine does.
      context.skip(engine.reason);
      return;
    case "down":
      requireOrSkip(context, false, engine.reason);
      return;
    case "broken":
      throw new Error(engine.reason);
  }
}

async function openDocker(): Promise<OpenBackend> {
  const runtime = await runtimeBackend("docker").create(process.env);
  const image = await ensureTestImage(runtime, AbortSignal.timeout(60_000));
  const host = process.env["DOCKER_HOST"];
  return {
    runtime,
    image,
    cliEnv: { BERTH_RUNTIME: "docker", ...(host ? { DOCKER_HOST: host } : {}) },
    leaks: (project) => labelledLeaks(runtime, project),
    residue: () => Promise.resolve([]),
    close: () => runtime.close(),
  };
}

const docker: Backend = {
  name: "docker",
  features: new Set([
    "networks",
    "volumes",
    "ports",
    "engine-api",
    "log-drivers",
    "kill-during-stop",
    "start-recovery",
    "log-run-boundaries",
    "tty-log-lines",
  ]),
  available: engine.state === "up",
  gate: dockerGate,
  open: openDocker,
};

// --- native ---------------------------------------------------------------------------------------

const nativeReason = nativeMissing({
  platform: process.platform,
  uid: process.getuid?.(),
  exists: existsSync,
});

/** The containers directory's index of claimed names (one file per name), which stays. */
const NAME_INDEX = ".names";

/** How long the native supervisor may take to leave once nothing needs it (its idle exit is 3 s). */
const SUPERVISOR_EXIT_MS = 15_000;

/** PIDs whose command line or environment names `dir` (monitors, the supervisor). */
function processesNaming(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const state = readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1]?.[0];
      if (state === "Z") continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      const environ = readFileSync(`/proc/${entry}/environ`, "utf8");
      if (cmdline.includes(dir) || environ.includes(`=${dir}/`)) pids.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

/** A process's state letter and command line, for a leak report. */
function describeProcess(pid: number): string {
  try {
    const state = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] ?? "?";
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
    return `[${state}] ${cmdline.slice(0, 200)}`;
  } catch {
    return "(gone)";
  }
}

async function waitFor(ms: number, check: () => boolean): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (let i = 0; i < 1_000 && Date.now() < deadline; i++) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return check();
}

/** What of a bridge is left on the host: the link, its nft table, its DOCKER-USER accepts. */
function hostNetworkLeaks(bridge: string): string[] {
  const left: string[] = [];
  if (existsSync(`/sys/class/net/${bridge}`)) left.push(`bridge ${bridge}`);
  const tables = execFileSync("nft", ["list", "tables"], { encoding: "utf8" });
  if (tables.split("\n").includes(`table ip ${bridge}`)) left.push(`nft table ${bridge}`);
  let rules = "";
  try {
    rules = execFileSync("iptables", ["-w", "5", "-S"], { encoding: "utf8" });
  } catch {
    // No iptables: no rules either.
  }
  for (const rule of rules.split("\n")) if (rule.includes(`berth:${bridge}`)) left.push(`iptables ${rule}`);
  return left;
}

async function openNative(): Promise<OpenBackend> {
  const dir = mkdtempSync("/var/tmp/berth-orch-");
  const env = { BERTH_ROOT: path.join(dir, "root"), BERTH_RUN_ROOT: path.join(dir, "run") };
  const paths = nativePaths(env);
  // The DNS server the runtime starts (and the CLI's) answers the containers' names only.
  process.env["BERTH_DNS_FORWARD"] = "0";
  const runtime = await runtimeBackend("native").create({ ...process.env, ...env });
  const image = await ensureTestImage(runtime, AbortSignal.timeout(60_000));

  /** Every container the project ever had in this root: its create events. */
  async function everCreated(project: string): Promise<string[]> {
    const ids = new Set<string>();
    const events = runtime.events(
      { since: new Date(0), until: new Date(), types: ["container"], labels: projectFilter(project) },
      AbortSignal.timeout(10_000),
    );
    for await (const event of events) if (event.action === "create") ids.add(event.id);
    return [...ids];
  }

  /** A leftover record's state, name and owner, for the report. */
  function describeRecord(id: string): string {
    try {
      const record = JSON.parse(readFileSync(path.join(paths.containers, id, "container.json"), "utf8")) as {
        state?: string;
        name?: string;
        owner?: { pid?: number };
      };
      return ` (${record.state ?? "?"} ${record.name ?? "?"}, owner ${record.owner?.pid ?? "none"})`;
    } catch {
      const files = readdirSync(path.join(paths.containers, id), { recursive: true, encoding: "utf8" });
      return ` (no record file; holds ${files.join(", ") || "nothing"})`;
    }
  }

  return {
    runtime,
    image,
    cliEnv: { BERTH_RUNTIME: "native", BERTH_DNS_FORWARD: "0", ...env },
    async leaks(project) {
      const left = await labelledLeaks(runtime, project);
      const mounts = mountsUnder(dir);
      const networkState = await readState(paths);
      for (const id of await everCreated(project)) {
        const short = id.slice(0, 12);
        if (existsSync(path.join(paths.containers, id))) left.push(`record of ${short}${describeRecord(id)}`);
        if (existsSync(path.join(paths.runContainers, id))) left.push(`run state of ${short}`);
        for (const pid of processesOf(id)) left.push(`process ${pid} of ${short}: ${describeProcess(pid)}`);
        for (const mount of mounts) if (mount.includes(id)) left.push(`mount ${mount}`);
        for (const cgroup of cgroupDirs(id)) if (existsSync(cgroup)) left.push(`cgroup ${cgroup}`);
        if (networkState.containers[id]) left.push(`network attachment of ${short}`);
        if (existsSync(`/run/netns/${netnsName(paths.root, id)}`)) left.push(`netns of ${short}`);
      }
      left.push(...hostNetworkLeaks(bridgeName(paths.root, `${project}_default`)));
      return left;
    },
    async residue() {
      const left: string[] = [];
      // The supervisor leaves by itself once no container needs it.
      if (!(await waitFor(SUPERVISOR_EXIT_MS, () => processesNaming(dir).length === 0))) {
        for (const pid of processesNaming(dir)) left.push(`process ${pid} naming ${dir}`);
      }
      for (const mount of mountsUnder(dir)) left.push(`mount ${mount}`);
      for (const where of [paths.containers, paths.runContainers]) {
        if (!existsSync(where)) continue;
        for (const name of readdirSync(where)) {
          if (name !== NAME_INDEX) left.push(`container directory ${path.join(where, name)}`);
        }
      }
      const names = path.join(paths.containers, NAME_INDEX);
      if (existsSync(names)) for (const name of readdirSync(names)) left.push(`name ${name} still claimed`);
      const state = await readState(paths);
      for (const name of Object.keys(state.networks)) left.push(`network ${name} in the network state`);
      for (const id of Object.keys(state.containers)) left.push(`network attachment of ${id.slice(0, 12)}`);
      const prefix = netnsName(paths.root, "");
      for (const ns of existsSync("/run/netns") ? readdirSync("/run/netns") : [])
        if (ns.startsWith(prefix)) left.push(`netns ${ns}`);
      return left;
    },
    async close() {
      await runtime.close();
      // A process still naming the roots after residue() reported it would keep files busy: end it.
      for (const pid of processesNaming(dir)) process.kill(pid, "SIGKILL");
      if (mountsUnder(dir).length === 0) rmSync(dir, { recursive: true, force: true });
      else console.warn(`orchestration: ${dir} kept, mounts are left under it`);
    },
  };
}

const native: Backend = {
  name: "native",
  // Log drivers are Docker's: native keeps one log per container (conmon's k8s-file).
  features: new Set([
    "networks",
    "volumes",
    "ports",
    "kill-during-stop",
    "start-recovery",
    "log-run-boundaries",
    "tty-log-lines",
  ]),
  available: nativeReason === undefined,
  gate: (context) =>
    requireOrSkip(context, nativeReason === undefined, `native runtime: ${nativeReason ?? ""}`),
  open: openNative,
};

export const BACKENDS: readonly Backend[] = [docker, native];

// --- cases ----------------------------------------------------------------------------------------

/** Whether `backend` has every feature of `needs`, for registering a case only where it can run. */
export function withFeatures(backend: Backend, ...needs: readonly Feature[]): boolean {
  return needs.every((need) => backend.features.has(need));
}

/**
 * The compose text as `backend` runs it: as written on a backend with networks (both have them); a
 * backend without would run every service with `network_mode: none` (the services' `networks:` and
 * the top-level `networks:` dropped), unless a service sets its own `network_mode`. A stack that
 * needs networks to mean what it tests is a case for the `networks` feature instead.
 */
export function adapt(backend: Backend, yaml: string): string {
  if (backend.features.has("networks")) return yaml;
  // YAML 1.1, as the loader reads it: `mode: 0440` stays octal through the round trip.
  const document = parseDocument(yaml, { version: "1.1" });
  const services = document.get("services");
  if (!(services instanceof YAMLMap)) return yaml;
  for (const item of services.items) {
    if (!(item.value instanceof YAMLMap)) continue;
    item.value.delete("networks");
    if (!item.value.has("network_mode")) item.value.set("network_mode", "none");
  }
  document.delete("networks");
  return document.toString();
}

export interface BackendSuite {
  readonly backend: Backend;
  /** The opened backend (inside a case, once `beforeAll` ran). */
  readonly opened: OpenBackend;
  readonly runtime: Runtime;
  readonly image: string;
  /** `it`, through the backend's gate: skipped (failing under CI=true) where it cannot run. */
  it(name: string, fn: (context: TestContext) => Promise<void>, timeoutMs?: number): void;
}

/**
 * Opens `backend` for the cases of a `describe` (in its `beforeAll`) and, after them, requires that
 * nothing of it is left (`residue`) and closes it. Call at the top of the describe.
 */
export function useBackend(backend: Backend): BackendSuite {
  let opened: OpenBackend | undefined;
  const need = (): OpenBackend => {
    if (!opened) throw new Error(`the ${backend.name} backend is not open`);
    return opened;
  };
  beforeAll(async () => {
    if (backend.available) opened = await backend.open();
  }, 90_000);
  afterAll(async () => {
    if (!opened) return;
    const left = await opened.residue();
    await opened.close();
    expect(left, `left on the ${backend.name} runtime after every project's down`).toEqual([]);
  }, 60_000);
  return {
    backend,
    get opened() {
      return need();
    },
    get runtime() {
      return need().runtime;
    },
    get image() {
      return need().image;
    },
    it(name, fn, timeoutMs) {
      it(
        name,
        async (context) => {
          backend.gate(context);
          await fn(context);
        },
        timeoutMs,
      );
    },
  };
}
