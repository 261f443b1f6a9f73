/**
 * What the native stack tests (stack.test.ts, kill-rounds.test.ts) share: a temporary
 * BERTH_ROOT/BERTH_RUN_ROOT under /var/tmp with the busybox test image imported natively, the built
 * CLI (bin/berth.js) run against it as a user runs it, optionally inside a mount namespace where the
 * Docker Engine is not there (`hideEngine`), and the host check that nothing of a project is left
 * after its `down`: links, namespaces, mounts, nft tables and iptables rules of its bridges,
 * processes, cgroups, records, IP allocations, DNS entries and volumes.
 *
 * Every name on the host comes from the state root (src/runtime/native/network/names.ts), so the
 * checks look for exactly this root's objects and never mistake another test's for a leak.
 * Needs `npm run build` first (the CLI runs from dist/).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { projectFilter, PROJECT_LABEL } from "../../../src/engine/labels.js";
import { nativeMissing, runtimeBackend } from "../../../src/runtime/backends.js";
import { cgroupDirs, removeCgroups } from "../../../src/runtime/native/containers/cgroups.js";
import { dnsFiles } from "../../../src/runtime/native/dns/index.js";
import {
  bridgeName,
  hostVethName,
  iptablesTag,
  netnsName,
} from "../../../src/runtime/native/network/names.js";
import { readState } from "../../../src/runtime/native/network/store.js";
import { nativePaths, type NativePaths } from "../../../src/runtime/native/paths.js";
import type { Runtime } from "../../../src/runtime/runtime.js";
import { repoRoot } from "../../e2e/cli.js";
import { ensureTestImage } from "../images.js";
import { leaks as labelledLeaks } from "../leaks.js";
import { mountsUnder, processesOf } from "./containers-harness.js";

/**
 * The CLI under test: the tree's bin/berth.js, or BERTH_TEST_CLI (a copy of bin/ and dist/ taken
 * for a long run, so a rebuild of the tree meanwhile does not change what the run tests).
 */
export const BIN = process.env["BERTH_TEST_CLI"] ?? path.join(repoRoot, "bin", "berth.js");
/** One CLI run may take this long at most (a loaded 2-core machine starts containers slowly). */
export const CLI_TIMEOUT_MS = 120_000;
/** How long the per-root processes (supervisor, DNS server, log drainer) may take to leave once idle. */
export const IDLE_EXIT_MS = 20_000;

export const nativeReason = nativeMissing({
  platform: process.platform,
  uid: process.getuid?.(),
  exists: existsSync,
});

