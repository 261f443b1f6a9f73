/**
 * A container started under conmon in `passthrough` mode with FIFO stdio (docs/native-monitor.md):
 * conmon stays the init's subreaper and writes the exit code (and the OOM file) as today, but holds
 * none of the container's output. Its stdout/stderr are FIFOs the container holds read-write
 * (./fifos.ts), drained into the k8s-file log by the log drainer (./log-drainer.ts), which can be
 * SIGKILLed and started again without losing the container or its output.
 *
 * conmon itself is spawned by ../containers/monitor.ts (its `fifos` option); this module prepares
 * the FIFOs and the container's ends before, and writes the drain spec the drainer reads after.
 * For containers without `tty` and `stdin_open`; those keep conmon's pipes.
 */
import { rmSync } from "node:fs";
import { type MonitorOptions, runcLogFile, startMonitor } from "../containers/monitor.js";
import { clearDrain, prepareMarkers, writeDrainSpec } from "./drain-spec.js";
import { makeStdioFifos, openContainerEnds, removeStdioFifos, type StdioFifos } from "./fifos.js";

export interface FifoMonitorOptions extends Omit<
  MonitorOptions,
  "tty" | "stdin" | "leaveStdinOpen" | "socketDir" | "logSizeMax" | "fifos"
> {
  /** `max-size` (bytes) and `max-file` of the service's logging options, applied by the drainer. */
  readonly logMaxSize?: number | undefined;
  readonly logMaxFiles?: number | undefined;
  /** The FIFOs made beforehand (`makeStdioFifos`, which a caller may run beside other work). */
  readonly made?: Promise<StdioFifos> | undefined;
}

/**
 * Creates the container (`runc create` under conmon); resolves with its PID once it is `created`,
 * with the drain spec written so the log drainer picks its FIFOs up. The caller makes sure a drainer
 * runs (`ensureLogDrainer`), holds the FIFOs until it has them (./hold.ts) and runs `runc start`.
 */
export async function startFifoMonitor(options: FifoMonitorOptions): Promise<{ pid: number }> {
  clearDrain(options.bundle);
  prepareMarkers(options.bundle);
  rmSync(runcLogFile(options.bundle), { force: true });
  const fifos = await (options.made ?? makeStdioFifos(options.bundle));
  const ends = openContainerEnds(fifos);
  try {
    const { pid } = await startMonitor({
      ...options,
      tty: false,
      stdin: false,
      leaveStdinOpen: false,
      socketDir: "",
      fifos: { stdout: ends.stdout, stderr: ends.stderr },
    });
    writeDrainSpec(options.bundle, {
      logPath: options.logPath,
      pid,
      maxSize: options.logMaxSize,
      maxFiles: options.logMaxFiles,
    });
    return { pid };
  } catch (error) {
    // Nothing ran: the FIFOs go with whatever runc said into them.
    removeStdioFifos(options.bundle);
    throw error;
  } finally {
    ends.close();
  }
}
