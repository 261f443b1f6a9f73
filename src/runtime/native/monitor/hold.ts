/**
 * The FIFOs' buffered output lives only while some process holds one of their ends: a run that
 * prints and exits before a drainer has opened its FIFOs (a drainer being spawned takes ~100 ms)
 * would take its output with it. So whoever starts a FIFO-stdio run holds read ends of both FIFOs
 * (reading nothing: the drainer reads) from before `runc start` until a drainer says it has them
 * open (./drain-spec.ts `drainingRun`), bounded; the process is kept alive meanwhile, so a command
 * that started a container exits once its output is safe (when no drainer is running, that is the
 * ~100 ms a new one takes to start; a live one takes a few ms). Only a SIGKILL of the starter
 * inside that window, with the run already over, can lose output.
 */
import { closeSync, constants, existsSync, openSync } from "node:fs";
import { drainedRun, drainingRun } from "./drain-spec.js";
import { stdioFifos } from "./fifos.js";

const HOLD_MS = 5_000;
const POLL_MS = 10;

/** Holds the bundle's FIFOs for run `pid`; the function returned lets them go at once. */
export function holdForDrainer(bundle: string, pid: number, ms = HOLD_MS): () => void {
  const fds: number[] = [];
  for (const fifo of Object.values(stdioFifos(bundle))) {
    try {
      fds.push(openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK));
    } catch {
      // No FIFO: nothing to keep.
    }
  }
  if (fds.length === 0) return () => undefined;
  const deadline = Date.now() + ms;
  const release = (): void => {
    clearInterval(timer);
    for (const fd of fds.splice(0)) closeSync(fd);
  };
  const timer = setInterval(() => {
    const taken = drainingRun(bundle) === pid || drainedRun(bundle) === pid;
    if (taken || Date.now() >= deadline || !existsSync(bundle)) release();
  }, POLL_MS);
  return release;
}
