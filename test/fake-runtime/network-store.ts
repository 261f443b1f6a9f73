/**
 * The fake's networks: the engine's three built-in ones, names unique (a twin only by `seed`),
 * addresses handed out in order from the first pool, removal refused while a container is attached.
 * Connecting containers is the runtime's (the endpoint lives with the container).
 */
import { InvalidRequestError } from "../../src/runtime/errors.js";
import type { NetworkInfo, Networks, NetworkSpec } from "../../src/runtime/runtime.js";
import { conflict, notFound, type StoreContext } from "./context.js";
import { matchesLabels } from "./engine-words.js";

export interface NetworkRecord {
  readonly id: string;
  readonly spec: NetworkSpec;
  readonly driver: string;
  readonly pools: NetworkInfo["ipam"]["pools"];
  readonly created: Date;
  nextHost: number;
  readonly builtIn: boolean;
}

export interface NetworkStoreContext extends StoreContext {
  newId(seed: string): string;
  /** The containers on the network, with their address on it. */
  endpointsOn(networkId: string): { readonly id: string; readonly name: string; readonly ip: string }[];
}

const BUILT_IN: readonly { readonly name: string; readonly driver: string }[] = [
  { name: "bridge", driver: "bridge" },
  { name: "host", driver: "host" },
  { name: "none", driver: "null" },
];

export class NetworkStore {
  private readonly records = new Map<string, NetworkRecord>();

  constructor(private readonly cx: NetworkStoreContext) {
    for (const { name, driver } of BUILT_IN) {
      const id = cx.newId(`network ${name}`);
      const pools = name === "bridge" ? [{ subnet: "172.17.0.0/16", gateway: "172.17.0.1" }] : [];
      const spec = { name, labels: {} };
      this.records.set(id, { id, spec, driver, pools, created: cx.now(), nextHost: 2, builtIn: true });
    }
  }

  /** Everything but connect and disconnect, which the runtime does on the container's side. */
  api(): Omit<Networks, "connect" | "disconnect"> {
    return {
      create: (spec) =>
        this.cx.call("networks.create", [spec], () => {
          if (spec.name === "")
            throw new InvalidRequestError("network name must not be empty", { status: 400 });
          if (this.find(spec.name)) throw conflict(`network with name ${spec.name} already exists`);
          return { id: this.seed(spec, this.cx.now()) };
        }),
      inspect: (nameOrId) =>
        this.cx.call("networks.inspect", [nameOrId], () => {
          const network = this.find(nameOrId);
          return network ? this.info(network) : undefined;
        }),
      list: (filter = {}) =>
        this.cx.call("networks.list", [filter], () =>
          [...this.records.values()]
            .filter((n) => matchesLabels(n.spec.labels, filter.labels))
            .filter((n) => filter.name === undefined || n.spec.name === filter.name)
            .map((n) => this.info(n)),
        ),
      remove: (nameOrId) =>
        this.cx.call("networks.remove", [nameOrId], () => {
          const network = this.require(nameOrId);
          const { name } = network.spec;
          if (network.builtIn) throw conflict(`${name} is a pre-defined network and cannot be removed`);
          if (this.cx.endpointsOn(network.id).length > 0) {
            throw conflict(
              `error while removing network: network ${name} id ${network.id} has active endpoints`,
            );
          }
          this.records.delete(network.id);
          this.cx.emit({ type: "network", action: "destroy", ...this.actor(network) });
        }),
    };
  }

  /** Adds a network without the name check; its ID. */
  seed(spec: NetworkSpec, created: Date): string {
    const id = this.cx.newId(`network ${spec.name}`);
    const index = this.records.size + 1;
    const pools = spec.ipam?.pools.length
      ? spec.ipam.pools
      : [{ subnet: `172.${17 + index}.0.0/16`, gateway: `172.${17 + index}.0.1` }];
    const driver = spec.driver ?? "bridge";
    this.records.set(id, { id, spec, driver, pools, created, nextHost: 2, builtIn: false });
    const attributes = { ...spec.labels, name: spec.name, type: driver };
    this.cx.emit({ type: "network", action: "create", id, attributes, time: created });
    return id;
  }

  get(id: string): NetworkRecord | undefined {
    return this.records.get(id);
  }

  /** By ID, name, or ID prefix, in that order (as the engine looks a network up). */
  find(nameOrId: string): NetworkRecord | undefined {
    const all = [...this.records.values()];
    return (
      all.find((n) => n.id === nameOrId) ??
      all.find((n) => n.spec.name === nameOrId) ??
      (nameOrId.length >= 1 ? all.find((n) => n.id.startsWith(nameOrId)) : undefined)
    );
  }

  require(nameOrId: string): NetworkRecord {
    const network = this.find(nameOrId);
    if (!network) throw notFound(`network ${nameOrId} not found`);
    return network;
  }

  /** The next free address of the network's first pool. */
  address(network: NetworkRecord): string {
    const [a, b] = (network.pools[0]?.subnet ?? "172.30.0.0/16").split("/")[0]?.split(".") ?? [];
    const host = network.nextHost++;
    return `${a}.${b}.${Math.floor(host / 256)}.${host % 256}`;
  }

  /** The common fields of the network's events; `container` for connect and disconnect. */
  actor(network: NetworkRecord, container?: string) {
    const attributes: Record<string, string> = { ...network.spec.labels, name: network.spec.name };
    if (container !== undefined) attributes.container = container;
    return { id: network.id, attributes, time: this.cx.now() };
  }

  info(network: NetworkRecord): NetworkInfo {
    const prefix = network.pools[0]?.subnet?.split("/")[1] ?? "16";
    return {
      id: network.id,
      name: network.spec.name,
      driver: network.driver,
      internal: network.spec.internal ?? false,
      attachable: network.spec.attachable ?? false,
      enableIPv6: network.spec.enableIPv6 ?? false,
      labels: { ...network.spec.labels },
      ipam: { driver: network.spec.ipam?.driver ?? "default", pools: network.pools },
      containers: Object.fromEntries(
        this.cx
          .endpointsOn(network.id)
          .map((c) => [c.id, { name: c.name, ipv4Address: `${c.ip}/${prefix}` }]),
      ),
      created: network.created,
    };
  }
}
