/**
 * What the container lifecycle is given of the other native parts (./containers/deps.ts): images
 * resolved and mounted by the image store, config.json from the oci part's pure generator fed with
 * what the host has (its cgroups, device nodes, capability bounding set), users looked up in the
 * rootfs, and the host's init for `init: true`.
 */
import { existsSync } from "node:fs";
import type { ContainerDeps } from "./containers/deps.js";
import { mountRootfs, unmountRootfs, type ImageStore } from "./images/index.js";
import {
  blkioDevicePaths,
  blockDeviceNumbers,
  cgroupHost,
  type CgroupHost,
  hostCapabilities,
  hostDevices,
  ociSpec,
  readSeccompProfile,
  resolveDevices,
  resolveUser,
  type OciSpecInput,
  specWarnings,
} from "./oci/index.js";

/** Debian's inits, in order of preference (bind-mounted as Docker mounts docker-init). */
const INITS = ["/usr/bin/catatonit", "/usr/bin/tini-static", "/usr/bin/tini"];

/** `host` is this host's cgroups unless a test stands in another. */
export function nativeContainerDeps(
  store: Pick<ImageStore, "resolve">,
  host: CgroupHost = cgroupHost(),
): ContainerDeps {
  return {
    resolveImage: async (reference) => {
      const image = await store.resolve(reference);
      return { id: image.id, config: image.config.config ?? {}, layerDirs: image.layerDirs };
    },
    mountRootfs,
    unmountRootfs,
    ociSpec: async (input) => {
      const { spec } = input;
      // Docker gives a privileged container every host device besides those it asks for.
      const devices = [
        ...(spec.privileged === true ? await hostDevices() : []),
        ...(await resolveDevices(spec.devices ?? [])),
      ];
      const full: OciSpecInput = {
        spec,
        image: input.image,
        rootfs: input.rootfs,
        user: input.user,
        hostname: input.hostname,
        hostsPath: input.hostsPath,
        resolvPath: input.resolvPath,
        hostnamePath: input.hostnamePath,
        netnsPath: input.netnsPath,
        initPath: input.initPath,
        volumeSources: input.volumeSources,
        cgroupsPath: input.cgroupsPath,
        cgroupVersion: host.cgroupVersion,
        memswAvailable: host.memswAvailable,
        cgroupFeatures: host.features,
        blockDevices: await blockDeviceNumbers(blkioDevicePaths(spec.resources ?? {})),
        devices,
        boundingCapabilities: hostCapabilities(),
        seccompProfile: await readSeccompProfile(spec.securityOpt),
      };
      return { config: ociSpec(full), warnings: specWarnings(full) };
    },
    resolveUser: (user, rootfs, groupAdd) => resolveUser(user, rootfs, groupAdd),
    initPath: INITS.find((path) => existsSync(path)),
  };
}
