/**
 * The network layer's effects, each paired with its undo and ordered by the state document:
 * a record is written (under the lock) before anything is made on the host, marked ready after,
 * and removed only once its effects are undone — so a crash at any point leaves a record naming
 * what may exist, and the next call (or `sweep`) finishes or undoes it.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { ConflictError, InvalidRequestError, NotFoundError } from "../../errors.js";
import type { EndpointSpec, NetworkSpec, PortBinding } from "../../runtime.js";
import type { NativePaths } from "../paths.js";
import { ipBatch, iptablesRestore, iptablesRules, nftLoad } from "./commands.js";
import {
  type AddressPool,
  allocateAddress,
  DEFAULT_POOLS,
  parseProcRoutes,
  planAddressing,
  usedAddresses,
} from "./ipam.js";
import { formatIp, requireCidr } from "./ipv4.js";
import {
  bridgeName,
  containerIfName,
  hostVethName,
  macFor,
  NETNS_DIR,
  netnsName,
  netnsPath,
} from "./names.js";
import {
  endpointHostSetup,
  endpointInsideSetup,
  routingEndpoint,
  bridgeSetup,
  bridgeTeardown,
  containerTeardown,
  DEFAULT_MTU,
  hostSetup,
  insideSetup,
  MTU_OPTION,
} from "./plan.js";
import { choosePorts, portRequest } from "./ports.js";
import type { ContainerRecord, EndpointRecord, NetworkRecord, NetworkState, PortRecord } from "./records.js";
import { parseFilter, renderAccepts, renderTable, renderTableRemoval } from "./rules.js";
import { readState, updateState, withHostSubnetLock } from "./store.js";

export interface NetworkLayerOptions {
  /** Subnets for networks that name none (dockerd's `default-address-pools`); Docker's by default. */
  readonly pools?: readonly AddressPool[] | undefined;
}

/** What a container's setup gives its caller (the OCI spec takes `netnsPath`). */
export interface ContainerNetworking {
  readonly netns: string;
  readonly netnsPath: string;
  readonly endpoints: readonly (EndpointRecord & {
    readonly gateway: string;
    readonly prefix: number;
    /** The network's id (inspect's NetworkID). */
    readonly networkId: string;
  })[];
  readonly ports: readonly PortRecord[];
}

export interface ContainerNetworkRequest {
  readonly id: string;
  /** By name, in priority order (ContainerSpec.networks' order); the first non-internal one routes out. */
  readonly networks: Readonly<Record<string, EndpointSpec>>;
  readonly ports?: readonly PortBinding[] | undefined;
}

// --- host observations (files, no processes) ------------------------------------------------------

function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

async function hostRoutes(): Promise<ReturnType<typeof parseProcRoutes>> {
  try {
    return parseProcRoutes(await readFile("/proc/net/route", "utf8"));
  } catch {
    return [];
  }
}

async function writeSysctl(file: string, value: string): Promise<void> {
  const current = await readFile(file, "utf8").catch(() => undefined);
  if (current?.trim() !== value) await writeFile(file, value);
}

// --- networks -------------------------------------------------------------------------------------

function mtuOf(spec: NetworkSpec): number {
  const text = spec.driverOpts?.[MTU_OPTION];
  if (text === undefined) return DEFAULT_MTU;
  const mtu = Number(text);
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535)
    throw new InvalidRequestError(`network ${spec.name}: ${MTU_OPTION} "${text}" is not an MTU (68-65535)`);
  return mtu;
}

function checkSpec(spec: NetworkSpec): void {
  if (spec.driver !== undefined && spec.driver !== "bridge")
    throw new InvalidRequestError(
      `network ${spec.name}: driver "${spec.driver}" is not supported by the native runtime (bridge only)`,
    );
  if (spec.ipam?.driver !== undefined && spec.ipam.driver !== "default")
    throw new InvalidRequestError(
      `network ${spec.name}: IPAM driver "${spec.ipam.driver}" is not supported (default only)`,
    );
}

/**
 * Brings the iptables accepts of `bridges` to `want`: one `iptables -S`, and one restore when
 * something changes. Checked again at the first container setup of each process, since dockerd may
 * have started (and made its FORWARD DROP) after the network was created.
 */
