/**
 * Capabilities as Docker 20.10 computes them (moby v20.10.24 `oci/caps`): its default set, `cap_add`
 * and `cap_drop` with or without the `CAP_` prefix in any case, `ALL` on either side, and every
 * capability for a privileged container — every one the host's own bounding set holds, when the
 * caller gives it: no process can gain one outside it (runc fails with "unable to apply caps:
 * operation not permitted"), and hosts that are themselves sandboxed lack some (this CI VM lacks
 * CAP_SYS_RESOURCE).
 */
import { InvalidRequestError } from "../../errors.js";

/** Docker's default set, in Docker's order (`oci/caps/defaults.go`). */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FSETID",
  "CAP_FOWNER",
  "CAP_MKNOD",
  "CAP_NET_RAW",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETFCAP",
  "CAP_SETPCAP",
  "CAP_NET_BIND_SERVICE",
  "CAP_SYS_CHROOT",
  "CAP_KILL",
  "CAP_AUDIT_WRITE",
];

/**
 * Every capability Docker 20.10 knows, in kernel order. It stops at CAP_AUDIT_READ on purpose, as
 * 20.10 does: PERFMON, BPF and CHECKPOINT_RESTORE are "unknown capability" to it.
 */
export const ALL_CAPABILITIES: readonly string[] = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_DAC_READ_SEARCH",
  "CAP_FOWNER",
  "CAP_FSETID",
  "CAP_KILL",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETPCAP",
  "CAP_LINUX_IMMUTABLE",
  "CAP_NET_BIND_SERVICE",
  "CAP_NET_BROADCAST",
  "CAP_NET_ADMIN",
  "CAP_NET_RAW",
  "CAP_IPC_LOCK",
  "CAP_IPC_OWNER",
  "CAP_SYS_MODULE",
  "CAP_SYS_RAWIO",
  "CAP_SYS_CHROOT",
  "CAP_SYS_PTRACE",
  "CAP_SYS_PACCT",
  "CAP_SYS_ADMIN",
  "CAP_SYS_BOOT",
  "CAP_SYS_NICE",
  "CAP_SYS_RESOURCE",
  "CAP_SYS_TIME",
  "CAP_SYS_TTY_CONFIG",
  "CAP_MKNOD",
  "CAP_LEASE",
  "CAP_AUDIT_WRITE",
  "CAP_AUDIT_CONTROL",
  "CAP_SETFCAP",
  "CAP_MAC_OVERRIDE",
  "CAP_MAC_ADMIN",
  "CAP_SYSLOG",
  "CAP_WAKE_ALARM",
  "CAP_BLOCK_SUSPEND",
  "CAP_AUDIT_READ",
];

const ALL = "ALL";

/** Upper-cased, `CAP_`-prefixed names; `ALL` kept as it is; an unknown name is refused. */
export function normalizeCapabilities(names: readonly string[]): string[] {
  return names.map((name) => {
    const upper = name.toUpperCase();
    if (upper === ALL) return ALL;
    const cap = upper.startsWith("CAP_") ? upper : `CAP_${upper}`;
    if (!ALL_CAPABILITIES.includes(cap)) throw new InvalidRequestError(`unknown capability: "${cap}"`);
    return cap;
  });
}

/** The names in `names` (kernel order from 0) whose bit is set in the hex mask `bounding`. */
export function capabilitiesIn(bounding: string, names: readonly string[] = ALL_CAPABILITIES): string[] {
  const mask = BigInt(`0x${bounding}`);
  return names.filter((_name, bit) => ((mask >> BigInt(bit)) & 1n) === 1n);
}

/**
 * The container's capability set (moby `caps.TweakCapabilities`): add ALL keeps every capability
 * not dropped; drop ALL keeps only what is added; otherwise the defaults minus the drops, then the
 * adds (a cap added that is already a default appears twice, as Docker writes it). "Every
 * capability" (privileged, add ALL) is every one in `bounding`, when given.
 */
export function containerCapabilities(
  capAdd: readonly string[] = [],
  capDrop: readonly string[] = [],
  privileged = false,
  bounding: readonly string[] = ALL_CAPABILITIES,
): string[] {
  const all = ALL_CAPABILITIES.filter((c) => bounding.includes(c));
  if (privileged) return all;
  if (capAdd.length === 0 && capDrop.length === 0) return [...DEFAULT_CAPABILITIES];
  const drops = normalizeCapabilities(capDrop);
  const adds = normalizeCapabilities(capAdd);
  if (adds.includes(ALL)) return all.filter((c) => !drops.includes(c));
  if (drops.includes(ALL)) return adds;
  return [...DEFAULT_CAPABILITIES.filter((c) => !drops.includes(c)), ...adds];
}
