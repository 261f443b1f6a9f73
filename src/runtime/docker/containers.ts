/**
 * Containers over the Engine API. No-op answers (304 for start/stop, "already paused") count as
 * success, as the Runtime interface promises; logs, attach and exec pick demux or raw framing
 * from the container's (or exec's) TTY setting, since v1.41's Content-Type does not tell.
 */
import type { Readable } from "node:stream";
import { ApiError, ConflictError, NotFoundError, RuntimeError } from "../errors.js";
import type {
  AttachOptions,
  ContainerSpec,
  ContainerState,
  ContainerSummary,
  Containers,
  ExecSession,
  ExecSpec,
  LabelTerms,
  LogLine,
  LogOptions,
  OutputChunk,
  Stats,
  StreamSession,
  WaitOptions,
  WaitResult,
} from "../runtime.js";
import { endpointConfig, planCreate } from "./container-spec.js";
import { toContainerState, toContainerSummary } from "./convert.js";
import { abortReason, type EngineApi, filtersParam, readAll } from "./engine-api.js";
import { withSeccompProfilesRead } from "./security-options.js";
import { endOnAbort, openSession } from "./sessions.js";
import { DEFAULT_ANSWER_TIMEOUT_MS, type TransportResponse } from "./transport.js";
import { logLines, statsFrom } from "./streams.js";
import type { WireContainerInspect, WireContainerSummary, WireExecInspect } from "./wire.js";

const seg = encodeURIComponent;

/** How long exitCode() keeps asking once the output has ended (the engine records it a moment later). */
const EXIT_CODE_WAIT_MS = 10_000;

export class DockerContainers implements Containers {
  private readonly api: EngineApi;

  constructor(api: EngineApi) {
    this.api = api;
  }

  async create(spec: ContainerSpec): Promise<{ readonly id: string; readonly warnings: readonly string[] }> {
    const securityOpt = await withSeccompProfilesRead(spec.securityOpt);
    const plan = planCreate({ ...spec, securityOpt }, await this.api.version());
    const created = await this.api.jsonRequired<{ Id: string; Warnings?: string[] | null }>(
      "POST",
      "/containers/create",
      {
        query: { name: spec.name, platform: spec.platform },
        json: plan.body,
      },
    );
    // Engines before API 1.44 join one network at create; the rest are joined before anyone can
    // start the container, and a container that cannot join them all is not left behind.
    for (const [network, endpoint] of plan.connectAfter) {
      try {
        await this.api.empty("POST", `/networks/${seg(network)}/connect`, {
          json: { Container: created.Id, EndpointConfig: endpointConfig(endpoint) },
          forbiddenIsConflict: true,
        });
      } catch (err) {
        await this.api
          .empty("DELETE", `/containers/${seg(created.Id)}`, { query: { force: true, v: true } })
          .catch(() => {});
        throw err;
      }
    }
    return { id: created.Id, warnings: created.Warnings ?? [] };
  }

  async start(id: string): Promise<void> {
    await this.api.empty("POST", `/containers/${seg(id)}/start`);
  }

  async stop(
    id: string,
    options: { readonly timeoutS?: number; readonly signal?: string } = {},
  ): Promise<void> {
    if (options.signal !== undefined && !(await this.api.atLeast("1.42"))) {
      await this.stopWithSignal(id, options.signal, options.timeoutS ?? 10);
      return;
    }
    await this.api.empty("POST", `/containers/${seg(id)}/stop`, {
      query: { t: options.timeoutS, signal: options.signal },
      answerTimeoutMs: answerAfterGrace(options.timeoutS),
    });
  }

  /** `stop?signal=` arrived in 1.42: before that, send the signal, wait, then kill. */
  private async stopWithSignal(id: string, signal: string, timeoutS: number): Promise<void> {
    try {
      await this.api.empty("POST", `/containers/${seg(id)}/kill`, { query: { signal } });
    } catch (err) {
      if (err instanceof ConflictError) return; // not running: already stopped
      throw err;
    }
    try {
      await this.wait(id, { condition: "not-running", signal: AbortSignal.timeout(timeoutS * 1000) });
    } catch (err) {
      if (err instanceof NotFoundError) return;
      await this.kill(id, "SIGKILL");
    }
  }

