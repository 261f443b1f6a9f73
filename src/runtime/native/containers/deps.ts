/**
 * What the container lifecycle needs from the other parts of the native runtime (images, oci),
 * passed in rather than imported, so the lifecycle is written and tested against these seams alone:
 * native-runtime.ts wires the real image store, overlay mount and config.json generator; tests may
 * give a directory rootfs and a config of their own.
 */
import type { RootfsMount } from "../images/rootfs.js";
import type { NetworkLayer } from "../network/index.js";
import type { OciImageRunConfig, OciSpecInput as OciInput } from "../oci/spec.js";
import type { ResolvedUser } from "../oci/user.js";
import type { ContainerVolumes } from "./volume-mounts.js";

/**
 * The part of an image's config (OCI `config` object, Docker's names) a container is made from:
 * what config.json reads of it (oci's OciImageRunConfig), plus what the lifecycle reads itself.
 */
export interface ImageRunConfig extends OciImageRunConfig {
  readonly Labels?: Readonly<Record<string, string>> | null | undefined;
  readonly Healthcheck?: unknown;
  readonly ExposedPorts?: Readonly<Record<string, unknown>> | null | undefined;
  readonly Volumes?: Readonly<Record<string, unknown>> | null | undefined;
}

export interface ResolvedImage {
  /** `sha256:<hex>` of the image config. */
  readonly id: string;
  /** The image's run config (the `config` object of the OCI image config). */
  readonly config: ImageRunConfig;
  /** Unpacked layers, bottom → top. */
  readonly layerDirs: readonly string[];
}

export type { ResolvedUser };

/**
 * What the lifecycle gives the config.json generator (the oci part's `ociSpec` input); the deps add
 * what they read of the host (cgroups, devices, capabilities).
 */
export type OciSpecInput = Pick<
  OciInput,
  "spec" | "rootfs" | "user" | "hostname" | "netnsPath" | "initPath" | "cgroupsPath" | "volumeSources"
> & {
  readonly image: ImageRunConfig;
  readonly hostsPath: string;
  readonly resolvPath: string;
  readonly hostnamePath: string;
};

/** A bundle's config.json and the warnings Docker gives creating the container on this host. */
export interface GeneratedSpec {
  readonly config: unknown;
  readonly warnings: readonly string[];
}

/** What the image store mounts a container's rootfs from (images/rootfs.ts). */
export type MountRootfsOptions = RootfsMount;

export interface ContainerDeps {
  /** Rejects with NotFoundError when no image answers to `reference`. */
  resolveImage(reference: string): Promise<ResolvedImage>;
  mountRootfs(options: MountRootfsOptions): Promise<void>;
  unmountRootfs(target: string): Promise<void>;
  /** config.json, with what it needs of the host (cgroup version, swap accounting, devices, capabilities) read. */
  ociSpec(input: OciSpecInput): Promise<GeneratedSpec>;
  /**
   * `user` as the service gives it (`name`, `uid`, `name:group`…) and `group_add`, resolved in the
   * rootfs.
   */
  resolveUser(
    user: string | undefined,
    rootfsDir: string,
    groupAdd?: readonly string[],
  ): Promise<ResolvedUser>;
  /** An init (catatonit, tini) to bind-mount for `init: true`; undefined when none is installed. */
  readonly initPath?: string | undefined;
  /**
   * The network layer (../network): each container's namespace, veths, addresses and published
   * ports, made at create and undone at remove. Absent: only `none` and `host` can be given.
   */
  readonly networks?: NetworkLayer | undefined;
  /**
   * Volumes (./volume-mounts.ts): made, referenced and filled at create, released at remove. Absent:
   * a `type: volume` mount cannot be given.
   */
  readonly volumes?: ContainerVolumes | undefined;
}
