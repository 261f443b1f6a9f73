/**
 * Signals as runc takes them and events report them (`SIGUSR1`; a number no signal is named for
 * stays a number), from what users write (`usr1`, `SIGUSR1`, `10`), parsed as Docker parses them
 * (the oci part's parser).
 */
import { parseSignal, signalName, stopSignal } from "../oci/signals.js";

/** `SIGUSR1` for `usr1`, `SIGUSR1`, `10`; rejects (InvalidRequest) what names no signal. */
export function normalizeSignal(signal: string): string {
  const number = parseSignal(signal.trim());
  return signalName(number) ?? String(number);
}

/** The first signal `stop` sends: the call's, the service's, the image's, else SIGTERM. */
export function stopSignalName(
  given: string | undefined,
  service: string | undefined,
  image: string | undefined,
): string {
  if (given !== undefined && given !== "") return normalizeSignal(given);
  const number = stopSignal(service, image);
  return signalName(number) ?? String(number);
}
