/**
 * What the native DNS tests share: temporary state roots, the server bundle they run (forwarding
 * off), a UDP client that asks once with no retry (from a chosen source address), and the check that
 * no server process is left.
 */
import { createSocket } from "node:dgram";
import { mkdtempSync, rmSync } from "node:fs";
import path from "node:path";
import { build } from "rolldown";
import { runningDnsServer } from "../../../src/runtime/native/dns/ensure.js";
import { type NativePaths, nativePaths } from "../../../src/runtime/native/paths.js";
import { isStale, type LockOwner, systemProbe } from "../../../src/file-lock.js";
import { query, type Reply, readReply } from "../../unit/runtime/native/dns/wire.js";

export interface DnsEnv {
  readonly dir: string;
  readonly paths: NativePaths;
  readonly entry: string;
}

export async function openDnsEnv(): Promise<DnsEnv> {
  const dir = mkdtempSync("/var/tmp/berth-dns-test-");
  const paths = nativePaths({ BERTH_ROOT: path.join(dir, "root"), BERTH_RUN_ROOT: path.join(dir, "run") });
  const entry = path.join(dir, "dns-server.mjs");
  await build({
    input: path.join(import.meta.dirname, "dns-child.ts"),
    platform: "node",
    external: [/^node:/],
    logLevel: "warn",
    output: { file: entry, format: "esm" },
  });
  return { dir, paths, entry };
}

/** Whether the process that wrote `owner` still runs (the same PID and start time). */
export const alive = (owner: LockOwner): boolean => !isStale(owner, systemProbe);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits (bounded) for the server to end by itself; kills it if it does not. True when it ended. */
export async function serverEnded(env: DnsEnv, waitMs = 5_000): Promise<boolean> {
  const owner = runningDnsServer(env.paths);
  if (!owner) return true;
  for (let i = 0; i < waitMs / 50; i++) {
    if (!alive(owner)) return true;
    await sleep(50);
  }
  process.kill(owner.pid, "SIGKILL");
  return false;
}

export function disposeDnsEnv(env: DnsEnv): void {
  rmSync(env.dir, { recursive: true, force: true });
}

/** One query over UDP, one send, no retry: the reply or undefined after `timeoutMs`. */
export function askUdp(
  server: { address: string; port: number },
  name: string,
  type: "A" | "AAAA" | "MX",
  options: { source?: string; timeoutMs?: number } = {},
): Promise<Reply | undefined> {
  return new Promise((resolve, reject) => {
    const socket = createSocket("udp4");
    const id = Math.floor(Math.random() * 65_535);
    let settled = false;
    const done = (reply: Reply | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.close();
      resolve(reply);
    };
    const timer = setTimeout(() => done(undefined), options.timeoutMs ?? 1_000);
    socket.on("error", (error) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        socket.close();
        reject(error);
      }
    });
    socket.on("message", (message) => {
      const reply = readReply(message);
      if (reply.id === id) done(reply);
    });
    socket.bind({ address: options.source ?? "0.0.0.0", port: 0 }, () => {
      socket.send(query(name, type, id), server.port, server.address);
    });
  });
}

/** The A answers of a reply, in order. */
export const addressesOf = (reply: Reply | undefined): string[] =>
  (reply?.answers ?? []).filter((a) => a[0] === "A").map((a) => a[3]);
