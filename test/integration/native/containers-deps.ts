/**
 * The parts the native container tests give the lifecycle: the native image store, its overlay
 * mount and the oci part's config.json, as the native Runtime wires them. Kept apart from the
 * harness so a child process (containers-child.ts) can be bundled with it alone.
 */
import { nativeContainerDeps } from "../../../src/runtime/native/container-deps.js";
import type { ContainerDeps } from "../../../src/runtime/native/containers/deps.js";
import { openImageStore } from "../../../src/runtime/native/images/image-store.js";
import type { NativePaths } from "../../../src/runtime/native/paths.js";

export function testDeps(paths: NativePaths): ContainerDeps {
  return nativeContainerDeps(openImageStore(paths));
}
