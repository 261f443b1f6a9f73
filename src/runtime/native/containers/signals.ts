/**
 * Signal names as users give them (`SIGTERM`, `TERM`, `term`, `15`) → what runc takes and what
 * events report (`SIGTERM`; a number unknown to the host stays a number).
 */
import { constants } from "node:os";
import { InvalidRequestError } from "../../errors.js";

const BY_NUMBER = new Map<number, string>(
  Object.entries(constants.signals).map(([name, number]) => [number, name] as [number, string]),
);

/** `SIGUSR1` for `usr1`, `SIGUSR1`, `10`; rejects a name the host does not know. */
export function normalizeSignal(signal: string): string {
  const text = signal.trim();
  if (/^\d+$/.test(text)) {
    const number = Number(text);
    if (number <= 0 || number > 64) throw new InvalidRequestError(`invalid signal: ${signal}`);
    return BY_NUMBER.get(number) ?? String(number);
  }
  const name = text.toUpperCase().startsWith("SIG") ? text.toUpperCase() : `SIG${text.toUpperCase()}`;
  if (/^SIGRTM(IN|AX)([+-]\d+)?$/.test(name) || name in constants.signals) return name;
  throw new InvalidRequestError(`invalid signal: ${signal}`);
}
