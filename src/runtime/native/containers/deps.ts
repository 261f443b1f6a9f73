/**
 * What the container lifecycle needs from the other parts of the native runtime (images, oci),
 * passed in rather than imported, so the lifecycle is written and tested against these seams alone:
 * native-runtime.ts wires the real image store, overlay mount and config.json generator; tests may
 * give a directory rootfs and a config of their own.
 */
import type { ContainerSpec } from "../../runtime.js";

/** The part of an image's config (OCI `config` object, Docker's names) a container is made from. */
export interface ImageRunConfig {
  readonly Env?: readonly string[] | null | undefined;
  readonly Entrypoint?: readonly string[] | null | undefined;
  readonly Cmd?: readonly string[] | null | undefined;
  readonly WorkingDir?: string | undefined;
  readonly User?: string | undefined;
  readonly StopSignal?: string | undefined;
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

export interface ResolvedUser {
  readonly uid: number;
  readonly gid: number;
  readonly additionalGids: readonly number[];
}

/** The input of the pure config.json generator (the oci part's `ociSpec`). */
export interface OciSpecInput {
  readonly spec: ContainerSpec;
  readonly image: ImageRunConfig;
  readonly rootfs: string;
  readonly user: ResolvedUser;
  readonly hostsPath: string;
  readonly resolvPath: string;
  readonly hostnamePath: string;
  /** The hostname the container gets (the spec's, or the short id). */
  readonly hostname: string;
  readonly netnsPath?: string | undefined;
  readonly initPath?: string | undefined;
  /** runc's cgroupsPath: `cgroupsPathFor(id, spec.cgroupParent)` (./cgroups.ts). */
  readonly cgroupsPath: string;
}

/** A bundle's config.json and the warnings Docker gives creating the container on this host. */
export interface GeneratedSpec {
  readonly config: unknown;
  readonly warnings: readonly string[];
}

export interface MountRootfsOptions {
  readonly layerDirs: readonly string[];
  readonly upper: string;
  readonly work: string;
  readonly target: string;
  readonly readOnly?: boolean | undefined;
}

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
}