  async kill(id: string, signal?: string): Promise<void> {
    try {
      await this.api.empty("POST", `/containers/${seg(id)}/kill`, { query: { signal } });
    } catch (err) {
      // Killing a container that is not running changes nothing, so it is not an error.
      if (err instanceof ConflictError && /is not running/i.test(err.message)) return;
      throw err;
    }
  }

  async restart(id: string, options: { readonly timeoutS?: number } = {}): Promise<void> {
    await this.api.empty("POST", `/containers/${seg(id)}/restart`, {
      query: { t: options.timeoutS },
      answerTimeoutMs: answerAfterGrace(options.timeoutS),
    });
  }

  async pause(id: string): Promise<void> {
    try {
      await this.api.empty("POST", `/containers/${seg(id)}/pause`);
    } catch (err) {
      // 20.10 answers 409 or 500 depending on the version; the message is what says "no-op".
      if (err instanceof RuntimeError && /already paused/i.test(err.message)) return;
      throw err;
    }
  }

  async unpause(id: string): Promise<void> {
    try {
      await this.api.empty("POST", `/containers/${seg(id)}/unpause`);
    } catch (err) {
      if (err instanceof RuntimeError && /is not paused/i.test(err.message)) return;
      throw err;
    }
  }

  async remove(
    id: string,
    options: { readonly force?: boolean; readonly volumes?: boolean } = {},
  ): Promise<void> {
    await this.api.empty("DELETE", `/containers/${seg(id)}`, {
      query: { force: options.force, v: options.volumes },
    });
  }

  async rename(id: string, name: string): Promise<void> {
    await this.api.empty("POST", `/containers/${seg(id)}/rename`, { query: { name } });
  }

  async inspect(id: string): Promise<ContainerState | undefined> {
    const c = await this.api.jsonOrUndefined<WireContainerInspect>("GET", `/containers/${seg(id)}/json`);
    return c && toContainerState(c);
  }

  async list(
    filter: { readonly labels?: LabelTerms; readonly all?: boolean; readonly name?: string } = {},
  ): Promise<ContainerSummary[]> {
    const list =
      (await this.api.json<WireContainerSummary[]>("GET", "/containers/json", {
        query: {
          all: filter.all,
          // The engine's name filter is a regular expression match; it narrows, the exact test is ours.
          filters: filtersParam({
            label: filter.labels,
            name: filter.name !== undefined ? [filter.name] : undefined,
          }),
        },
      })) ?? [];
    const summaries = list.map(toContainerSummary);
    return filter.name === undefined ? summaries : summaries.filter((c) => c.name === filter.name);
  }

  async wait(id: string, options: WaitOptions = {}): Promise<WaitResult> {
    return this.waitAnswer(await this.waitCall(id, options), options.signal);
  }

  /**
   * From API 1.30 the engine sends the answer's headers once it is watching, and the body (the
   * exit) when the condition is met; before that it had no conditions and answered only at the end.
   */
  async armWait(
    id: string,
    options: WaitOptions = {},
  ): Promise<{ readonly result: Promise<WaitResult> } | undefined> {
    if (!(await this.api.atLeast("1.30"))) return undefined;
    const res = await this.waitCall(id, options);
    return { result: this.waitAnswer(res, options.signal) };
  }

  private waitCall(id: string, options: WaitOptions): Promise<TransportResponse> {
    return this.api.call("POST", `/containers/${seg(id)}/wait`, {
      query: { condition: options.condition },
      signal: options.signal,
    });
  }

