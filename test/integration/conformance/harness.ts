/**
 * What every conformance case shares: the backend under test, the test image, unique names, the
 * objects a test made (removed after it, and swept by the run label at the end), and bounded helpers
 * to run a command, read logs, drain a session and pack or unpack a tar.
 *
 * A case needing what a backend lacks (`features`) is not registered for it: the fake runs no
 * processes, so it is held only to the bookkeeping cases (see ../runtime-conformance.test.ts).
 */
import { Readable } from "node:stream";
import tar from "tar-stream";
import { it, type TestContext } from "vitest";
import { NotFoundError } from "../../../src/runtime/errors.js";
import type {
  ContainerSpec,
  LogLine,
  LogOptions,
  Runtime,
  StreamSession,
} from "../../../src/runtime/runtime.js";
import { requireOrSkip, RUN_ID, TEST_LABEL } from "../engine.js";
import { toBuffer } from "../images.js";

/**
 * - processes: containers run their image's programs (logs, exec, attach, DNS lookups, builds).
 * - registry: images go to and come back from a registry (127.0.0.1:5000 for Docker).
 * - networks: networks are made, joined and removed (bridges, aliases, DNS).
 * - volumes: named and anonymous volumes are made, mounted and removed.
 * - build: images are built from a Dockerfile.
 */
export type Feature = "processes" | "registry" | "networks" | "volumes" | "build";

export interface ConformanceBackend {
  readonly name: string;
  /** Makes the runtime under test (once per suite). */
  create(): Runtime | Promise<Runtime>;
  readonly features: ReadonlySet<Feature>;
  /** Why a feature backed by an outside service (a registry) cannot serve now; undefined when it can. */
  unavailable?(feature: Feature): Promise<string | undefined>;
}

export const LABEL_TERM = `${TEST_LABEL}=${RUN_ID}`;
export const LABELS = { [TEST_LABEL]: RUN_ID } as const;

export type Extra = Partial<Omit<ContainerSpec, "labels">> & { readonly labels?: Record<string, string> };

export class Harness {
  private current: Runtime | undefined;
  private testImage: string | undefined;
  private counter = 0;
  readonly made = {
    containers: [] as string[],
    networks: [] as string[],
    volumes: [] as string[],
    images: [] as string[],
  };

  constructor(readonly backend: ConformanceBackend) {}

  get runtime(): Runtime {
    if (!this.current) throw new Error("the runtime is made in beforeAll");
    return this.current;
  }

  get image(): string {
    if (this.testImage === undefined) throw new Error("the test image is made in beforeAll");
    return this.testImage;
  }

  open(runtime: Runtime, image: string): void {
    this.current = runtime;
    this.testImage = image;
  }

  has(feature: Feature): boolean {
    return this.backend.features.has(feature);
  }

  /** `it`, registered only when the backend has every feature in `needs`. */
  case(
    name: string,
    needs: readonly Feature[],
    fn: (context: TestContext) => Promise<void>,
    timeoutMs?: number,
  ): void {
    if (!needs.every((f) => this.has(f))) return;
    it(
      name,
      async (context) => {
        for (const feature of needs) {
          const reason = await this.backend.unavailable?.(feature);
          // Skipped here, but a failure under CI: a CI run must not lose a case to a missing service.
          if (reason !== undefined) requireOrSkip(context, false, reason);
        }
        await fn(context);
      },
      timeoutMs,
    );
  }

  /** `berth-it-<run>-<n>-<what>`: unique per test process, recognisable in `docker ps -a`. */
  unique(what: string): string {
    return `berth-it-${RUN_ID}-${++this.counter}-${what}`;
  }

  async createContainer(extra: Extra = {}): Promise<string> {
    const { id } = await this.runtime.containers.create({
      image: this.image,
      ...extra,
      name: extra.name ?? this.unique("c"),
      labels: { ...LABELS, ...extra.labels },
    });
    this.made.containers.push(id);
    return id;
  }

  /** A started container that sleeps (PID 1 `sleep` ignores SIGTERM, so a stop waits its timeout). */
  async sleeper(extra: Extra = {}): Promise<string> {
    const id = await this.createContainer({ command: ["sleep", "60"], ...extra });
    await this.runtime.containers.start(id);
    return id;
  }

  async waitExit(id: string, ms = 15_000): Promise<number> {
    const result = await this.runtime.containers.wait(id, { signal: AbortSignal.timeout(ms) });
    return result.exitCode;
  }

  async collectLogs(id: string, options: LogOptions = {}): Promise<LogLine[]> {
    const lines: LogLine[] = [];
    for await (const line of this.runtime.containers.logs(id, {
      signal: AbortSignal.timeout(15_000),
      ...options,
    })) {
      lines.push(line);
    }
    return lines;
  }

