/**
 * One DNS server process per BERTH_ROOT (its run root), shared by every project there. Why not one
 * per project: a gateway address belongs to one network of one project anyway, so one process can
 * answer all of them with the same isolation (a query is scoped by the network it arrived on), and
 * each Node process costs ~40 MB; one per project would multiply that by the projects running.
 *
 * The process is detached (its own session, not a child of any command) and known by
 * `<run>/dns/server.pid`, a src/file-lock.ts lock it holds while it runs: a killed server's file is
 * stale and the next one takes it over. `ensureDnsServer` is what a command calls when a network
 * needs DNS: it writes the network's listen file, starts a server when none runs, and waits
 * (bounded) until the server says it listens on every address asked, so the first query a new
 * container sends is answered. The server exits by itself once no listen file is left
 * (releaseDnsNetwork); a server killed meanwhile is restarted by the next ensureDnsServer.
 */
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { acquireFileLock, isStale, type LockOwner, parseOwner, systemProbe } from "../../../file-lock.js";
import { fieldsOf, itemsOf } from "../../../json-shape.js";
import type { NativePaths } from "../paths.js";
import { findEntry } from "../pid-file.js";
import { dnsFiles, type DnsListenAddress, readDnsNetworks, writeDnsNetwork } from "./records.js";
import { DNS_PORT, type DnsServerStatus, type ListenState } from "./server.js";

/** Names the server's entry script (a test's bundle); otherwise it is found beside this module. */
export const DNS_ENTRY_ENV = "BERTH_DNS_ENTRY";
/** The bundle's entry name (scripts/bundle.mjs), tsc's file name, then the built bundle from src. */
const ENTRY_CANDIDATES = ["./berth-dns.js", "./main.js", "../../../../dist/bin/berth-dns.js"];
/** As the supervisor's: a small heap and no optimizing compiler for a process that mostly waits. */
export const DNS_NODE_FLAGS = [
  "--lite-mode",
  "--no-expose-wasm",
  "--max-semi-space-size=1",
  "--max-old-space-size=64",
];
const READY_WAIT_MS = 10_000;

/** The live server of these paths, if any. */
export function runningDnsServer(paths: NativePaths): LockOwner | undefined {
  let text: string;
  try {
    text = readFileSync(dnsFiles(paths).pidFile, "utf8");
  } catch {
    return undefined;
  }
  const owner = parseOwner(text);
  return owner && !isStale(owner, systemProbe) ? owner : undefined;
}

/** Makes this process the server of `paths`: the release function, or undefined when one runs. */
export async function claimDnsServer(paths: NativePaths): Promise<(() => void) | undefined> {
  const files = dnsFiles(paths);
  // The command that spawns the server wrote its listen addresses there: a server starting after
  // the run root was removed has nothing to answer and must not make it again.
  if (!existsSync(files.dir)) return undefined;
  const taken = new Error("taken");
  try {
    // No wait: a live owner means this process is not needed; a dead one's file is taken over.
    return await acquireFileLock(files.pidFile, {
      timeoutMs: 0,
      aborted: () => taken,
      timedOut: () => taken,
    });
  } catch (error) {
    if (error === taken) return undefined;
    throw error;
  }
}

export function dnsServerEntry(
  env: Readonly<Record<string, string | undefined>> = process.env,
): string | undefined {
  return findEntry(DNS_ENTRY_ENV, ENTRY_CANDIDATES, import.meta.url, env);
}

function readStatus(paths: NativePaths): DnsServerStatus | undefined {
  try {
    return asDnsServerStatus(JSON.parse(readFileSync(dnsFiles(paths).statusFile, "utf8")));
  } catch {
    return undefined;
  }
}

/** Undefined when every address is bound by `pid`; otherwise what is still missing. */
function missing(
  status: DnsServerStatus | undefined,
  pid: number,
  addresses: readonly DnsListenAddress[],
): string | undefined {
  for (const want of addresses) {
    const port = want.port ?? DNS_PORT;
    const state =
      status?.pid === pid
        ? status.listening.find(
            (l) => l.network === want.network && l.address === want.address && l.port === port,
          )
        : undefined;
    if (state?.ready !== true) {
      return `${want.address}:${port} (${want.network})${state?.error ? `: ${state.error}` : ""}`;
    }
  }
  return undefined;
}

