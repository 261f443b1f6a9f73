/**
 * `berth attach SERVICE`: this terminal on a service container's main process, as `docker compose
 * attach` (Docker's attach) gives it. Output comes back; stdin goes in when the container keeps it
 * open (unless `--no-stdin`); on a TTY the detach keys leave the process running; without a TTY,
 * signals berth gets are passed on to the process (`--sig-proxy`). Exits with the process's exit
 * code once its output ends, or 0 on detach.
 */
import { BerthError, UsageError } from "../../errors.js";
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from "../../ui/terminal/detach-keys.js";
import { joinTerminal } from "../../ui/terminal/join.js";
import type { Runtime } from "../../runtime/runtime.js";
import { serviceContainer } from "../../engine/service-containers.js";
import { parsePositive } from "../flags.js";
import type { GlobalOptions } from "../global-options.js";
import { loadOrName } from "../load-for-cli.js";
import type { AttachFlags } from "../options/flags.js";
import { withRuntime } from "../runtime-for-cli.js";

/** What Docker's ForwardAllSignals passes on, less those Node cannot catch or that make no sense to pass. */
const PROXIED_SIGNALS: readonly NodeJS.Signals[] = [
  "SIGINT",
  "SIGTERM",
  "SIGHUP",
  "SIGQUIT",
  "SIGUSR1",
  "SIGUSR2",
];

export async function runAttach(
  globals: GlobalOptions,
  operands: string[],
  flags: AttachFlags,
): Promise<number> {
  const [service, ...extra] = operands;
  if (service === undefined || extra.length > 0)
    throw new UsageError('"attach" requires exactly 1 argument: SERVICE');
  const index = parsePositive(flags.index, "--index");
  const detachKeys = parseDetachKeys(flags.detachKeys ?? DEFAULT_DETACH_KEYS);
  const sigProxy = parseBool(flags.sigProxy ?? "true", "--sig-proxy");
  const project = await loadOrName(globals, [service]);

  return withRuntime({ ...globals, project: project.name }, async (runtime) => {
    const { id } = await serviceContainer(runtime, project.name, service, { index, oneOff: "include" });
    const state = await runtime.containers.inspect(id);
    // Docker's checks, in its order and words.
    if (state === undefined || (!state.running && state.status !== "paused")) {
      throw new BerthError("You cannot attach to a stopped container, start it first");
    }
    if (state.status === "paused")
      throw new BerthError("You cannot attach to a paused container, unpause it first");
    if (state.status === "restarting") {
      throw new BerthError("You cannot attach to a restarting container, wait until it is running");
    }
    const stdin = flags.stdin !== false && state.stdinOpen === true;
    const session = await runtime.containers.attach(id, { stdin });
    const unproxy = sigProxy && !state.tty ? proxySignals(runtime, id) : () => undefined;
    try {
      const end = await joinTerminal(
        session,
        { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
        { tty: state.tty, detachKeys, halfClose: false },
      );
      if (end === "detached") return 0;
      return (await runtime.containers.wait(id)).exitCode;
    } finally {
      unproxy();
    }
  });
}

/** A Go-style boolean flag value (`--sig-proxy=false`). */
function parseBool(text: string, flag: string): boolean {
  if (/^(1|t|true)$/i.test(text)) return true;
  if (/^(0|f|false)$/i.test(text)) return false;
  throw new UsageError(`invalid argument "${text}" for "${flag}" flag: expected true or false`);
}

/** Passes the signals berth receives on to the container; returns the undo. */
function proxySignals(runtime: Runtime, id: string): () => void {
  const handlers = PROXIED_SIGNALS.map((signal) => {
    const handler = (): void => void runtime.containers.kill(id, signal).catch(() => undefined);
    process.on(signal, handler);
    return () => process.off(signal, handler);
  });
  return () => {
    for (const off of handlers) off();
  };
}
