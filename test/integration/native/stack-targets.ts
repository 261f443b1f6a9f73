/**
 * The web + api + db stack of the native stack tests (stack.test.ts, stack-scale.test.ts), where it
 * runs, and what the tests ask of it through the built CLI:
 * - the stack: db (healthchecked, on an `internal` network `back`, alias `database`, a named
 *   volume), api (on `front` and `back`, after db is healthy), web (busybox httpd on a published
 *   port, on `front`); every service's unknown names go to `dns: 127.0.0.1`, where nobody listens,
 *   never to outside resolvers;
 * - the targets: native with dockerd running (BERTH_RUNTIME=native), native where no Docker Engine
 *   is there (a mount namespace with /run hidden: berth must choose native by itself), and the
 *   Docker Engine as the reference (what the tests expect is what Docker does; its leak check is by
 *   label);
 * - `useStack(target)`: the suite's fixtures, CLI runs, lookups from inside the containers, and
 *   `downClean`, which requires that nothing of a project is left after its `down`
 *   (stack-harness.ts's projectLeaks), and at the suite's end nothing of the roots (rootResidue).
 * Traffic goes only to loopback, to the containers made here and to this host's own address.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { networkInterfaces } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, expect, it, type TestContext } from "vitest";
import { runtimeBackend } from "../../../src/runtime/backends.js";
import { dnsFiles } from "../../../src/runtime/native/dns/index.js";
import type { Runtime } from "../../../src/runtime/runtime.js";
import { engine, requireOrSkip, RUN_ID, TEST_LABEL } from "../engine.js";
import { ensureTestImage } from "../images.js";
import { leaks as labelledLeaks } from "../leaks.js";
import {
  BIN,
  CLI_TIMEOUT_MS,
  type CliRun,
  describeRun,
  hideEngine,
  type HiddenEngine,
  type LeakScope,
  nativeReason,
  newSeen,
  observe,
  openStackRoots,
  projectLeaks,
  rootResidue,
  scrub,
  type Seen,
  type StackRoots,
} from "./stack-harness.js";

/** A long-running process that exits at once on SIGTERM (a PID 1 `sleep` would ignore it). */
const SERVE = `["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]`;
/** busybox httpd serving `text` on `port`, ending on SIGTERM like SERVE. */
const httpd = (text: string, port: number): string =>
  `["sh", "-c", "trap 'exit 0' TERM; mkdir -p /www; echo ${text} > /www/index.html; busybox httpd -f -p ${port} -h /www & wait"]`;

const NETWORK_KEYS = ["front", "back"] as const;

function stack(image: string): string {
  return `
x-svc: &svc
  image: ${image}
  labels: { ${TEST_LABEL}: "${RUN_ID}" }
  # Names berth does not know go here (nobody listens), never to the host's resolvers.
  dns: [127.0.0.1]
services:
  db:
    <<: *svc
    command: ${httpd("db-ok", 5432)}
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:5432/"]
      interval: 300ms
      timeout: 3s
      retries: 50
    volumes: [data:/data]
    networks:
      back: { aliases: [database] }
  api:
    <<: *svc
    command: ${SERVE}
    depends_on: { db: { condition: service_healthy } }
    networks: [front, back]
  web:
    <<: *svc
    command: ${httpd("web-ok", 80)}
    ports: ["80"]
    depends_on: [api]
    networks: [front]
networks:
  front: { labels: { ${TEST_LABEL}: "${RUN_ID}" } }
  back: { internal: true, labels: { ${TEST_LABEL}: "${RUN_ID}" } }
volumes:
  data: { labels: { ${TEST_LABEL}: "${RUN_ID}" } }
`;
}

// --- where the stack runs -------------------------------------------------------------------------

export interface OpenTarget {
  readonly image: string;
  berth(cwd: string, args: readonly string[]): Promise<CliRun>;
  /** What is left of `scope.project` after its down (empty when nothing). */
  leaks(scope: LeakScope): Promise<string[]>;
  /** What is left of the whole target once every project is down. */
  residue(): Promise<string[]>;
  /** The runtime's own account, for a failure's message (native: the DNS server's status and log). */
  diagnose(): string;
  close(): Promise<void>;
}

export interface Target {
  readonly name: string;
  /** The native runtime (the Docker Engine is the reference). */
  readonly native: boolean;
  gate(context: TestContext): void;
  open(): Promise<OpenTarget>;
}

/** The native DNS server's status file and the end of its log. */
function dnsDiagnosis(roots: StackRoots): string {
  const files = dnsFiles(roots.paths);
  const read = (file: string): string => {
    try {
      return readFileSync(file, "utf8");
    } catch (error) {
      return String(error);
    }
  };
  return `\n--- DNS server status ---\n${read(files.statusFile)}\n--- DNS server log (end) ---\n${read(files.logFile).slice(-2_000)}`;
}

function nativeGate(context: TestContext): void {
  requireOrSkip(context, nativeReason === undefined, `native runtime: ${nativeReason ?? ""}`);
}

