/**
 * The image config (`ispec:config.md`, with Docker's extensions from `moby@20.10:image/spec/v1.2.md`),
 * and what berth reads from it. Field names are the wire's, since the config's bytes are hashed
 * into the image ID and must round-trip through push, save and load unchanged.
 */
import { InvalidRequestError } from "../../errors.js";
import type { ImageInfo, Labels } from "../../runtime.js";

/** Docker's healthcheck extension; durations in nanoseconds. */
export interface OciHealthcheck {
  readonly Test?: readonly string[] | undefined;
  readonly Interval?: number | undefined;
  readonly Timeout?: number | undefined;
  readonly StartPeriod?: number | undefined;
  readonly StartInterval?: number | undefined;
  readonly Retries?: number | undefined;
}

export interface OciContainerConfig {
  readonly User?: string | undefined;
  readonly ExposedPorts?: Readonly<Record<string, object>> | undefined;
  readonly Env?: readonly string[] | undefined;
  readonly Entrypoint?: readonly string[] | null | undefined;
  readonly Cmd?: readonly string[] | null | undefined;
  readonly Volumes?: Readonly<Record<string, object>> | undefined;
  readonly WorkingDir?: string | undefined;
  readonly Labels?: Labels | null | undefined;
  readonly StopSignal?: string | undefined;
  readonly Healthcheck?: OciHealthcheck | undefined;
  readonly OnBuild?: readonly string[] | null | undefined;
  readonly Shell?: readonly string[] | undefined;
}

export interface OciHistory {
  readonly created?: string | undefined;
  readonly created_by?: string | undefined;
  readonly comment?: string | undefined;
  readonly empty_layer?: boolean | undefined;
}

export interface OciImageConfig {
  readonly created?: string | undefined;
  readonly author?: string | undefined;
  readonly architecture: string;
  readonly os: string;
  readonly variant?: string | undefined;
  readonly config?: OciContainerConfig | undefined;
  readonly rootfs: { readonly type: string; readonly diff_ids: readonly string[] };
  readonly history?: readonly OciHistory[] | undefined;
}

/** GOARCH names for Node's `process.arch` (the platform of an image made or pulled here). */
export function goArch(arch: string = process.arch): string {
  const names: Record<string, string> = {
    x64: "amd64",
    ia32: "386",
    arm64: "arm64",
    arm: "arm",
    ppc64: "ppc64le",
    s390x: "s390x",
  };
  return names[arch] ?? arch;
}

/** The config parsed from its bytes, checked for the fields the store relies on. */
export function parseImageConfig(bytes: Uint8Array | string): OciImageConfig {
  let value: unknown;
  try {
    value = JSON.parse(typeof bytes === "string" ? bytes : Buffer.from(bytes).toString("utf8"));
  } catch {
    throw new InvalidRequestError("the image config is not JSON");
  }
  if (typeof value !== "object" || value === null)
    throw new InvalidRequestError("the image config is not a JSON object");
  const config = value as Partial<OciImageConfig>;
  const diffIds = config.rootfs?.diff_ids;
  if (!Array.isArray(diffIds) || diffIds.some((id) => typeof id !== "string")) {
    throw new InvalidRequestError("the image config has no rootfs.diff_ids");
  }
  return { ...config, architecture: config.architecture ?? "", os: config.os ?? "" } as OciImageConfig;
}

/** `os/arch[/variant]`. */
export function platformOf(config: OciImageConfig): string {
  return [config.os, config.architecture, config.variant].filter((part) => part).join("/");
}

export interface ImageFacts {
  readonly id: string;
  readonly repoTags: readonly string[];
  readonly repoDigests: readonly string[];
  readonly size: number;
  readonly lastTagTime?: Date | undefined;
}

/** berth's ImageInfo from the config and what the store knows of the image. */
export function imageInfo(facts: ImageFacts, config: OciImageConfig): ImageInfo {
  const c = config.config ?? {};
  return {
    id: facts.id,
    repoTags: facts.repoTags,
    repoDigests: facts.repoDigests,
    created: new Date(config.created ?? 0),
    lastTagTime: facts.lastTagTime,
    size: facts.size,
    labels: c.Labels ?? {},
    platform: platformOf(config) || undefined,
    config: {
      env: c.Env ?? [],
      cmd: c.Cmd ?? undefined,
      entrypoint: c.Entrypoint ?? undefined,
      workingDir: c.WorkingDir || undefined,
      user: c.User || undefined,
      exposedPorts: Object.keys(c.ExposedPorts ?? {}),
      volumes: Object.keys(c.Volumes ?? {}),
      stopSignal: c.StopSignal || undefined,
    },
  };
}
