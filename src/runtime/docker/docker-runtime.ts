/**
 * The Docker backend of the Runtime interface: berth's own Engine API client (no SDK, no
 * `docker` binary) over DOCKER_HOST or the default socket. Creating one connects to nothing;
 * the first call finds the engine and negotiates the API version.
 */
import type { EventFilter, Runtime, RuntimeEvent, RuntimeInfo } from "../runtime.js";
import { DockerContainers } from "./containers.js";
import { EngineApi, filtersParam } from "./engine-api.js";
import { DockerImages } from "./images.js";
import { DockerNetworks } from "./networks.js";
import { RegistryAuthStore } from "./registry-auth.js";
import { endOnAbort } from "./sessions.js";
import { events as eventStream } from "./streams.js";
import type { Env } from "./endpoint.js";
import { DockerVolumes } from "./volumes.js";
import type { WireVersion } from "./wire.js";

export interface DockerRuntimeOptions {
  /** `unix:///path` or `tcp://host:port`; default DOCKER_HOST, then `/var/run/docker.sock`. */
  readonly host?: string;
  /** Where DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH, DOCKER_API_VERSION, DOCKER_CONFIG and HOME are read; default `process.env`. */
  readonly env?: Env;
}

export function createDockerRuntime(options: DockerRuntimeOptions = {}): Runtime {
  const env: Env = options.env ?? process.env;
  const api = new EngineApi(env, options.host);
  const auth = new RegistryAuthStore(env);

  return {
    kind: "docker",
    images: new DockerImages(api, auth),
    networks: new DockerNetworks(api),
    volumes: new DockerVolumes(api),
    containers: new DockerContainers(api),

    async ping(signal?: AbortSignal): Promise<RuntimeInfo> {
      const apiVersion = await api.version(signal);
      const { headers } = await api.ping(signal);
      const version = await api.jsonRequired<WireVersion>("GET", "/version", { signal });
      const podmanComponent = version.Components?.find((c) => c.Name === "Podman Engine");
      const podman = headers["libpod-api-version"] !== undefined || podmanComponent !== undefined;
      return {
        kind: "docker",
        name: podman ? "Podman Engine" : "Docker Engine",
        version: (podman ? podmanComponent?.Version : undefined) ?? version.Version ?? "",
        apiVersion,
        os: version.Os ?? "",
        arch: version.Arch ?? "",
      };
    },

    manualCreateCommand: (kind, name) => `docker ${kind} create ${name}`,

    events(filter: EventFilter = {}, signal?: AbortSignal): AsyncIterable<RuntimeEvent> {
      async function* read(): AsyncIterable<RuntimeEvent> {
        const res = await api.call("GET", "/events", {
          query: {
            since: filter.since && unixTime(filter.since),
            until: filter.until && unixTime(filter.until),
            filters: filtersParam({ label: filter.labels, type: filter.types }),
          },
          signal,
        });
        yield* eventStream(res.body);
      }
      return endOnAbort(read(), signal);
    },

    async close(): Promise<void> {
      api.close();
    },
  };
}

/** The engine's `since`/`until`: Unix seconds with a fraction. */
function unixTime(date: Date): string {
  return (date.getTime() / 1000).toFixed(3);
}