function openNative(prefix: string, hidden?: () => Promise<HiddenEngine>) {
  return async (): Promise<OpenTarget> => {
    const holder = hidden ? await hidden() : undefined;
    const roots: StackRoots = await openStackRoots(prefix, holder);
    const seen: Seen = newSeen();
    return {
      image: roots.image,
      async berth(cwd, args) {
        const run = await roots.berth(cwd, args);
        // Without BERTH_RUNTIME and without an engine, berth must have chosen native and said so.
        if (holder && run.exitCode === 0 && args.includes("up")) {
          expect(run.stderr, describeRun(args, run)).toMatch(/native runtime/);
        }
        const project = args[args.indexOf("-p") + 1];
        if (project !== undefined) await observe(roots, seen, project);
        return run;
      },
      leaks: (scope) => projectLeaks(roots, scope, seen),
      residue: () => rootResidue(roots),
      diagnose: () => dnsDiagnosis(roots),
      async close() {
        await scrub(roots, seen);
        await roots.close();
        await holder?.close();
      },
    };
  };
}

async function openDocker(): Promise<OpenTarget> {
  const runtime: Runtime = await runtimeBackend("docker").create(process.env);
  const image = await ensureTestImage(runtime, AbortSignal.timeout(60_000));
  return {
    image,
    async berth(cwd, args) {
      const started = Date.now();
      const result = await execa(process.execPath, [BIN, ...args], {
        cwd,
        env: {
          PATH: process.env["PATH"] ?? "/usr/bin:/bin",
          HOME: process.env["HOME"] ?? "/root",
          BERTH_RUNTIME: "docker",
        },
        extendEnv: false,
        reject: false,
        stdin: "ignore",
        stripFinalNewline: false,
        timeout: CLI_TIMEOUT_MS,
      });
      return {
        exitCode: result.exitCode,
        signal: result.signal,
        stdout: String(result.stdout),
        stderr: String(result.stderr),
        ms: Date.now() - started,
      };
    },
    async leaks(scope) {
      const left = await labelledLeaks(runtime, scope.project);
      return left.filter((line) => !(scope.volumesKept && line.startsWith("volume ")));
    },
    residue: () => Promise.resolve([]),
    diagnose: () => "",
    close: () => runtime.close(),
  };
}

export const TARGETS: readonly Target[] = [
  { name: "native, dockerd running", native: true, gate: nativeGate, open: openNative("stack") },
  {
    name: "native, no Docker Engine there",
    native: true,
    gate: nativeGate,
    open: openNative("stack-noengine", hideEngine),
  },
  {
    name: "Docker, the reference",
    native: false,
    gate: (context) => requireOrSkip(context, engine.state === "up", `no Docker Engine: ${engine.state}`),
    open: openDocker,
  },
];

// --- what the checks ask the containers -----------------------------------------------------------

const IPV4 = /^\d+\.\d+\.\d+\.\d+$/;

/** The addresses busybox's nslookup printed for the name (none for NXDOMAIN). */
export function answers(output: string): string[] {
  const found: string[] = [];
  let inAnswer = false;
  for (const line of output.split("\n")) {
    if (line.startsWith("Name:")) inAnswer = true;
    const address = /^Address:\s*(\S+)$/.exec(line)?.[1];
    if (inAnswer && address !== undefined && IPV4.test(address)) found.push(address);
  }
  return [...new Set(found)].sort();
}

/** This host's own address on its uplink (not a bridge): reachable from containers, never outside. */
export function hostAddress(): string {
  for (const [name, addresses] of Object.entries(networkInterfaces())) {
    if (/^(lo|docker|br-|berth|bv|veth)/.test(name)) continue;
    for (const address of addresses ?? [])
      if (address.family === "IPv4" && !address.internal) return address.address;
  }
  throw new Error("this host has no IPv4 address of its own besides loopback and bridges");
}

/** GET http://127.0.0.1:<port>/ with a bound: the body. */
export function fetchLocal(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: "127.0.0.1", port, path: "/", timeout: 3_000 }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve(body));
      response.on("error", reject);
    });
    request.on("timeout", () => request.destroy(new Error("no answer within 3 s")));
    request.on("error", reject);
  });
}

