/**
 * What the network layer keeps on disk: one JSON document (`BERTH_ROOT/network/state.json`) with
 * every network, every container's attachment (namespace, veths, addresses) and every published
 * port. One document under one lock keeps allocation simple and exact: no address or host port is
 * handed out twice, even by commands racing in separate processes. A record is written *before*
 * its effects (`state: "creating"`), so whatever a crash leaves on the host is named in it and is
 * undone by the next call.
 */
import type { Labels } from "../../runtime.js";

export type RecordState = "creating" | "ready" | "removing";

export interface NetworkRecord {
  readonly id: string;
  readonly name: string;
  readonly bridge: string;
  readonly subnet: string;
  readonly gateway: string;
  readonly ipRange?: string | undefined;
  /** Addresses reserved by `ipam.config.aux_addresses`, never handed to a container. */
  readonly auxAddresses: Readonly<Record<string, string>>;
  readonly internal: boolean;
  readonly attachable: boolean;
  readonly mtu: number;
  readonly driverOpts: Readonly<Record<string, string>>;
  readonly labels: Labels;
  readonly created: string;
  readonly state: RecordState;
}

export interface EndpointRecord {
  readonly network: string;
  /** eth0, eth1… inside the namespace. */
  readonly ifname: string;
  readonly hostVeth: string;
  readonly address: string;
  readonly mac: string;
  readonly aliases: readonly string[];
}

export interface PortRecord {
  readonly protocol: "tcp" | "udp";
  /** "" for every address. */
  readonly hostIp: string;
  readonly hostPort: number;
  readonly containerPort: number;
  /** The network whose address the port is forwarded to. */
  readonly network: string;
  readonly address: string;
}

export interface ContainerRecord {
  readonly id: string;
  readonly netns: string;
  readonly endpoints: readonly EndpointRecord[];
  readonly ports: readonly PortRecord[];
  readonly state: RecordState;
}

export interface NetworkState {
  readonly version: 1;
  readonly networks: Readonly<Record<string, NetworkRecord>>;
  readonly containers: Readonly<Record<string, ContainerRecord>>;
}

export const EMPTY_STATE: NetworkState = { version: 1, networks: {}, containers: {} };