  private async waitAnswer(res: TransportResponse, signal: AbortSignal | undefined): Promise<WaitResult> {
    let text: string;
    try {
      text = (await readAll(res.body)).toString("utf8");
    } catch (err) {
      throw abortReason(signal, err);
    }
    let wire: WireWait;
    try {
      wire = JSON.parse(text) as WireWait;
    } catch (err) {
      throw new ApiError("the engine sent malformed JSON for a container wait", {
        cause: err,
        status: res.status,
      });
    }
    return { exitCode: wire.StatusCode ?? -1, error: wire.Error?.Message || undefined };
  }

  logs(id: string, options: LogOptions = {}): AsyncIterable<LogLine> {
    const api = this.api;
    const tty = (): Promise<boolean> => this.tty(id);
    async function* lines(): AsyncIterable<LogLine> {
      const isTty = await tty();
      const both = options.stdout === undefined && options.stderr === undefined;
      const res = await api.call("GET", `/containers/${seg(id)}/logs`, {
        query: {
          follow: options.follow,
          stdout: both || options.stdout === true,
          stderr: both || options.stderr === true,
          since: options.since && unixTime(options.since),
          until: options.until && unixTime(options.until),
          // Always: the timestamps are what tells where a line cut into 16 KiB messages, or a run's
          // last output without a newline, ends (see logLines).
          timestamps: true,
          tail: options.tail === undefined ? "all" : String(options.tail),
        },
        signal: options.signal,
      });
      for await (const line of logLines(res.body, { tty: isTty })) {
        yield options.timestamps === true ? line : { stream: line.stream, line: line.line };
      }
    }
    return endOnAbort(lines(), options.signal);
  }

  /**
   * Ending stdin ends the process's input; on a container created without StdinOnce, 20.10 also
   * ends the attached output then (moby#38457), so read what follows with `logs`.
   */
  async attach(id: string, options: AttachOptions = {}): Promise<StreamSession> {
    const tty = options.tty ?? (await this.tty(id));
    const conn = await this.api.hijack("POST", `/containers/${seg(id)}/attach`, {
      query: {
        stream: true,
        stdin: options.stdin === true,
        stdout: true,
        stderr: true,
        logs: options.logs === true,
      },
      signal: options.signal,
    });
    return openSession(conn, {
      tty,
      stdin: options.stdin === true,
      resize: (size) => this.resize(id, size),
      signal: options.signal,
    });
  }

  async exec(id: string, spec: ExecSpec): Promise<ExecSession> {
    const tty = spec.tty === true;
    const stdin = spec.stdin === true;
    const created = await this.api.jsonRequired<{ Id: string }>("POST", `/containers/${seg(id)}/exec`, {
      json: {
        AttachStdin: stdin,
        AttachStdout: true,
        AttachStderr: true,
        Tty: tty,
        Cmd: spec.command,
        Env: spec.env ? Object.entries(spec.env).map(([k, v]) => `${k}=${v}`) : undefined,
        User: spec.user,
        WorkingDir: spec.workingDir,
        Privileged: spec.privileged,
        // [height, width], read from API 1.42 on (the Go client sends none before).
        ConsoleSize:
          tty && spec.consoleSize !== undefined && (await this.api.atLeast("1.42"))
            ? [spec.consoleSize.rows, spec.consoleSize.cols]
            : undefined,
      },
      signal: spec.signal,
    });
    const execId = created.Id;
    if (spec.detach === true) {
      // The engine starts it and answers at once; nothing is attached, so nothing comes back.
      await this.api.empty("POST", `/exec/${seg(execId)}/start`, {
        json: { Detach: true, Tty: tty },
        signal: spec.signal,
      });
      return detachedExec();
    }
    const conn = await this.api.hijack("POST", `/exec/${seg(execId)}/start`, {
      json: { Detach: false, Tty: tty },
      signal: spec.signal,
    });
    const session = openSession(conn, {
      tty,
      stdin,
      resize: (size) =>
        this.api.empty("POST", `/exec/${seg(execId)}/resize`, { query: { h: size.rows, w: size.cols } }),
      signal: spec.signal,
    });
    const api = this.api;
    return {
      output: session.output,
      stdin: session.stdin,
      resize: session.resize,
      close: session.close,
      // ExitCode is null until the engine has seen the process exit, which it may record a little
      // after the stream ends: read to the end first, then ask until it is there.
      async exitCode(): Promise<number> {
        await session.drain();
        const deadline = Date.now() + EXIT_CODE_WAIT_MS;
        for (let delay = 5; ; delay = Math.min(delay * 2, 200)) {
          const info = await api.jsonRequired<WireExecInspect>("GET", `/exec/${seg(execId)}/json`);
          if (info.Running !== true && typeof info.ExitCode === "number") return info.ExitCode;
          if (Date.now() > deadline) throw new ApiError(`exec ${execId.slice(0, 12)} has not exited`);
          await new Promise((resolve) => setTimeout(resolve, delay));
        }
      },
    };
  }

