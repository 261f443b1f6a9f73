/**
 * Networks over the Engine API. Names are compared exactly here because the engine's name
 * filter matches substrings, and 20.10's 403 answers for duplicates and busy networks are
 * conflicts in berth's terms.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { ConflictError } from "../errors.js";
import type { EndpointSpec, LabelTerms, NetworkInfo, NetworkSpec, Networks } from "../runtime.js";
import { endpointConfig } from "./container-spec.js";
import { toNetworkInfo } from "./convert.js";
import { type EngineApi, filtersParam } from "./engine-api.js";
import type { WireNetwork } from "./wire.js";

const seg = encodeURIComponent;

/** A refusal to remove a network nothing is attached to is retried this often, this far apart. */
const STALE_ENDPOINT_ATTEMPTS = 3;
const STALE_ENDPOINT_RETRY_MS = 250;

export class DockerNetworks implements Networks {
  /** 20.10 lets two racing creates of one name both succeed, CheckDuplicate notwithstanding. */
  readonly createMayDuplicate = true;
  private readonly api: EngineApi;

  constructor(api: EngineApi) {
    this.api = api;
  }

  async create(spec: NetworkSpec): Promise<{ readonly id: string }> {
    const created = await this.api.jsonRequired<{ Id: string }>("POST", "/networks/create", {
      json: {
        Name: spec.name,
        // 20.10 allows duplicate names unless asked not to; two networks of one name break lookups.
        CheckDuplicate: true,
        Driver: spec.driver,
        Options: spec.driverOpts,
        Internal: spec.internal,
        Attachable: spec.attachable,
        EnableIPv6: spec.enableIPv6,
        IPAM: spec.ipam
          ? {
              Driver: spec.ipam.driver ?? "default",
              Config: spec.ipam.pools.map((p) => ({
                Subnet: p.subnet,
                IPRange: p.ipRange,
                Gateway: p.gateway,
                AuxiliaryAddresses: p.auxAddresses,
              })),
            }
          : undefined,
        Labels: spec.labels,
      },
      forbiddenIsConflict: true,
    });
    return { id: created.Id };
  }

  async inspect(nameOrId: string): Promise<NetworkInfo | undefined> {
    const network = await this.api.jsonOrUndefined<WireNetwork>("GET", `/networks/${seg(nameOrId)}`);
    return network && toNetworkInfo(network);
  }

  async list(filter: { readonly labels?: LabelTerms; readonly name?: string } = {}): Promise<NetworkInfo[]> {
    const list = await this.api.json<WireNetwork[]>("GET", "/networks", {
      query: {
        filters: filtersParam({
          label: filter.labels,
          name: filter.name !== undefined ? [filter.name] : undefined,
        }),
      },
    });
    const networks = (list ?? []).map(toNetworkInfo);
    return filter.name === undefined ? networks : networks.filter((n) => n.name === filter.name);
  }

  /**
   * When the engine refuses ("has active endpoints") and still lists no container, it is either one
   * that joined just now or 20.10's stale endpoint count (moby/moby#42119, #43286), which sometimes
   * settles: a few short retries, then a ConflictError that says which.
   */
  async remove(nameOrId: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.api.empty("DELETE", `/networks/${seg(nameOrId)}`, { forbiddenIsConflict: true });
        return;
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        const now = await this.inspect(nameOrId);
        if (!now) return;
        if (Object.keys(now.containers).length > 0) throw error;
        if (attempt === STALE_ENDPOINT_ATTEMPTS) {
          throw new ConflictError(
            "the engine says it has active endpoints but lists no container on it (a Docker engine " +
              "defect, moby/moby#43286); restarting dockerd clears it",
            { cause: error },
          );
        }
      }
      await sleep(STALE_ENDPOINT_RETRY_MS);
    }
  }

  async connect(network: string, container: string, endpoint: EndpointSpec = {}): Promise<void> {
    await this.api.empty("POST", `/networks/${seg(network)}/connect`, {
      json: { Container: container, EndpointConfig: endpointConfig(endpoint) },
      forbiddenIsConflict: true,
    });
  }

  async disconnect(
    network: string,
    container: string,
    options: { readonly force?: boolean } = {},
  ): Promise<void> {
    await this.api.empty("POST", `/networks/${seg(network)}/disconnect`, {
      json: { Container: container, Force: options.force ?? false },
    });
  }
}