// --- bounded waiting ------------------------------------------------------------------------------

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` every `everyMs` until it answers true, at most `ms` and 1,000 times; its last answer. */
export async function poll(
  ms: number,
  check: () => Promise<boolean> | boolean,
  everyMs = 100,
): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (let i = 0; i < 1_000 && Date.now() < deadline; i++) {
    if (await check()) return true;
    await sleep(everyMs);
  }
  return check();
}

// --- the engine hidden ----------------------------------------------------------------------------

/**
 * A mount namespace where /run (so /var/run/docker.sock and /run/docker) is an empty tmpfs: a host
 * with no Docker Engine, for the processes started in it, while dockerd keeps running for everyone
 * else. One long-lived namespace (held by a `sleep`) serves every command of a test, because what
 * the native runtime mounts there (rootfs overlays, /run/netns entries, volume mounts) is seen only
 * inside it: the host's root mount is private here.
 */
export interface HiddenEngine {
  readonly pid: number;
  /** `argv` run inside the namespace, in `cwd`. */
  wrap(argv: readonly string[], cwd: string): string[];
  /** The namespace's mount table. */
  readonly mountsFile: string;
  close(): Promise<void>;
}

export async function hideEngine(): Promise<HiddenEngine> {
  // Fixed text; nothing of the test reaches the shell.
  const holder = execa(
    "unshare",
    ["-m", "sh", "-c", "mount -t tmpfs tmpfs /run && echo ready && exec sleep 3600"],
    {
      reject: false,
      stdin: "ignore",
    },
  );
  const pid = holder.pid;
  if (pid === undefined) throw new Error("unshare did not start");
  let said = "";
  holder.stdout?.on("data", (chunk: Buffer) => (said += chunk.toString()));
  if (!(await poll(10_000, () => said.includes("ready"), 20))) {
    holder.kill("SIGKILL");
    throw new Error(`the mount namespace without /run did not come up: ${said}`);
  }
  return {
    pid,
    wrap: (argv, cwd) => ["nsenter", `--mount=/proc/${pid}/ns/mnt`, `--wd=${cwd}`, "--", ...argv],
    mountsFile: `/proc/${pid}/mounts`,
    async close() {
      holder.kill("SIGKILL");
      await holder;
    },
  };
}

// --- roots and the CLI ----------------------------------------------------------------------------

export interface CliRun {
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

export function describeRun(args: readonly string[], run: CliRun): string {
  const how = run.signal ? `signal ${run.signal}` : `exit ${String(run.exitCode)}`;
  return `berth ${args.join(" ")}: ${how} after ${run.ms} ms\n--- stderr ---\n${run.stderr}\n--- stdout ---\n${run.stdout}`;
}

/** A CLI process started in the background, with the options every run here uses. */
function startCli(argv: readonly string[], cwd: string, env: Readonly<Record<string, string>>) {
  const [file, ...rest] = argv;
  return execa(file ?? "", rest, {
    cwd,
    env,
    extendEnv: false,
    reject: false,
    stdin: "ignore",
    stripFinalNewline: false,
    timeout: CLI_TIMEOUT_MS,
  });
}

export type Spawned = ReturnType<typeof startCli>;

export interface StackRoots {
  readonly dir: string;
  readonly env: Readonly<Record<string, string>>;
  readonly paths: NativePaths;
  /** The native runtime in this process (image import, events, listings). */
  readonly runtime: Runtime;
  readonly image: string;
  /** Where the CLI runs: the host, or a namespace with the engine hidden. */
  readonly hidden: HiddenEngine | undefined;
  /** Starts `berth <args>` in `cwd` (the process, to wait for or to kill). */
  spawn(cwd: string, args: readonly string[]): Spawned;
  /** Runs `berth <args>` in `cwd` to its end. */
  berth(cwd: string, args: readonly string[]): Promise<CliRun>;
  /** Runs a host tool (ip, nft, iptables) where the CLI runs; its stdout ("" when it fails). */
  tool(argv: readonly string[]): Promise<string>;
  close(): Promise<void>;
}

/**
 * Fresh roots under /var/tmp with the test image imported natively. With `hidden`, the CLI runs in
 * that namespace with no BERTH_RUNTIME (berth must choose native by itself); otherwise with
 * BERTH_RUNTIME=native while dockerd runs.
 */
export async function openStackRoots(prefix: string, hidden?: HiddenEngine): Promise<StackRoots> {
  const dir = mkdtempSync(`/var/tmp/berth-${prefix}-`);
  const env = { BERTH_ROOT: path.join(dir, "root"), BERTH_RUN_ROOT: path.join(dir, "run") };
  const paths = nativePaths(env);
  const runtime = await runtimeBackend("native").create({ ...process.env, ...env });
  const image = await ensureTestImage(runtime, AbortSignal.timeout(60_000));
  const cliEnv: Record<string, string> = {
    PATH: process.env["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin",
    HOME: process.env["HOME"] ?? "/root",
    ...env,
    ...(hidden ? {} : { BERTH_RUNTIME: "native" }),
  };
  const where = (argv: readonly string[], cwd: string): string[] =>
    hidden ? hidden.wrap(argv, cwd) : [...argv];
  const spawn = (cwd: string, args: readonly string[]): Spawned =>
    startCli(where([process.execPath, BIN, ...args], cwd), cwd, cliEnv);
  return {
    dir,
    env,
    paths,
    runtime,
    image,
    hidden,
    spawn,
    async berth(cwd, args) {
      const started = Date.now();
      const result = await spawn(cwd, args);
      return {
        exitCode: result.exitCode,
        signal: result.signal,
        stdout: String(result.stdout),
        stderr: String(result.stderr),
        ms: Date.now() - started,
      };
    },
    async tool(argv) {
      const [file, ...rest] = where(argv, "/");
      const result = await execa(file ?? "", rest, { reject: false, timeout: 20_000, stdin: "ignore" });
      return result.exitCode === 0 ? String(result.stdout) : "";
    },
    async close() {
      await runtime.close();
      if (mounts(dir, hidden).length > 0) {
        console.warn(`${dir} kept: mounts are left under it`);
        return;
      }
      try {
        rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
      } catch (error) {
        // A background process still writing there (already reported by the residue check).
        console.warn(`${dir} kept: ${String(error)}`);
      }
    },
  };
}

/** Mount points under `dir`, in the namespace the CLI runs in. */
export function mounts(dir: string, hidden: HiddenEngine | undefined): string[] {
  if (!hidden) return mountsUnder(dir);
  return readFileSync(hidden.mountsFile, "utf8")
    .split("\n")
    .map((line) => line.split(" ")[1] ?? "")
    .filter((mount) => mount.startsWith(`${dir}/`));
}

// --- what is on the host --------------------------------------------------------------------------

/** The per-root background processes (supervisor, DNS server, log drainer): allowed until idle. */
const DAEMON = /berth-(supervisor|dns|logs)(\.js)?\b/;

/** PIDs whose command line or environment names `dir`, with their command lines. */
export function processesNaming(dir: string): { pid: number; cmdline: string }[] {
  const found: { pid: number; cmdline: string }[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const state = readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1]?.[0];
      if (state === "Z") continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      const environ = readFileSync(`/proc/${entry}/environ`, "utf8");
      if (cmdline.includes(dir) || environ.includes(`=${dir}/`)) {
        found.push({ pid: Number(entry), cmdline: cmdline.split("\0").join(" ").trim().slice(0, 200) });
      }
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

/** The names `ip netns list` gives for this root's namespaces (they share a prefix per root). */
function netnsPrefix(paths: NativePaths): string {
  return netnsName(paths.root, "");
}

/** What this root's network layer and event log named for one project, gathered while it was up. */
export interface SeenProject {
  /** Bridges by network name. */
  readonly bridges: Map<string, string>;
  readonly containers: Set<string>;
}

/** By project: so a project's leak check never counts another project's live objects. */
export type Seen = Map<string, SeenProject>;

export function newSeen(): Seen {
  return new Map();
}

function seenOf(seen: Seen, project: string): SeenProject {
  let entry = seen.get(project);
  if (!entry) {
    entry = { bridges: new Map(), containers: new Set() };
    seen.set(project, entry);
  }
  return entry;
}

/** Adds to `seen` the project's networks (network state) and containers (event log). */
export async function observe(roots: StackRoots, seen: Seen, project: string): Promise<void> {
  const entry = seenOf(seen, project);
  const state = await readState(roots.paths);
  for (const network of Object.values(state.networks)) {
    if (network.labels[PROJECT_LABEL] === project) entry.bridges.set(network.name, network.bridge);
  }
  for (const id of await everCreated(roots, project)) entry.containers.add(id);
}

/** Every container (of `project`) this root ever created: the create events of its event log. */
export async function everCreated(roots: StackRoots, project: string): Promise<string[]> {
  const ids = new Set<string>();
  const events = roots.runtime.events(
    {
      since: new Date(0),
      until: new Date(),
      types: ["container"],
      labels: projectFilter(project),
    },
    AbortSignal.timeout(20_000),
  );
  for await (const event of events) if (event.action === "create") ids.add(event.id);
  return [...ids];
}

export interface LeakScope {
  /** The project whose `down` just ran. */
  readonly project: string;
  /** Its networks as the runtime names them (`<project>_<key>`). */
  readonly networks: readonly string[];
  /** Its named volumes as the runtime names them: present when `volumesKept`, gone otherwise. */
  readonly volumes: readonly string[];
  readonly volumesKept: boolean;
  /**
   * No other project of the root is up: then any non-background process naming the roots, any
   * mount under them and any namespace of the root is this project's leak too (a container whose
   * create was cut short before its event was logged is found this way).
   */
  readonly alone?: boolean;
}

/**
 * What is left of a project after its `down`: one line per leak, empty when nothing. Containers,
 * networks and (unless kept) volumes by label; and on the host, for every container it ever had and
 * every network it has: host veths and bridges (`ip -o link`), namespaces (`ip netns list`), mounts,
 * nft tables (`nft list ruleset`), tagged iptables rules (DOCKER-USER and FORWARD), processes and
 * cgroups, records, IP allocations and DNS entries.
 */
export async function projectLeaks(roots: StackRoots, scope: LeakScope, seen: Seen): Promise<string[]> {
  await observe(roots, seen, scope.project);
  const { paths } = roots;
  const own = seenOf(seen, scope.project);
  const bridges = new Set(own.bridges.values());
  for (const network of scope.networks) bridges.add(bridgeName(paths.root, network));
  const ids = [...own.containers];
  const left: string[] = [];

  for (const line of await labelledLeaks(roots.runtime, scope.project)) {
    if (scope.volumesKept && line.startsWith("volume ")) continue;
    left.push(line);
  }
  for (const volume of scope.volumes) {
    const kept = existsSync(path.join(paths.volumes, volume));
    if (kept !== scope.volumesKept) left.push(`volume ${volume} ${kept ? "still there" : "gone"}`);
  }

  // Processes of the containers (conmon, runc, the container's own) may take a moment to go.
  await poll(10_000, () => ids.every((id) => processesOf(id).length === 0));
  for (const id of ids) {
    const short = id.slice(0, 12);
    for (const pid of processesOf(id)) left.push(`process ${pid} of ${short}`);
    for (const cgroup of cgroupDirs(id)) if (existsSync(cgroup)) left.push(`cgroup ${cgroup}`);
    for (const where of [paths.containers, paths.runContainers]) {
      if (existsSync(path.join(where, id))) left.push(`${path.join(where, id)} still there`);
    }
    if (existsSync(path.join(dnsFiles(paths).containers, `${id}.json`))) left.push(`DNS record of ${short}`);
  }
  for (const mount of mounts(roots.dir, roots.hidden)) {
    if (scope.alone === true || ids.some((id) => mount.includes(id))) left.push(`mount ${mount}`);
  }
  if (scope.alone === true) {
    for (const p of processesNaming(roots.dir))
      if (!isDaemon(p.cmdline)) left.push(`process ${p.pid}: ${p.cmdline}`);
  }

  const wantedNetns = new Set(ids.map((id) => netnsName(paths.root, id)));
  const prefix = netnsPrefix(paths);
  for (const name of await netnsList(roots)) {
    if (wantedNetns.has(name) || (scope.alone === true && name.startsWith(prefix)))
      left.push(`netns ${name}`);
  }

  const veths = new Set(
    ids.flatMap((id) => scope.networks.map((network) => hostVethName(paths.root, id, network))),
  );
  for (const link of await links(roots)) {
    if (bridges.has(link.name)) left.push(`bridge ${link.name}`);
    else if (veths.has(link.name)) left.push(`veth ${link.name}`);
    else if (link.master !== undefined && bridges.has(link.master))
      left.push(`link ${link.name} on ${link.master}`);
  }
  left.push(...(await filterLeaks(roots, bridges)));

  const state = await readState(paths);
  for (const network of Object.values(state.networks)) {
    if (scope.networks.includes(network.name) || bridges.has(network.bridge)) {
      left.push(`network record ${network.name} (${network.subnet})`);
    }
  }
  for (const record of Object.values(state.containers)) {
    if (ids.includes(record.id)) {
      const addresses = record.endpoints.map((e) => e.address).join(", ");
      left.push(`allocation of ${record.id.slice(0, 12)} (${addresses || "no address"})`);
    }
  }
  for (const network of scope.networks) {
    if (existsSync(path.join(dnsFiles(paths).networks, `${network}.json`)))
      left.push(`DNS listen entry of ${network}`);
  }
  return left;
}

/**
 * What is left of the whole root once every project is down: the per-root processes gone once idle
 * (bounded wait), no mount, namespace, container directory, network or allocation, DNS file.
 */
export async function rootResidue(roots: StackRoots): Promise<string[]> {
  const { paths, dir } = roots;
  const left: string[] = [];
  if (!(await poll(IDLE_EXIT_MS, () => processesNaming(dir).length === 0, 200))) {
    for (const p of processesNaming(dir)) left.push(`process ${p.pid} naming ${dir}: ${p.cmdline}`);
  }
  for (const mount of mounts(dir, roots.hidden)) left.push(`mount ${mount}`);
  const prefix = netnsPrefix(paths);
  for (const name of await netnsList(roots)) if (name.startsWith(prefix)) left.push(`netns ${name}`);
  for (const where of [paths.containers, paths.runContainers]) {
    if (!existsSync(where)) continue;
    for (const name of readdirSync(where)) {
      if (name === ".names") continue;
      const inside = path.join(where, name);
      const files = statSync(inside).isDirectory() ? readdirSync(inside).join(", ") : "not a directory";
      left.push(`container directory ${inside} holding [${files}]`);
    }
  }
  const names = path.join(paths.containers, ".names");
  if (existsSync(names)) for (const name of readdirSync(names)) left.push(`name ${name} still claimed`);
  const state = await readState(paths);
  for (const network of Object.values(state.networks)) left.push(`network record ${network.name}`);
  for (const record of Object.values(state.containers)) left.push(`allocation of ${record.id.slice(0, 12)}`);
  const dns = dnsFiles(paths);
  for (const where of [dns.containers, dns.networks]) {
    if (existsSync(where))
      for (const name of readdirSync(where)) left.push(`DNS file ${path.join(where, name)}`);
  }
  if (existsSync(paths.volumes)) {
    for (const name of readdirSync(paths.volumes)) if (!name.startsWith(".")) left.push(`volume ${name}`);
  }
  return left;
}

interface Link {
  readonly name: string;
  readonly master: string | undefined;
}

/** `ip -o link`: each link's name and the bridge it is on. */
async function links(roots: StackRoots): Promise<Link[]> {
  const text = await roots.tool(["ip", "-o", "link"]);
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const name = (line.split(": ")[1] ?? "").split("@")[0] ?? "";
      const master = /\bmaster (\S+)/.exec(line)?.[1];
      return { name, master };
    });
}

/** `ip netns list`, names only. */
async function netnsList(roots: StackRoots): Promise<string[]> {
  const text = await roots.tool(["ip", "netns", "list"]);
  return text
    .split("\n")
    .map((line) => line.split(" ")[0] ?? "")
    .filter((name) => name !== "");
}

/** nft tables and iptables rules (DOCKER-USER, FORWARD) that name one of `bridges`. */
async function filterLeaks(roots: StackRoots, bridges: ReadonlySet<string>): Promise<string[]> {
  if (bridges.size === 0) return [];
  const left: string[] = [];
  const ruleset = await roots.tool(["nft", "list", "ruleset"]);
  for (const line of ruleset.split("\n")) {
    for (const bridge of bridges) if (line.includes(bridge)) left.push(`nft: ${line.trim()}`);
  }
  for (const chain of ["DOCKER-USER", "FORWARD"]) {
    const rules = await roots.tool(["iptables", "-S", chain]);
    for (const line of rules.split("\n")) {
      for (const bridge of bridges) if (line.includes(iptablesTag(bridge))) left.push(`iptables: ${line}`);
    }
  }
  return left;
}

// --- cleaning up after a failure ------------------------------------------------------------------

/**
 * Removes by force whatever a failed test left of this root (already reported as leaks): processes,
 * mounts, namespaces, links and rules of the bridges `seen`, cgroups. Best effort, bounded.
 */
export async function scrub(roots: StackRoots, seen: Seen): Promise<void> {
  const { paths, dir } = roots;
  for (const p of processesNaming(dir)) killQuietly(p.pid);
  const ids = [...seen.values()].flatMap((entry) => [...entry.containers]);
  for (const id of ids) for (const pid of processesOf(id)) killQuietly(pid);
  for (const mount of mounts(dir, roots.hidden).reverse()) await roots.tool(["umount", "-l", mount]);
  const prefix = netnsPrefix(paths);
  for (const name of await netnsList(roots))
    if (name.startsWith(prefix)) await roots.tool(["ip", "netns", "del", name]);
  const state = await readState(paths).catch(() => undefined);
  const bridges = new Set([
    ...[...seen.values()].flatMap((entry) => [...entry.bridges.values()]),
    ...Object.values(state?.networks ?? {}).map((n) => n.bridge),
  ]);
  for (const bridge of bridges) {
    await roots.tool(["ip", "link", "del", bridge]);
    await roots.tool(["nft", "delete", "table", "ip", bridge]);
    for (const chain of ["DOCKER-USER", "FORWARD"]) {
      const rules = await roots.tool(["iptables", "-S", chain]);
      for (const line of rules.split("\n")) {
        if (!line.startsWith("-A ") || !line.includes(iptablesTag(bridge))) continue;
        const args = line.replace(/^-A /, "-D ").replaceAll('"', "").split(/\s+/);
        await roots.tool(["iptables", ...args]);
      }
    }
  }
  for (const id of ids) await removeCgroups(id).catch(() => undefined);
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // Gone.
  }
}

/** Whether a command line is one of the per-root background processes. */
export function isDaemon(cmdline: string): boolean {
  return DAEMON.test(cmdline);
}
