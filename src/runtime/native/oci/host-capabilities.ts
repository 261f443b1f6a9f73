/**
 * The host's capability bounding set (`CapBnd` of /proc/self/status): what a privileged container
 * or exec can be given here (./capabilities.ts says why it must stay inside it).
 */
import { readFileSync } from "node:fs";
import { ALL_CAPABILITIES, capabilitiesIn } from "./capabilities.js";

export function hostCapabilities(): string[] {
  try {
    const status = readFileSync("/proc/self/status", "utf8");
    const bounding = /^CapBnd:\s*([0-9a-f]+)$/m.exec(status)?.[1];
    return bounding === undefined ? [...ALL_CAPABILITIES] : capabilitiesIn(bounding);
  } catch {
    return [...ALL_CAPABILITIES];
  }
}
