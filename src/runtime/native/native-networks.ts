/**
 * The native Runtime's `Networks`: Compose networks as the network layer's bridges (./network), each
 * with the embedded DNS listening on its gateway (./dns), answered in Docker's terms — its fields,
 * label filters, exact names, NotFound/Conflict errors. Joining and leaving a network is the
 * container lifecycle's (it holds the container's lock): connect and disconnect go there.
 */
import { ConflictError, InvalidRequestError, NotFoundError } from "../errors.js";
import type { EndpointSpec, LabelTerms, NetworkInfo, NetworkSpec, Networks } from "../runtime.js";
import { awaitDnsReleased, ensureDnsServer, releaseDnsNetwork } from "./dns/index.js";
import { networkEvent } from "./containers/networking.js";
import { matchesLabels } from "./events.js";
import { readRecord } from "./containers/records.js";
import type { NetworkLayer, NetworkRecord } from "./network/index.js";
import type { NativePaths } from "./paths.js";

export interface NetworkMembers {
  connectNetwork(network: string, nameOrId: string, endpoint?: EndpointSpec): Promise<void>;
  disconnectNetwork(network: string, nameOrId: string): Promise<void>;
}

/** Docker's words for a network no name or id answers to. */
function missing(nameOrId: string): NotFoundError {
  return new NotFoundError(`network ${nameOrId} not found`, { status: 404 });
}

/** The network a name, an id or a unique id prefix names (Docker's order); removing ones are gone. */
function resolve(networks: readonly NetworkRecord[], nameOrId: string): NetworkRecord | undefined {
  const visible = networks.filter((n) => n.state !== "removing");
  const byName = visible.find((n) => n.name === nameOrId);
  if (byName) return byName;
  const byId = visible.find((n) => n.id === nameOrId);
  if (byId) return byId;
  if (!/^[0-9a-f]{1,63}$/.test(nameOrId)) return undefined;
  const prefixed = visible.filter((n) => n.id.startsWith(nameOrId));
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

export function createNativeNetworks(
  paths: NativePaths,
  layer: NetworkLayer,
  members: NetworkMembers,
): Networks {
  async function infoOf(network: NetworkRecord): Promise<NetworkInfo> {
    const prefix = network.subnet.split("/")[1] ?? "32";
    const containers: Record<string, { name: string; ipv4Address?: string | undefined }> = {};
    for (const [id, networking] of await layer.allNetworking()) {
      const endpoint = networking.endpoints.find((e) => e.network === network.name);
      if (!endpoint) continue;
      containers[id] = {
        name: readRecord(paths, id)?.name ?? "",
        ipv4Address: `${endpoint.address}/${prefix}`,
      };
    }
    return {
      id: network.id,
      name: network.name,
      driver: "bridge",
      internal: network.internal,
      attachable: network.attachable,
      enableIPv6: false,
      labels: network.labels,
      ipam: {
        driver: "default",
        pools: [
          {
            subnet: network.subnet,
            gateway: network.gateway,
            ipRange: network.ipRange,
            auxAddresses: Object.keys(network.auxAddresses).length > 0 ? network.auxAddresses : undefined,
          },
        ],
      },
      containers,
      created: new Date(network.created),
    };
  }

  return {
    async create(spec: NetworkSpec) {
      if (spec.name === "" || /[/\s]/.test(spec.name))
        throw new InvalidRequestError(`invalid network name ${JSON.stringify(spec.name)}`, { status: 400 });
      const existing = await layer.inspectNetwork(spec.name);
      if (existing && existing.state !== "removing")
        throw new ConflictError(`network with name ${spec.name} already exists`, { status: 409 });
      const network = await layer.createNetwork(spec);
      try {
        // Containers made next ask it their first query: it listens before this returns.
        await ensureDnsServer(paths, [{ network: network.name, address: network.gateway }]);
      } catch (error) {
        releaseDnsNetwork(paths, network.name);
        await layer.removeNetwork(network.name).catch(() => undefined);
        throw error;
      }
      networkEvent(paths, network, "create");
      return { id: network.id };
    },

    async inspect(nameOrId) {
      const network = resolve(await layer.listNetworks(), nameOrId);
      return network && infoOf(network);
    },

    async list(filter: { readonly labels?: LabelTerms; readonly name?: string } = {}) {
      const out: NetworkInfo[] = [];
      for (const network of await layer.listNetworks()) {
        if (network.state === "removing") continue;
        if (filter.name !== undefined && network.name !== filter.name) continue;
        if (!matchesLabels(network.labels, filter.labels)) continue;
        out.push(await infoOf(network));
      }
      return out.sort((a, b) => a.created.getTime() - b.created.getTime() || (a.id < b.id ? -1 : 1));
    },

    async remove(nameOrId) {
      const network = resolve(await layer.listNetworks(), nameOrId);
      if (!network) throw missing(nameOrId);
      try {
        await layer.removeNetwork(network.name);
      } catch (error) {
        if (error instanceof NotFoundError) throw missing(nameOrId);
        if (error instanceof ConflictError)
          throw new ConflictError(`error while removing network: ${error.message}`, {
            status: 409,
            cause: error,
          });
        throw error;
      }
      // The DNS server closes the gateway's address, and exits when no network is left.
      releaseDnsNetwork(paths, network.name);
      await awaitDnsReleased(paths, network.name);
      networkEvent(paths, network, "destroy");
    },

    async connect(nameOrId, container, endpoint) {
      const network = resolve(await layer.listNetworks(), nameOrId);
      if (!network) throw missing(nameOrId);
      await members.connectNetwork(network.name, container, endpoint);
    },

    async disconnect(nameOrId, container) {
      const network = resolve(await layer.listNetworks(), nameOrId);
      if (!network) throw missing(nameOrId);
      await members.disconnectNetwork(network.name, container);
    },
  };
}
