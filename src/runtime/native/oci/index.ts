/**
 * The OCI part of the native runtime: a container's `config.json` from its ContainerSpec (pure), and
 * the lookups that feed it from the rootfs and the host (user ids, device nodes), plus signal parsing.
 */
export {
  ALL_CAPABILITIES,
  DEFAULT_CAPABILITIES,
  capabilitiesIn,
  containerCapabilities,
} from "./capabilities.js";
export { hostCapabilities } from "./host-capabilities.js";
export { cgroupHost, cgroupsPathFor, type CgroupHost } from "./cgroups.js";
export { blockDeviceNumbers, hostDevices, resolveDevices, type ResolvedDevice } from "./devices.js";
export { blkioDevicePaths } from "./resources.js";
export { DEFAULT_SHM_SIZE, INIT_PATH_IN_CONTAINER } from "./mounts.js";
export { applySeccompProfile, containerSeccomp, parseSeccompProfile, seccompChoice } from "./seccomp.js";
export { readSeccompProfile } from "./seccomp-file.js";
export { parseSignal, signalName, stopSignal } from "./signals.js";
export {
  DEFAULT_PATH,
  imageInput,
  ociSpec,
  ociSpecText,
  processArgs,
  processEnv,
  specWarnings,
  type OciImageInput,
  type OciImageRunConfig,
  type OciSpecInput,
} from "./spec.js";
export type { OciRuntimeSpec } from "./types.js";
export { effectiveUser, lookupUser, resolveUser, type ResolvedUser } from "./user.js";
