/**
 * The capabilities a privileged exec can get: every one Docker knows (oci's ALL_CAPABILITIES,
 * in kernel order, so a name's index is its number) that this host's own bounding set holds. A
 * process cannot gain one outside the bounding set (runc fails with "unable to apply caps:
 * operation not permitted"), and hosts that are themselves sandboxed lack some (this CI VM lacks
 * CAP_SYS_RESOURCE).
 */
import { readFileSync } from "node:fs";
import { ALL_CAPABILITIES } from "../oci/capabilities.js";

/** The names in `names` (kernel order from 0) whose bit is set in the hex mask `bounding`. */
export function capabilitiesIn(bounding: string, names: readonly string[] = ALL_CAPABILITIES): string[] {
  const mask = BigInt(`0x${bounding}`);
  return names.filter((_name, bit) => ((mask >> BigInt(bit)) & 1n) === 1n);
}

/** What a privileged exec gets on this host. */
export function privilegedCapabilities(): string[] {
  try {
    const status = readFileSync("/proc/self/status", "utf8");
    const bounding = /^CapBnd:\s*([0-9a-f]+)$/m.exec(status)?.[1];
    return bounding === undefined ? [...ALL_CAPABILITIES] : capabilitiesIn(bounding);
  } catch {
    return [...ALL_CAPABILITIES];
  }
}