  async resize(id: string, size: { readonly rows: number; readonly cols: number }): Promise<void> {
    await this.api.empty("POST", `/containers/${seg(id)}/resize`, { query: { h: size.rows, w: size.cols } });
  }

  async top(
    id: string,
    psArgs?: string,
  ): Promise<{ readonly titles: readonly string[]; readonly processes: readonly (readonly string[])[] }> {
    const top = await this.api.jsonRequired<{ Titles?: string[] | null; Processes?: string[][] | null }>(
      "GET",
      `/containers/${seg(id)}/top`,
      { query: { ps_args: psArgs } },
    );
    return { titles: top.Titles ?? [], processes: top.Processes ?? [] };
  }

  stats(
    id: string,
    options: { readonly stream?: boolean; readonly signal?: AbortSignal } = {},
  ): AsyncIterable<Stats> {
    const api = this.api;
    async function* read(): AsyncIterable<Stats> {
      // stream=false still takes two samples (about a second), so the CPU figure has a base.
      const res = await api.call("GET", `/containers/${seg(id)}/stats`, {
        query: { stream: options.stream !== false },
        signal: options.signal,
      });
      yield* statsFrom(res.body);
    }
    return endOnAbort(read(), options.signal);
  }

  async copyTo(
    id: string,
    path: string,
    tar: Readable,
    options: { readonly ownedByUser?: boolean } = {},
  ): Promise<void> {
    await this.api.empty("PUT", `/containers/${seg(id)}/archive`, {
      query: { path, copyUIDGID: options.ownedByUser === true ? true : undefined },
      body: tar,
      headers: { "Content-Type": "application/x-tar" },
    });
  }

  async copyFrom(id: string, path: string): Promise<Readable> {
    const res = await this.api.call("GET", `/containers/${seg(id)}/archive`, { query: { path } });
    return res.body;
  }

  /** Whether the container has a TTY (NotFoundError when it does not exist). */
  private async tty(id: string): Promise<boolean> {
    const c = await this.api.jsonRequired<WireContainerInspect>("GET", `/containers/${seg(id)}/json`);
    return c.Config?.Tty === true;
  }
}

/** The answer to `POST /containers/{id}/wait`. */
interface WireWait {
  readonly StatusCode?: number;
  readonly Error?: { readonly Message?: string } | null;
}

/** The engine's `since`/`until`: Unix seconds with a fraction. */
function unixTime(date: Date): string {
  return (date.getTime() / 1000).toFixed(3);
}

/**
 * The engine answers stop and restart only once the container is down: the grace period plus the
 * usual answer time. Without a grace period the container's own StopTimeout (unknown here) applies,
 * and t=-1 waits for ever, so neither is bounded.
 */
function answerAfterGrace(timeoutS: number | undefined): number {
  return timeoutS === undefined || timeoutS < 0 ? 0 : timeoutS * 1000 + DEFAULT_ANSWER_TIMEOUT_MS;
}

/** A detached exec's session: no output, no stdin, exit code 0 (Compose reports nothing more). */
function detachedExec(): ExecSession {
  return {
    output: (async function* (): AsyncGenerator<OutputChunk> {})(),
    stdin: undefined,
    resize: () => Promise.resolve(),
    close: () => undefined,
    exitCode: () => Promise.resolve(0),
  };
}
