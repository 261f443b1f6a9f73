/**
 * Builders for engine unit tests: a project loaded by the real loader from inline YAML, and
 * observed containers stamped exactly as `up` would stamp them (labels from containerSpecFor).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { containerSpecFor } from "../../../src/engine/container-spec.js";
import { CONFIG_HASH_LABEL, ONEOFF_LABEL, ONEOFF_TRUE } from "../../../src/engine/labels.js";
import { observedState, type ObservedState } from "../../../src/engine/observe.js";
import { loadProject, type LoadedProject } from "../../../src/project/load.js";
import type {
  ContainerStatus,
  ContainerSummary,
  NetworkInfo,
  VolumeInfo,
} from "../../../src/runtime/runtime.js";

export const CONFIG_FILE = "/srv/demo/compose.yaml";

/** Loads `yaml` as project `demo` (the files' label is CONFIG_FILE, whatever the temp dir). */
export async function load(yaml: string): Promise<LoadedProject> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "berth-engine-"));
  try {
    writeFileSync(path.join(dir, "compose.yaml"), yaml);
    const loaded = await loadProject({ cwd: dir, env: {}, projectName: "demo" });
    return { ...loaded, project: { ...loaded.project, workingDir: "/srv/demo" } };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface FakeContainer {
  readonly service: string;
  readonly number: number;
  readonly status?: ContainerStatus;
  /** Default: `<service><number>` padded into a 64-hex-like id. */
  readonly id?: string;
  readonly name?: string;
  /** Override the config hash (a container made from an older config). */
  readonly hash?: string;
  readonly imageId?: string;
  readonly oneOff?: boolean;
  readonly created?: number;
}

export function fakeId(seed: string): string {
  const hex = Buffer.from(seed).toString("hex");
  return (hex + "0".repeat(64)).slice(0, 64);
}

/** A container of `loaded` as `up` would have made it (or as told otherwise). */
export function container(loaded: LoadedProject, fake: FakeContainer): ContainerSummary {
  const made = containerSpecFor(loaded.project, fake.service, fake.number, {
    configFiles: [CONFIG_FILE],
    ...(fake.imageId !== undefined ? { imageId: fake.imageId } : {}),
  });
  const labels: Record<string, string> = { ...made.spec.labels };
  if (fake.hash !== undefined) labels[CONFIG_HASH_LABEL] = fake.hash;
  if (fake.oneOff) labels[ONEOFF_LABEL] = ONEOFF_TRUE;
  return {
    id: fake.id ?? fakeId(`${fake.service}${fake.number}`),
    name: fake.name ?? made.spec.name,
    image: made.spec.image,
    imageId: fake.imageId ?? "",
    labels,
    status: fake.status ?? "running",
    statusText: "",
    created: new Date(fake.created ?? 1_700_000_000_000),
    ports: [],
  };
}

/** A container of a service the project no longer has. */
export function foreign(
  service: string,
  number: number,
  status: ContainerStatus = "running",
): ContainerSummary {
  return {
    id: fakeId(`${service}${number}`),
    name: `demo-${service}-${number}`,
    image: "busybox",
    imageId: "",
    labels: {
      "com.docker.compose.project": "demo",
      "com.docker.compose.service": service,
      "com.docker.compose.container-number": String(number),
      "com.docker.compose.oneoff": "False",
      [CONFIG_HASH_LABEL]: "0".repeat(64),
    },
    status,
    statusText: "",
    created: new Date(1_700_000_000_000),
    ports: [],
  };
}

export function network(name: string, labels: Record<string, string> = projectLabels()): NetworkInfo {
  return {
    id: fakeId(name),
    name,
    driver: "bridge",
    internal: false,
    attachable: false,
    enableIPv6: false,
    labels,
    ipam: { driver: "default", pools: [] },
    containers: {},
    created: new Date(1_700_000_000_000),
  };
}

export function volume(name: string, labels: Record<string, string> = projectLabels()): VolumeInfo {
  return {
    name,
    driver: "local",
    mountpoint: `/var/lib/docker/volumes/${name}/_data`,
    labels,
    options: {},
    created: undefined,
  };
}

function projectLabels(): Record<string, string> {
  return { "com.docker.compose.project": "demo" };
}

/** Every image of the project present (so plans have no pulls unless a test says so). */
export function allImages(loaded: LoadedProject, id = "sha256:1"): Record<string, string> {
  const images: Record<string, string> = {};
  for (const [name, service] of Object.entries(loaded.project.services)) {
    images[service.image ?? `demo-${name}`] = id;
  }
  return images;
}

export function state(
  loaded: LoadedProject,
  parts: {
    containers?: ContainerSummary[];
    networks?: NetworkInfo[];
    volumes?: VolumeInfo[];
    images?: Record<string, string | undefined>;
  } = {},
): ObservedState {
  return observedState("demo", {
    containers: parts.containers ?? [],
    networks: parts.networks ?? [],
    volumes: parts.volumes ?? [],
    images: parts.images ?? allImages(loaded),
  });
}