/** A TCP listener on every address of this host that counts the connections it gets. */
export async function listener(): Promise<{
  port: number;
  accepted: () => number;
  close: () => Promise<void>;
}> {
  let count = 0;
  const server = net.createServer((socket) => {
    count++;
    socket.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "0.0.0.0", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return {
    port: address.port,
    accepted: () => count,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface Fixture {
  readonly dir: string;
  readonly project: string;
}

/** Opens `target` for a describe's cases (skipping them where it cannot run) and gives their tools. */
export function useStack(target: Target) {
  const slug = target.native ? (target.name.includes("no Docker") ? "h" : "n") : "d";
  let opened: OpenTarget | undefined;
  const dirs: string[] = [];
  let counter = 0;

  beforeAll(async () => {
    const available = target.name.startsWith("Docker") ? engine.state === "up" : nativeReason === undefined;
    if (available) opened = await target.open();
  }, 120_000);

  afterAll(async () => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    if (!opened) return;
    const left = await opened.residue();
    await opened.close();
    expect(left, `left by the stack tests once every project is down (${target.name})`).toEqual([]);
  }, 120_000);

  function need(): OpenTarget {
    if (!opened) throw new Error(`${target.name} is not open`);
    return opened;
  }

  function fixture(): Fixture {
    const dir = mkdtempSync("/var/tmp/berth-stack-fx-");
    writeFileSync(path.join(dir, "compose.yaml"), stack(need().image));
    dirs.push(dir);
    return { dir, project: `berth-st${slug}-${RUN_ID}-${++counter}` };
  }

  function scope(fx: Fixture, volumesKept: boolean, alone: boolean): LeakScope {
    return {
      project: fx.project,
      networks: NETWORK_KEYS.map((key) => `${fx.project}_${key}`),
      volumes: [`${fx.project}_data`],
      volumesKept,
      alone,
    };
  }

  async function berth(fx: Fixture, args: readonly string[]): Promise<CliRun> {
    return need().berth(fx.dir, ["--progress", "plain", "-p", fx.project, ...args]);
  }

  async function berthOk(fx: Fixture, args: readonly string[]): Promise<CliRun> {
    const run = await berth(fx, args);
    expect(run.exitCode, describeRun(args, run)).toBe(0);
    return run;
  }

  /** `exec -T` in a service's container (replica `index`): the command's run. */
  function exec(fx: Fixture, service: string, argv: readonly string[], index = 1): Promise<CliRun> {
    return berth(fx, ["exec", "-T", "--index", String(index), service, ...argv]);
  }

  /** GET `url` from a service's container, bounded (busybox wget's own -T crashes the static build). */
  function fetchFrom(fx: Fixture, service: string, url: string): Promise<CliRun> {
    return exec(fx, service, ["timeout", "5", "wget", "-q", "-O", "-", url]);
  }

  async function resolve(fx: Fixture, from: string, name: string): Promise<string[]> {
    return (await lookup(fx, from, name)).addresses;
  }

  /** nslookup `name` from a service's container: the addresses and the run (for messages). */
  async function lookup(
    fx: Fixture,
    from: string,
    name: string,
  ): Promise<{ addresses: string[]; run: CliRun }> {
    const run = await exec(fx, from, ["nslookup", name]);
    return { addresses: answers(run.stdout), run };
  }

  /**
   * Looks `name` up from `from` until it answers `count` addresses, for at most `ms` after `since`
   * (each lookup is a whole `berth exec`, so the polls are a few hundred ms apart): the last answer.
   */
  async function settle(fx: Fixture, from: string, name: string, count: number, since: number, ms: number) {
    let last = await lookup(fx, from, name);
    for (let i = 0; i < 100 && last.addresses.length !== count && Date.now() - since < ms; i++) {
      last = await lookup(fx, from, name);
    }
    const message = `${from}'s answers for ${name} ${Date.now() - since} ms after the scale: ${describeRun(["exec", from, "nslookup", name], last.run)}${last.addresses.length === count ? "" : need().diagnose()}`;
    expect(last.addresses, message).toHaveLength(count);
    return last.addresses;
  }

  /** A replica's IPv4 addresses, loopback aside. */
  async function addressesOf(fx: Fixture, service: string, index = 1): Promise<string[]> {
    const run = await exec(fx, service, ["busybox", "ip", "-4", "-o", "addr", "show"], index);
    expect(run.exitCode, describeRun(["exec", service, "ip addr"], run)).toBe(0);
    return [...run.stdout.matchAll(/inet (\d+\.\d+\.\d+\.\d+)\//g)]
      .map((m) => m[1] ?? "")
      .filter((address) => !address.startsWith("127."));
  }

  async function hasDefaultRoute(fx: Fixture, service: string): Promise<boolean> {
    const run = await exec(fx, service, ["cat", "/proc/net/route"]);
    expect(run.exitCode, describeRun(["exec", service, "cat /proc/net/route"], run)).toBe(0);
    // Columns: Iface Destination Gateway …; the default route's destination is 00000000.
    return run.stdout.split("\n").some((line) => line.split(/\s+/)[1] === "00000000");
  }

  async function downClean(fx: Fixture, volumes: boolean, alone: boolean): Promise<void> {
    await berthOk(fx, volumes ? ["down", "-v"] : ["down"]);
    const left = await need().leaks(scope(fx, !volumes, alone));
    expect(left, `left of ${fx.project} after down${volumes ? " -v" : ""}`).toEqual([]);
  }

  /** Runs `body`; when it fails, takes the projects down (best effort) before its error is reported. */
  async function downOnFailure(fxs: readonly Fixture[], body: () => Promise<void>): Promise<void> {
    try {
      await body();
    } catch (error) {
      for (const fx of fxs) await berth(fx, ["down", "-v"]).catch(() => undefined);
      throw error;
    }
  }

  const run = (name: string, fn: () => Promise<void>): void => {
    it(
      name,
      async (context) => {
        target.gate(context);
        await fn();
      },
      600_000,
    );
  };

  return {
    fixture,
    berth,
    berthOk,
    exec,
    fetchFrom,
    lookup,
    resolve,
    settle,
    addressesOf,
    hasDefaultRoute,
    downClean,
    downOnFailure,
    run,
  };
}