async function setAccepts(bridges: readonly string[], want: boolean): Promise<void> {
  // Another command may change the same rules between the look and the restore (two `down`s of
  // one project): the restore then fails on a rule already gone or added; look again, a few times.
  for (let attempt = 1; ; attempt++) {
    const rules = await iptablesRules();
    if (rules === undefined) return;
    const text = renderAccepts(parseFilter(rules), bridges, want);
    if (text === undefined) return;
    try {
      await iptablesRestore(text);
      return;
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
}

/** Makes everything of a network exist (idempotent): bridge, sysctls, its nft table, the accepts. */
async function ensureNetworkEffects(paths: NativePaths, network: NetworkRecord): Promise<void> {
  try {
    await ipBatch(bridgeSetup(network, linkExists(network.bridge)));
  } catch (error) {
    // Another command made the bridge between the look and the add: go on from there.
    if (!linkExists(network.bridge)) throw error;
    await ipBatch(bridgeSetup(network, true));
  }
  // Forwarding is the host's to have on for any bridge to route; never turned off again (Docker neither).
  await writeSysctl("/proc/sys/net/ipv4/ip_forward", "1");
  // DNAT from 127.0.0.1 to a container leaves through the bridge with a loopback source.
  await writeSysctl(`/proc/sys/net/ipv4/conf/${network.bridge}/route_localnet`, "1");
  await updateState(paths, async (state) => {
    await nftLoad(renderTable(network, allPorts(state)));
    return { state, result: undefined };
  });
  await setAccepts([network.bridge], true);
}

async function removeNetworkEffects(network: NetworkRecord): Promise<void> {
  await setAccepts([network.bridge], false);
  await nftLoad(renderTableRemoval(network.bridge));
  try {
    if (linkExists(network.bridge)) await ipBatch(bridgeTeardown(network));
  } catch (error) {
    // Another command finishing the same removal (its sweep) deleted it between the look and the delete.
    if (linkExists(network.bridge)) throw error;
  }
}

function allPorts(state: NetworkState): (PortRecord & { container: string })[] {
  return Object.values(state.containers).flatMap((c) => c.ports.map((p) => ({ ...p, container: c.id })));
}

function withNetwork(state: NetworkState, network: NetworkRecord): NetworkState {
  return { ...state, networks: { ...state.networks, [network.name]: network } };
}

function withoutNetwork(state: NetworkState, name: string): NetworkState {
  const { [name]: _gone, ...networks } = state.networks;
  return { ...state, networks };
}

function withContainer(state: NetworkState, container: ContainerRecord): NetworkState {
  return { ...state, containers: { ...state.containers, [container.id]: container } };
}

function withoutContainer(state: NetworkState, id: string): NetworkState {
  const { [id]: _gone, ...containers } = state.containers;
  return { ...state, containers };
}

export interface NetworkLayer {
  /**
   * Creates network `spec.name` (bridge, addresses, rules), or finishes one a crash left half-made,
   * or re-ensures an existing one; gives its record.
   */
  createNetwork(spec: NetworkSpec): Promise<NetworkRecord>;
  /** Removes a network with no container attached (ConflictError otherwise; NotFoundError if unknown). */
  removeNetwork(name: string): Promise<void>;
  inspectNetwork(name: string): Promise<NetworkRecord | undefined>;
  listNetworks(): Promise<NetworkRecord[]>;
  /** Namespace, veths, addresses, routes and published ports of one container (re-run: redone from scratch). */
  setupContainer(request: ContainerNetworkRequest): Promise<ContainerNetworking>;
  /**
   * Joins a set-up container to one more network (Runtime.networks.connect): the next free ethN,
   * the default route through it only if the container had none. ConflictError if already joined.
   */
  connectContainer(id: string, network: string, endpoint?: EndpointSpec): Promise<ContainerNetworking>;
  /** Leaves one network: its veth, address and the ports forwarded through it; the route moves on. */
  disconnectContainer(id: string, network: string): Promise<void>;
  /** Undoes setupContainer: rules, veths, namespace, addresses and ports released. Idempotent. */
  teardownContainer(id: string): Promise<void>;
  /**
   * Publishes a set-up container's ports, replacing what it published before (at its start, as
   * Docker binds them): host ports chosen as setupContainer chooses them, its DNAT rules loaded.
   * ConflictError when a fixed port is taken; NotFoundError when it has no networking.
   */
  publishPorts(id: string, ports: readonly PortBinding[]): Promise<readonly PortRecord[]>;
  /**
   * Takes a container's published ports away, its endpoints kept (at its stop, as Docker frees
   * them): its DNAT rules go and the host ports are free for others. Idempotent; the ports freed.
   */
  unpublishPorts(id: string): Promise<readonly PortRecord[]>;
  /** What setupContainer gave a container, while it is set up. */
  containerNetworking(id: string): Promise<ContainerNetworking | undefined>;
  /** containerNetworking of every set-up container, by id, from one read of the state. */
  allNetworking(): Promise<ReadonlyMap<string, ContainerNetworking>>;
  /**
   * Tears down every container not in `live` (which must include containers being created right
   * now; a predicate is asked after the state is read, so one whose record appears meanwhile is
   * spared), finishes networks a crash left half-created or half-removed, and deletes namespaces of
   * this state root that no record names. Gives the container ids torn down.
   */
  sweep(live: Iterable<string> | ((id: string) => boolean)): Promise<string[]>;
}

export function openNetworkLayer(paths: NativePaths, options: NetworkLayerOptions = {}): NetworkLayer {
  const pools = options.pools ?? DEFAULT_POOLS;
  /**
   * Bridges whose iptables accepts this process has checked, or is checking: once per process, not
   * per container (concurrent setups share the one check under way).
   */
  const acceptsChecked = new Map<string, Promise<void>>();

  async function finishRemoval(network: NetworkRecord): Promise<void> {
    await removeNetworkEffects(network);
    await updateState(paths, (state) => ({
      state: state.networks[network.name]?.id === network.id ? withoutNetwork(state, network.name) : state,
      result: undefined,
    }));
  }

  async function createNetwork(spec: NetworkSpec): Promise<NetworkRecord> {
    checkSpec(spec);
    if (spec.ipam?.pools.some((p) => p.subnet?.includes(":")) || spec.enableIPv6)
      throw new InvalidRequestError(`network ${spec.name}: IPv6 is not supported by the native runtime yet`);
    const existing = (await readState(paths)).networks[spec.name];
    if (existing?.state === "ready") return finishCreation(existing);
    return withHostSubnetLock(() => createLocked(spec, existing));
  }

  async function createLocked(
    spec: NetworkSpec,
    existing: NetworkRecord | undefined,
  ): Promise<NetworkRecord> {
    const mtu = mtuOf(spec);
    const routes = await hostRoutes();
    if (existing?.state === "removing") await finishRemoval(existing);
    const network = await updateState(paths, (state) => {
      const current = state.networks[spec.name];
      if (current && current.state !== "removing") return { state, result: current };
      const bridge = bridgeName(paths.root, spec.name);
      // Docker's bridges (and berth's of other state roots) show as host routes: skipped with them.
      const addressing = planAddressing(spec.name, spec.ipam?.pools[0], state, routes, pools);
      const record: NetworkRecord = {
        id: randomBytes(32).toString("hex"),
        name: spec.name,
        bridge,
        ...addressing,
        internal: spec.internal ?? false,
        attachable: spec.attachable ?? false,
        mtu,
        driverOpts: spec.driverOpts ?? {},
        labels: spec.labels,
        created: new Date().toISOString(),
        state: "creating",
      };
      return { state: withNetwork(state, record), result: record };
    });
    if (network.state === "ready") return finishCreation(network);
    try {
      return await finishCreation(network);
    } catch (error) {
      // Undo this create's effects and record, so a refused create leaves nothing behind.
      await finishRemoval(network).catch(() => undefined);
      throw error;
    }
  }

  async function finishCreation(network: NetworkRecord): Promise<NetworkRecord> {
    await ensureNetworkEffects(paths, network);
    if (network.state === "ready") return network;
    const ready: NetworkRecord = { ...network, state: "ready" };
    await updateState(paths, (state) => ({
      state: state.networks[network.name]?.id === network.id ? withNetwork(state, ready) : state,
      result: undefined,
    }));
    return ready;
  }

  async function removeNetwork(name: string): Promise<void> {
    const network = await updateState(paths, (state) => {
      const current = state.networks[name];
      if (!current) throw new NotFoundError(`network ${name} not found`);
      const users = Object.values(state.containers).filter((c) =>
        c.endpoints.some((e) => e.network === name),
      );
      if (users.length > 0)
        throw new ConflictError(
          `network ${name} has active endpoints (${users.map((c) => c.id.slice(0, 12)).join(", ")})`,
        );
      const removing: NetworkRecord = { ...current, state: "removing" };
      return { state: withNetwork(state, removing), result: removing };
    });
    await finishRemoval(network);
  }

  function networkingOf(state: NetworkState, container: ContainerRecord): ContainerNetworking {
    return {
      netns: container.netns,
      netnsPath: netnsPath(container.netns),
      endpoints: container.endpoints.map((e) => {
        const network = state.networks[e.network];
        return {
          ...e,
          gateway: network?.gateway ?? "",
          prefix: network ? requireCidr(network.subnet, "subnet").prefix : 32,
          networkId: network?.id ?? "",
        };
      }),
      ports: container.ports,
    };
  }

  async function undoContainer(container: ContainerRecord): Promise<void> {
    const undo = (): Promise<void> => {
      const links = new Set(container.endpoints.map((e) => e.hostVeth).filter(linkExists));
      return ipBatch(containerTeardown(container, { netns: existsSync(netnsPath(container.netns)), links }));
    };
    // Another command's sweep may undo the same container meanwhile: look again once at what is left.
    await undo().catch(undo);
    await updateState(paths, async (state) => {
      const next = withoutContainer(state, container.id);
      // Unpublish: reload the tables that held this container's ports, from the state without it.
      const affected = new Set(container.ports.map((p) => p.network));
      for (const name of affected) {
        const network = next.networks[name];
        if (network && network.state !== "removing") await nftLoad(renderTable(network, allPorts(next)));
      }
      return { state: next, result: undefined };
    });
  }

  async function teardownContainer(id: string): Promise<void> {
    const container = (await readState(paths)).containers[id];
    if (container) await undoContainer(container);
  }

  async function setupContainer(request: ContainerNetworkRequest): Promise<ContainerNetworking> {
    if (!/^[0-9a-f]{12,64}$/.test(request.id))
      throw new InvalidRequestError(`container id ${request.id} is not hex`);
    await teardownContainer(request.id);
    const names = Object.keys(request.networks);
    const requests = (request.ports ?? []).map(portRequest);
    // A network whose bridge is gone (a reboot) is made again before anything joins it.
    const before = await readState(paths);
    const bridges: string[] = [];
    for (const name of names) {
      const network = before.networks[name];
      if (network?.state === "ready" && !linkExists(network.bridge))
        await ensureNetworkEffects(paths, network);
      if (network) bridges.push(network.bridge);
    }
    const unchecked = bridges.filter((bridge) => !acceptsChecked.has(bridge));
    if (unchecked.length > 0) {
      const check = setAccepts(unchecked, true);
      for (const bridge of unchecked) acceptsChecked.set(bridge, check);
      // A failed check is tried again by the next setup.
      check.catch(() => unchecked.forEach((bridge) => acceptsChecked.delete(bridge)));
    }
    // Awaited once the links are up: the accepts matter from the container's first packet, and
    // `iptables -S` (~40 ms) runs meanwhile.
    const accepted = Promise.all(bridges.map((bridge) => acceptsChecked.get(bridge)));
    accepted.catch(() => undefined);
    const container = await updateState(paths, async (state) => {
      const endpoints: EndpointRecord[] = names.map((name, index) => {
        const network = state.networks[name];
        if (!network || network.state === "removing") throw new NotFoundError(`network ${name} not found`);
        if (network.state !== "ready") throw new ConflictError(`network ${name} is still being created`);
        const endpoint = request.networks[name];
        const ip = allocateAddress(network, usedAddresses(state, name), endpoint?.ipv4Address);
        return {
          network: name,
          ifname: containerIfName(index),
          hostVeth: hostVethName(paths.root, request.id, name),
          address: formatIp(ip),
          mac: macFor(ip),
          aliases: endpoint?.aliases ?? [],
        };
      });
      // Ports are forwarded to the first network that is not internal (Docker publishes none on internal ones).
      const target = endpoints.find((e) => !state.networks[e.network]?.internal);
      const ports = target && requests.length > 0 ? await choosePorts(state, requests, target) : [];
      const record: ContainerRecord = {
        id: request.id,
        netns: netnsName(paths.root, request.id),
        endpoints,
        ports,
        state: "creating",
      };
      return { state: withContainer(state, record), result: record };
    });
    try {
      const state = await readState(paths);
      const networks = new Map(Object.entries(state.networks));
      await ipBatch(hostSetup(container, networks));
      await ipBatch(insideSetup(container, networks), container.netns);
      await accepted;
      return await updateState(paths, async (current) => {
        const ready: ContainerRecord = { ...container, state: "ready" };
        const next = withContainer(current, ready);
        for (const name of new Set(ready.ports.map((p) => p.network))) {
          const network = next.networks[name];
          if (network) await nftLoad(renderTable(network, allPorts(next)));
        }
        return { state: next, result: networkingOf(next, ready) };
      });
    } catch (error) {
      await undoContainer(container).catch(() => undefined);
      throw error;
    }
  }

  /** Sets a container's published ports to what `choose` gives, reloading the tables affected. */
  async function replacePorts(
    id: string,
    choose: (state: NetworkState, container: ContainerRecord) => Promise<PortRecord[]>,
  ): Promise<readonly PortRecord[]> {
    return updateState(paths, async (state) => {
      const current = state.containers[id];
      if (!current || current.state !== "ready")
        throw new NotFoundError(`container ${id.slice(0, 12)} has no network namespace`);
      // Its own earlier ports do not clash with the new ones.
      const ports = await choose(withContainer(state, { ...current, ports: [] }), current);
      const next = withContainer(state, { ...current, ports });
      for (const name of new Set([...current.ports, ...ports].map((p) => p.network))) {
        const network = next.networks[name];
        if (network && network.state !== "removing") await nftLoad(renderTable(network, allPorts(next)));
      }
      return { state: next, result: ports };
    });
  }

  async function publishPorts(id: string, bindings: readonly PortBinding[]): Promise<readonly PortRecord[]> {
    const requests = bindings.map(portRequest);
    return replacePorts(id, async (state, container) => {
      // Forwarded to the first network that is not internal (Docker publishes none on internal ones).
      const target = container.endpoints.find((e) => !state.networks[e.network]?.internal);
      return target && requests.length > 0 ? choosePorts(state, requests, target) : [];
    });
  }

  async function unpublishPorts(id: string): Promise<readonly PortRecord[]> {
    const container = (await readState(paths)).containers[id];
    if (!container || container.state !== "ready" || container.ports.length === 0) return [];
    let freed: readonly PortRecord[] = [];
    await replacePorts(id, async (_state, current) => {
      freed = current.ports;
      return [];
    }).catch((error: unknown) => {
      // Torn down meanwhile: nothing is published any more.
      if (!(error instanceof NotFoundError)) throw error;
    });
    return freed;
  }

  function withEndpoints(container: ContainerRecord, endpoints: EndpointRecord[], ports: PortRecord[]) {
    return { ...container, endpoints, ports };
  }

  async function connectContainer(
    id: string,
    name: string,
    endpoint: EndpointSpec = {},
  ): Promise<ContainerNetworking> {
    const before = await readState(paths);
    const existing = before.networks[name];
    if (existing?.state === "ready" && !linkExists(existing.bridge))
      await ensureNetworkEffects(paths, existing);
    if (existing) await setAccepts([existing.bridge], true);
    const { container, added } = await updateState(paths, (state) => {
      const current = state.containers[id];
      if (!current || current.state !== "ready")
        throw new NotFoundError(`container ${id} has no network namespace`);
      const network = state.networks[name];
      if (!network || network.state !== "ready") throw new NotFoundError(`network ${name} not found`);
      if (current.endpoints.some((e) => e.network === name))
        throw new ConflictError(`endpoint with name ${id.slice(0, 12)} already exists in network ${name}`);
      const ip = allocateAddress(network, usedAddresses(state, name), endpoint.ipv4Address);
      const taken = new Set(current.endpoints.map((e) => e.ifname));
      let index = 0;
      while (taken.has(containerIfName(index))) index++;
      const added: EndpointRecord = {
        network: name,
        ifname: containerIfName(index),
        hostVeth: hostVethName(paths.root, id, name),
        address: formatIp(ip),
        mac: macFor(ip),
        aliases: endpoint.aliases ?? [],
      };
      const next = withEndpoints(current, [...current.endpoints, added], [...current.ports]);
      return { state: withContainer(state, next), result: { container: next, added } };
    });
    const state = await readState(paths);
    const networks = new Map(Object.entries(state.networks));
    const network = networks.get(name);
    try {
      if (!network) throw new NotFoundError(`network ${name} not found`);
      // The default route goes through the new network only when the container had no way out.
      const route = routingEndpoint(container.endpoints, networks) === added;
      await ipBatch(endpointHostSetup(container.netns, added, network));
      await ipBatch(endpointInsideSetup(added, network, route), container.netns);
    } catch (error) {
      await disconnectContainer(id, name).catch(() => undefined);
      throw error;
    }
    return networkingOf(state, container);
  }

  async function disconnectContainer(id: string, name: string): Promise<void> {
    const current = (await readState(paths)).containers[id];
    const endpoint = current?.endpoints.find((e) => e.network === name);
    if (!current || !endpoint)
      throw new NotFoundError(`container ${id.slice(0, 12)} is not connected to network ${name}`);
    if (linkExists(endpoint.hostVeth)) await ipBatch([`link del ${endpoint.hostVeth}`]);
    const { container, lostRoute } = await updateState<{
      container: ContainerRecord | undefined;
      lostRoute: boolean;
    }>(paths, async (state) => {
      const record = state.containers[id];
      if (!record) return { state, result: { container: undefined, lostRoute: false } };
      const networks = new Map(Object.entries(state.networks));
      const routed = routingEndpoint(record.endpoints, networks)?.network === name;
      const next = withEndpoints(
        record,
        record.endpoints.filter((e) => e.network !== name),
        record.ports.filter((p) => p.network !== name),
      );
      const after = withContainer(state, next);
      const network = after.networks[name];
      if (network && record.ports.some((p) => p.network === name))
        await nftLoad(renderTable(network, allPorts(after)));
      return { state: after, result: { container: next, lostRoute: routed } };
    });
    // The default route went with the link: the next network that is not internal takes it over.
    if (container && lostRoute) {
      const state = await readState(paths);
      const networks = new Map(Object.entries(state.networks));
      const next = routingEndpoint(container.endpoints, networks);
      const network = next && networks.get(next.network);
      if (next && network && existsSync(netnsPath(container.netns)))
        await ipBatch([`route replace default via ${network.gateway} dev ${next.ifname}`], container.netns);
    }
  }

  async function sweep(live: Iterable<string> | ((id: string) => boolean)): Promise<string[]> {
    const keep = typeof live === "function" ? undefined : new Set(live);
    const alive = typeof live === "function" ? live : (id: string) => keep?.has(id) === true;
    // Listed before the state is read: a namespace made after this is named by a record already.
    const present = await readdir(NETNS_DIR).catch(() => [] as string[]);
    const state = await readState(paths);
    // Asked after the state was read, so a container whose record is being made now counts as live.
    const gone = Object.values(state.containers).filter((c) => !alive(c.id));
    for (const container of gone) await undoContainer(container);
    for (const network of Object.values(state.networks)) {
      if (network.state === "removing") await finishRemoval(network);
      // A create a crash interrupted: callers already see the network (inspect), so make it whole.
      else if (network.state === "creating") await finishCreation(network);
    }
    // Namespaces of this root that no record names (none should exist: records come first, and a
    // record goes only after its namespace): those listed before the state was read again.
    const prefix = netnsName(paths.root, "");
    const named = new Set(Object.values((await readState(paths)).containers).map((c) => c.netns));
    const orphans = present.filter((n) => n.startsWith(prefix) && !named.has(n) && existsSync(netnsPath(n)));
    // One at a time: another command's teardown may delete one meanwhile.
    for (const orphan of orphans) await ipBatch([`netns del ${orphan}`]).catch(() => undefined);
    return gone.map((c) => c.id);
  }

  return {
    createNetwork,
    removeNetwork,
    inspectNetwork: async (name) => (await readState(paths)).networks[name],
    listNetworks: async () => Object.values((await readState(paths)).networks),
    setupContainer,
    teardownContainer,
    publishPorts,
    unpublishPorts,
    connectContainer,
    disconnectContainer,
    containerNetworking: async (id) => {
      const state = await readState(paths);
      const container = state.containers[id];
      return container?.state === "ready" ? networkingOf(state, container) : undefined;
    },
    allNetworking: async () => {
      const state = await readState(paths);
      return new Map(
        Object.values(state.containers)
          .filter((c) => c.state === "ready")
          .map((c) => [c.id, networkingOf(state, c)]),
      );
    },
    sweep,
  };
}
