/** The native image store: what the native runtime's other parts use of it. */
export {
  openImageStore,
  type ImageStore,
  type ImageStoreOptions,
  type ResolvedImage,
} from "./image-store.js";
export type { LoadOptions, LoadResult } from "./load.js";
export type { OciImageConfig, OciContainerConfig, OciHealthcheck } from "./config.js";
export { mountRootfs, unmountRootfs, isMounted, type RootfsMount } from "./rootfs.js";