  /** Runs `command` to its exit; returns the exit code and the log lines per stream. */
  async run(command: readonly string[], extra: Extra = {}) {
    const id = await this.createContainer({ command, ...extra });
    await this.runtime.containers.start(id);
    const exitCode = await this.waitExit(id);
    const logs = await this.collectLogs(id);
    return { id, exitCode, stdout: lines(logs, "stdout"), stderr: lines(logs, "stderr") };
  }

  /** Removes what the test made; returns what could not be removed. */
  async removeMade(): Promise<string[]> {
    const problems: string[] = [];
    const attempt = async (what: string, work: () => Promise<void>): Promise<void> => {
      try {
        await ignoreNotFound(work());
      } catch (error) {
        problems.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
      }
    };
    const { containers, networks, volumes, images } = this.runtime;
    for (const id of this.made.containers.splice(0)) {
      await attempt(`container ${id}`, () => containers.remove(id, { force: true, volumes: true }));
    }
    for (const id of this.made.networks.splice(0)) await attempt(`network ${id}`, () => networks.remove(id));
    for (const name of this.made.volumes.splice(0)) {
      await attempt(`volume ${name}`, () => volumes.remove(name, { force: true }));
    }
    for (const ref of this.made.images.splice(0)) {
      await attempt(`image ${ref}`, () => images.remove(ref, { force: true }));
    }
    return problems;
  }

  /** Everything still carrying the run label, as readable lines (empty when nothing leaked). */
  async leftovers(): Promise<string[]> {
    const [containers, networks, volumes, images] = await Promise.all([
      this.runtime.containers.list({ all: true, labels: [LABEL_TERM] }),
      this.runtime.networks.list({ labels: [LABEL_TERM] }),
      this.runtime.volumes.list({ labels: [LABEL_TERM] }),
      this.runtime.images.list({ labels: [LABEL_TERM] }),
    ]);
    return [
      ...containers.map((c) => `container ${c.name} (${c.id.slice(0, 12)}, ${c.status})`),
      ...networks.map((n) => `network ${n.name} (${n.id.slice(0, 12)})`),
      ...volumes.map((v) => `volume ${v.name}`),
      ...images.map((i) => `image ${i.repoTags.join(",") || i.id}`),
    ];
  }

  /** Removes whatever still carries the run label (what a failed test's cleanup missed). */
  async sweep(): Promise<void> {
    const runtime = this.runtime;
    for (const c of await runtime.containers.list({ all: true, labels: [LABEL_TERM] })) {
      await ignoreNotFound(runtime.containers.remove(c.id, { force: true, volumes: true }));
    }
    for (const n of await runtime.networks.list({ labels: [LABEL_TERM] })) {
      await ignoreNotFound(runtime.networks.remove(n.id));
    }
    for (const v of await runtime.volumes.list({ labels: [LABEL_TERM] })) {
      await ignoreNotFound(runtime.volumes.remove(v.name, { force: true }));
    }
    for (const i of await runtime.images.list({ labels: [LABEL_TERM] })) {
      await ignoreNotFound(runtime.images.remove(i.id, { force: true }));
    }
  }
}

export async function ignoreNotFound(work: Promise<void>): Promise<void> {
  try {
    await work;
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
}

export const lines = (logs: readonly LogLine[], stream: "stdout" | "stderr"): string[] =>
  logs.filter((l) => l.stream === stream).map((l) => l.line);

export async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `check` every 100 ms until it returns true, at most `ms`. */
export async function eventually(ms: number, what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  for (let i = 0; i < 1000 && Date.now() < deadline; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what}: not true within ${ms} ms`);
}

export async function rejection(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection, got a result");
}

/** Reads a session's output to its end, closing it after `ms` (then `timedOut`). */
export async function drain(session: StreamSession, ms = 10_000) {
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    session.close();
  }, ms);
  const out: Record<"stdout" | "stderr", Buffer[]> = { stdout: [], stderr: [] };
  try {
    for await (const chunk of session.output) out[chunk.stream].push(Buffer.from(chunk.data));
  } catch (error) {
    if (!timedOut) throw error;
  } finally {
    clearTimeout(timer);
  }
  return {
    stdout: Buffer.concat(out.stdout).toString("utf8"),
    stderr: Buffer.concat(out.stderr).toString("utf8"),
    timedOut,
  };
}

export async function tarOf(files: Readonly<Record<string, string>>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, content] of Object.entries(files)) {
    pack.entry({ name, mode: 0o644, mtime: new Date() }, content);
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(toBuffer(chunk));
  return Buffer.concat(chunks);
}

/** The regular files of a tar stream, by name. */
export async function untar(stream: Readable): Promise<Map<string, string>> {
  const extract = tar.extract();
  const files = new Map<string, string>();
  stream.on("error", (error) => extract.destroy(error));
  stream.pipe(extract);
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(toBuffer(chunk));
    if (entry.header.type === "file") files.set(entry.header.name, Buffer.concat(chunks).toString("utf8"));
  }
  return files;
}

export const tarStream = async (files: Readonly<Record<string, string>>): Promise<Readable> =>
  Readable.from([await tarOf(files)]);