function spawnServer(paths: NativePaths, entry: string): void {
  const files = dnsFiles(paths);
  mkdirSync(files.dir, { recursive: true, mode: 0o755 });
  const out = openSync(files.logFile, "a", 0o600);
  try {
    const child = spawn(process.execPath, [...DNS_NODE_FLAGS, entry], {
      detached: true,
      stdio: ["ignore", out, out],
      cwd: "/",
      env: { ...process.env, BERTH_ROOT: paths.root, BERTH_RUN_ROOT: paths.run },
    });
    child.on("error", () => undefined);
    child.unref();
  } finally {
    closeSync(out);
  }
}

export interface EnsureDnsResult {
  readonly pid: number;
  /** A server was started by this call. */
  readonly started: boolean;
}

export interface EnsureDnsOptions {
  /** The entry script to run with node (default: dnsServerEntry()). */
  readonly entry?: string | undefined;
  readonly timeoutMs?: number | undefined;
}

/**
 * Makes sure a server runs for `paths` and listens on every address given (each a network's
 * gateway); throws, naming the address and why, when it does not within the bound. The listen files
 * stay written either way (the server keeps retrying them): the caller's teardown of a network that
 * failed to come up calls releaseDnsNetwork.
 */
export async function ensureDnsServer(
  paths: NativePaths,
  addresses: readonly DnsListenAddress[],
  options: EnsureDnsOptions = {},
): Promise<EnsureDnsResult> {
  for (const listen of addresses) writeDnsNetwork(paths, listen);
  const files = dnsFiles(paths);
  const deadline = Date.now() + (options.timeoutMs ?? READY_WAIT_MS);
  let spawned = 0;
  let lastSpawn = 0;
  let waitingFor = "a server";
  for (let i = 0; i < 10_000 && Date.now() < deadline; i++) {
    const owner = runningDnsServer(paths);
    if (owner) {
      const gap = missing(readStatus(paths), owner.pid, addresses);
      if (gap === undefined) return { pid: owner.pid, started: spawned > 0 };
      waitingFor = gap;
    } else if (spawned < 3 && Date.now() - lastSpawn > 2_000) {
      // None, or one that exited (idle) just as these addresses were written: start one.
      const entry = options.entry ?? dnsServerEntry();
      if (entry === undefined) {
        throw new Error(
          "the embedded DNS server's entry script was not found (is berth built? npm run build)",
        );
      }
      spawnServer(paths, entry);
      spawned++;
      lastSpawn = Date.now();
    }
    await sleep(i < 50 ? 10 : 50);
  }
  throw new Error(`the embedded DNS server does not listen on ${waitingFor} (see ${files.logFile})`);
}

/**
 * A command's re-attach: when networks still want DNS and no server runs (it was killed, or the host
 * rebooted with the run root kept), starts one for them; undefined when nothing was needed.
 */
export async function ensureDnsIfNeeded(
  paths: NativePaths,
  options: EnsureDnsOptions = {},
): Promise<EnsureDnsResult | undefined> {
  if (runningDnsServer(paths)) return undefined;
  const networks = readDnsNetworks(paths);
  return networks.length > 0 ? ensureDnsServer(paths, networks, options) : undefined;
}

/**
 * Waits (bounded) until the server no longer listens for `network` (its listen file released), so
 * a network made next on the same subnet finds the gateway's port 53 free: the socket outlives the
 * bridge's address otherwise, and the new network's bind fails with EADDRINUSE.
 */
export async function awaitDnsReleased(
  paths: NativePaths,
  network: string,
  timeoutMs = 2_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 1_000 && Date.now() < deadline; i++) {
    const owner = runningDnsServer(paths);
    if (!owner) return;
    const status = readStatus(paths);
    if (status?.pid === owner.pid && !status.listening.some((l) => l.network === network)) return;
    await sleep(10);
  }
}

function asListenState(value: unknown): ListenState | undefined {
  const { network, address, port, ready, error } = fieldsOf(value);
  if (typeof network !== "string" || typeof address !== "string" || typeof port !== "number")
    return undefined;
  return {
    network,
    address,
    port,
    ready: ready === true,
    error: typeof error === "string" ? error : undefined,
  };
}

/** The status file as the server writes it; undefined for anything else (read as "not ready"). */
export function asDnsServerStatus(value: unknown): DnsServerStatus | undefined {
  const { pid, listening, records } = fieldsOf(value);
  if (typeof pid !== "number" || !Array.isArray(listening)) return undefined;
  const states = itemsOf(listening).map(asListenState);
  if (!states.every((state): state is ListenState => state !== undefined)) return undefined;
  return { pid, listening: states, records: typeof records === "number" ? records : 0 };
}
