/**
 * `berth run SERVICE [COMMAND...]`: a one-off container of a service, as `docker compose run` makes
 * and runs it. The dependencies come up first (unless `--no-deps`), their conditions awaited; the
 * one-off is attached before it starts, so none of its output is lost, even of a command that exits
 * at once. A TTY when stdin is a terminal (not with `-T`), stdin piped through (`-i`, on by
 * default as in Compose v2), and the command's exit code is berth's. Signals berth gets while the
 * one-off runs are sent on to it (Compose's `ForwardAllSignals`): Ctrl-C reaches the command, which
 * decides how to end. `--rm` removes the container and its anonymous volumes once it has exited.
 * Detached (`-d`), it prints the container's ID and returns.
 */
import path from "node:path";
import { createOneOff, type OneOffOverrides, PlanError } from "../../engine/index.js";
import { UsageError } from "../../errors.js";
import type { LoadedProject } from "../../project/load.js";
import type { ServicePort, ServiceVolume } from "../../project/model.js";
import { goClean, parseVolumeSpec } from "../../project/paths.js";
import { parsePortSpec } from "../../project/ports.js";
import { shellSplit } from "../../project/shellwords.js";
import type { Runtime } from "../../runtime/runtime.js";
import { joinTerminal, terminalSizeOf } from "../../ui/terminal/join.js";
import type { GlobalOptions } from "../global-options.js";
import { loadFromFlags } from "../load-for-cli.js";
import type { RunFlags } from "../options/flags.js";
import { withRuntime } from "../runtime-for-cli.js";
import { upContext } from "../up-context.js";
import { withProgress } from "../ui-for-cli.js";

/** Signals forwarded to the one-off while berth waits on it. */
const FORWARDED = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"] as const;

export async function runRun(globals: GlobalOptions, operands: string[], flags: RunFlags): Promise<number> {
  const [service, ...command] = operands;
  if (service === undefined)
    throw new UsageError('"run" requires at least 1 argument: SERVICE [COMMAND] [ARGS...]');
  const loaded = await loadFromFlags(globals, { services: [service] });
  if (loaded.project.services[service] === undefined) throw new UsageError(`no such service: ${service}`);
  const detach = flags.detach === true;
  // Compose's `-i` is on by default, detached too: the one-off keeps its stdin open (`OpenStdin`).
  const interactive = true;
  const tty = runTty(flags, detach);
  const overrides = runOverrides(loaded, command, flags, { tty, interactive });

  return withRuntime({ ...globals, project: loaded.project.name }, async (runtime) => {
    const oneOff = await withProgress(globals, "Running", (progress) =>
      createOneOff(
        runtime,
        loaded,
        {
          service,
          overrides,
          name: flags.name,
          useAliases: flags.useAliases === true,
          noDeps: flags.deps === false,
          ...(flags.pull !== undefined ? { pull: flags.pull } : {}),
          quietPull: flags.quietPull === true,
          build: flags.build === true,
          removeOrphans: flags.removeOrphans === true,
          // Compose's run --rm: the engine removes the one-off as it exits, however berth ends.
          autoRemove: flags.rm === true && (detach || runtime.containers.armWait !== undefined),
          consoleSize: tty && !detach ? terminalSizeOf(process.stdout) : undefined,
        },
        progress,
        undefined,
        upContext(globals),
      ),
    );
    if (detach) {
      // Its ID before it starts: an auto-removed one-off that exits at once is gone right after.
      const state = await runtime.containers.inspect(oneOff.name);
      if (state === undefined)
        throw new PlanError(`one-off container ${oneOff.name} vanished after its creation`);
      await runtime.containers.start(state.id);
      process.stdout.write(`${state.id}\n`);
      return 0;
    }
    const removal = flags.rm === true ? { volumes: true } : undefined;
    return attachAndRun(runtime, oneOff.name, { tty: oneOff.tty, stdin: interactive, removal });
  });
}

interface RunIo {
  readonly tty: boolean;
  readonly stdin: boolean;
  /** `--rm`: what must be gone when berth returns (anonymous volumes with it). */
  readonly removal: { readonly volumes: boolean } | undefined;
}

/**
 * Whether the one-off gets a TTY, as Compose's run decides: `-t` asks for one (refused with `-T`,
 * and without a terminal to give it, as docker's CheckTty refuses it); otherwise one when stdin is
 * a terminal, unless `-T` or detached.
 */
function runTty(flags: RunFlags, detach: boolean): boolean {
  const terminal = process.stdin.isTTY === true;
  if (flags.tty === true) {
    if (flags.TTY === false) throw new UsageError("--tty and --no-TTY can't be used together");
    if (!terminal) throw new UsageError("the input device is not a TTY");
    return true;
  }
  return flags.TTY !== false && flags.tty !== false && !detach && terminal;
}

/**
 * Attaches and starts watching for the exit (in parallel), then starts, follows the output to its
 * end and returns the exit code, as Docker's CLI runs a container it attaches to. Attaching
 * first is what keeps the first lines of a command that exits at once; watching first is what
 * lets the engine remove an auto-removed one-off without the exit code being lost.
 */
