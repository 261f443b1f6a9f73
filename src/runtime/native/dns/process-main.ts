/**
 * What the DNS server process does from start to end (./main.ts runs it with the defaults; tests
 * turn forwarding off): claim the pid file or leave, serve until no network has wanted DNS for
 * `idleExitMs`, give the pid file back. SIGTERM and SIGINT end it the same way; SIGKILL leaves a
 * pid file the next server takes over.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { NativePaths } from "../paths.js";
import { claimDnsServer } from "./ensure.js";
import { DnsServer } from "./server.js";

export interface DnsProcessOptions {
  readonly forward?: boolean | undefined;
  readonly idleExitMs?: number | undefined;
  readonly pollMs?: number | undefined;
}

export async function serveDnsProcess(paths: NativePaths, options: DnsProcessOptions = {}): Promise<void> {
  const release = await claimDnsServer(paths);
  if (release === undefined) return;
  const log = (line: string): void => {
    process.stderr.write(`${new Date().toISOString()} dns ${process.pid}: ${line}\n`);
  };
  const abort = new AbortController();
  for (const name of ["SIGTERM", "SIGINT"] as const) process.once(name, () => abort.abort());
  const server = new DnsServer({ paths, forward: options.forward, pollMs: options.pollMs, log });
  const idleExitMs = options.idleExitMs ?? 2_000;
  try {
    await server.start();
    log(`started (forwarding ${options.forward === false ? "off" : "on"})`);
    let idleSince: number | undefined;
    // Bounded by the abort and by idleness; one check every 250 ms.
    while (!abort.signal.aborted) {
      if (server.networks() === 0) {
        idleSince ??= Date.now();
        if (Date.now() - idleSince >= idleExitMs) {
          // A listen file written just now must not be missed: read the files once more.
          await server.reload();
          if (server.networks() === 0) break;
          idleSince = undefined;
        }
      } else idleSince = undefined;
      await sleep(250, undefined, { signal: abort.signal }).catch(() => undefined);
    }
    log(abort.signal.aborted ? "stopping (signal)" : "no network needs DNS: exiting");
  } finally {
    await server.close();
    release();
  }
}