async function attachAndRun(runtime: Runtime, name: string, io: RunIo): Promise<number> {
  const stop = new AbortController();
  const autoRemoved = io.removal !== undefined && runtime.containers.armWait !== undefined;
  let gone = false;
  const forward = (signal: NodeJS.Signals): void =>
    void runtime.containers.kill(name, signal).catch(() => undefined);
  const listeners = FORWARDED.map((signal) => {
    const listener = (): void => forward(signal);
    process.on(signal, listener);
    return () => process.off(signal, listener);
  });
  try {
    const [session, armed] = await Promise.all([
      runtime.containers.attach(name, { stdin: io.stdin, tty: io.tty }),
      runtime.containers.armWait?.(name, {
        condition: autoRemoved ? "removed" : "next-exit",
        signal: stop.signal,
      }),
    ]);
    // Read from here on, so a failure before it is awaited is not an unhandled rejection.
    const exited = armed?.result;
    exited?.catch(() => undefined);
    await runtime.containers.start(name);
    await joinTerminal(
      session,
      { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
      { tty: io.tty },
    );
    const { exitCode } = await (exited ?? runtime.containers.wait(name, { condition: "not-running" }));
    gone = autoRemoved;
    return exitCode;
  } finally {
    for (const off of listeners) off();
    stop.abort();
    if (io.removal !== undefined && !gone) {
      await runtime.containers
        .remove(name, { force: true, volumes: io.removal.volumes })
        .catch(() => undefined);
    }
  }
}

/** The command line's changes to the service (Compose's `runOptions.apply` and `applyRunOptions`). */
function runOverrides(
  loaded: LoadedProject,
  command: readonly string[],
  flags: RunFlags,
  io: { readonly tty: boolean; readonly interactive: boolean },
): OneOffOverrides {
  const environment = environmentOf(flags.env, loaded.project.environment ?? {});
  return {
    command,
    ...(flags.entrypoint !== undefined ? { entrypoint: entrypointWords(flags.entrypoint) } : {}),
    environment,
    user: flags.user,
    workingDir: flags.workdir,
    volumes: flags.volume.map((spec) => volumeOf(spec, loaded.project.workingDir)),
    publish: flags.publish.flatMap(portsOf),
    servicePorts: flags.servicePorts === true,
    labels: labelsOf(flags.label),
    capAdd: flags.capAdd,
    capDrop: flags.capDrop,
    tty: io.tty,
    interactive: io.interactive,
  };
}

/**
 * `-e KEY=VALUE` as given; `-e KEY` takes KEY's value from the project's environment (the shell's
 * and `.env`'s, as Compose resolves it) and is left out when unset there.
 */
function environmentOf(
  entries: readonly string[],
  lookup: Readonly<Record<string, string>>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of entries) {
    const eq = entry.indexOf("=");
    if (eq === 0) throw new UsageError(`invalid environment variable: ${entry}`);
    const key = eq > 0 ? entry.slice(0, eq) : entry;
    const value = eq > 0 ? entry.slice(eq + 1) : lookup[key];
    if (value !== undefined) env[key] = value;
  }
  return env;
}

/** `--entrypoint "sh -c"`: split into words as Compose does (go-shellwords). */
function entrypointWords(text: string): string[] {
  try {
    return shellSplit(text);
  } catch (error) {
    throw new UsageError(`--entrypoint: ${(error as Error).message}`);
  }
}

/** `-v [source:]target[:options]`; a relative bind source is taken from the project directory. */
function volumeOf(spec: string, workingDir: string): ServiceVolume {
  let parsed: ReturnType<typeof parseVolumeSpec>;
  try {
    parsed = parseVolumeSpec(spec);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const source =
    parsed.type === "bind" && parsed.source !== undefined
      ? path.resolve(workingDir, parsed.source.replace(/^~(?=$|\/)/, process.env["HOME"] ?? "~"))
      : parsed.source;
  return {
    type: parsed.type,
    ...(source !== undefined ? { source } : {}),
    target: goClean(parsed.target),
    ...(parsed.read_only ? { read_only: true } : {}),
    ...(parsed.type === "bind" ? { bind: { ...parsed.bind, create_host_path: true } } : {}),
    ...(parsed.volume ? { volume: { ...parsed.volume } } : {}),
  };
}

/** `-p [[ip:]published:]target[/protocol]`, as the service's short `ports:` syntax. */
function portsOf(spec: string): ServicePort[] {
  try {
    return parsePortSpec(spec).map((p) => ({ ...p }));
  } catch (error) {
    throw new UsageError(`invalid port ${spec}: ${(error as Error).message}`);
  }
}

/** `-l KEY=VALUE`, Compose's message for anything else. */
function labelsOf(entries: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const entry of entries) {
    const eq = entry.indexOf("=");
    if (eq < 0) throw new UsageError("label must be set as KEY=VALUE");
    labels[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return labels;
}
