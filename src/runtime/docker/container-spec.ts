/**
 * ContainerSpec → the body of `POST /containers/create` (Config + HostConfig + NetworkingConfig).
 * Fields left undefined stay out of the JSON (JSON.stringify drops them), so the engine's and
 * the image's defaults apply. Version-dependent fields are chosen from the negotiated version.
 */
import { InvalidRequestError } from "../errors.js";
import type { ContainerSpec, EndpointSpec, MountSpec, PortBinding, ThrottleDevice } from "../runtime.js";
import { compareVersions } from "./engine-api.js";

export interface CreatePlan {
  readonly body: Record<string, unknown>;
  /** Networks to connect after create (engines before API 1.44 take one at create). */
  readonly connectAfter: readonly (readonly [string, EndpointSpec])[];
}

export function planCreate(spec: ContainerSpec, apiVersion: string): CreatePlan {
  const manyNetworksAtCreate = compareVersions(apiVersion, "1.44") >= 0;
  const networks = Object.entries(spec.networks ?? {});
  const atCreate = manyNetworksAtCreate ? networks : networks.slice(0, 1);
  const connectAfter = manyNetworksAtCreate ? [] : networks.slice(1);
  const firstMac = networks[0]?.[1].macAddress;

  const exposed: Record<string, Record<string, never>> = {};
  for (const port of spec.exposedPorts ?? []) exposed[port.includes("/") ? port : `${port}/tcp`] = {};
  for (const p of spec.ports ?? []) exposed[portKey(p)] = {};

  const body: Record<string, unknown> = {
    Image: spec.image,
    Labels: spec.labels,
    Cmd: spec.command,
    Entrypoint: spec.entrypoint,
    Env: spec.env ? Object.entries(spec.env).map(([k, v]) => `${k}=${v}`) : undefined,
    WorkingDir: spec.workingDir,
    User: spec.user,
    Hostname: spec.hostname,
    Domainname: spec.domainname,
    Tty: spec.tty ?? false,
    OpenStdin: spec.stdinOpen ?? false,
    StdinOnce: spec.stdinOnce ?? false,
    AttachStdin: false,
    AttachStdout: true,
    AttachStderr: true,
    StopSignal: spec.stopSignal,
    StopTimeout: spec.stopTimeoutS,
    ExposedPorts: Object.keys(exposed).length > 0 ? exposed : undefined,
    Healthcheck: spec.healthcheck
      ? {
          Test: spec.healthcheck.test,
          Interval: spec.healthcheck.intervalNs,
          Timeout: spec.healthcheck.timeoutNs,
          StartPeriod: spec.healthcheck.startPeriodNs,
          // StartInterval arrived with API 1.44; older engines silently ignore it, so leave it out.
          StartInterval: manyNetworksAtCreate ? spec.healthcheck.startIntervalNs : undefined,
          Retries: spec.healthcheck.retries,
        }
      : undefined,
    // Before 1.44 the MAC address is per container, not per endpoint.
    MacAddress: !manyNetworksAtCreate ? firstMac : undefined,
    HostConfig: hostConfig(spec, apiVersion, networks[0]?.[0]),
    NetworkingConfig:
      atCreate.length > 0
        ? {
            EndpointsConfig: Object.fromEntries(
              atCreate.map(([name, ep]) => [name, endpointConfig(ep, manyNetworksAtCreate)]),
            ),
          }
        : undefined,
  };
  return { body, connectAfter };
}

/** An endpoint's settings, as create's EndpointsConfig and network connect both take them. */
export function endpointConfig(ep: EndpointSpec, withMac = true): Record<string, unknown> {
  const ipam =
    ep.ipv4Address !== undefined || ep.ipv6Address !== undefined
      ? { IPv4Address: ep.ipv4Address, IPv6Address: ep.ipv6Address }
      : undefined;
  return {
    Aliases: ep.aliases,
    IPAMConfig: ipam,
    Links: ep.links,
    MacAddress: withMac ? ep.macAddress : undefined,
  };
}

function hostConfig(
  spec: ContainerSpec,
  apiVersion: string,
  firstNetwork: string | undefined,
): Record<string, unknown> {
  const r = spec.resources ?? {};
  const binds: string[] = [];
  const mounts: Record<string, unknown>[] = [];
  for (const m of spec.mounts ?? []) {
    const bind = asBind(m);
    if (bind !== undefined) binds.push(bind);
    else mounts.push(toMount(m, apiVersion));
  }
  const portBindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of spec.ports ?? []) {
    (portBindings[portKey(p)] ??= []).push({ HostIp: p.hostIp ?? "", HostPort: p.hostPort ?? "" });
  }
  return {
    Binds: binds.length > 0 ? binds : undefined,
    Mounts: mounts.length > 0 ? mounts : undefined,
    Tmpfs: spec.tmpfs,
    // Always a map, empty without ports, as both Compose versions send it (the engine shows {}).
    PortBindings: portBindings,
    RestartPolicy: spec.restart
      ? { Name: spec.restart.name, MaximumRetryCount: spec.restart.maximumRetryCount ?? 0 }
      : undefined,
    NetworkMode: spec.networkMode ?? firstNetwork,
    Memory: r.memoryBytes,
    MemoryReservation: r.memoryReservationBytes,
    MemorySwap: r.memorySwapBytes,
    NanoCpus: r.nanoCpus,
    CpuShares: r.cpuShares,
    CpuQuota: r.cpuQuota,
    CpuPeriod: r.cpuPeriod,
    CpusetCpus: r.cpusetCpus,
    PidsLimit: r.pidsLimit,
    ShmSize: r.shmSizeBytes,
    Ulimits: r.ulimits?.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })),
    MemorySwappiness: r.memorySwappiness,
    OomKillDisable: r.oomKillDisable,
    CpuRealtimePeriod: r.cpuRealtimePeriod,
    CpuRealtimeRuntime: r.cpuRealtimeRuntime,
    DeviceCgroupRules: r.deviceCgroupRules,
    BlkioWeight: r.blkio?.weight,
    BlkioWeightDevice: r.blkio?.weightDevice?.map((d) => ({ Path: d.path, Weight: d.weight })),
    BlkioDeviceReadBps: throttleDevices(r.blkio?.deviceReadBps),
    BlkioDeviceReadIOps: throttleDevices(r.blkio?.deviceReadIops),
    BlkioDeviceWriteBps: throttleDevices(r.blkio?.deviceWriteBps),
    BlkioDeviceWriteIOps: throttleDevices(r.blkio?.deviceWriteIops),
    OomScoreAdj: spec.oomScoreAdj,
    CgroupnsMode: spec.cgroupnsMode,
    // The Go client drops annotations before API 1.43, where the engine has none.
    Annotations: compareVersions(apiVersion, "1.43") >= 0 ? spec.annotations : undefined,
    UsernsMode: spec.usernsMode,
    Runtime: spec.runtime,
    StorageOpt: spec.storageOpt,
    VolumeDriver: spec.volumeDriver,
    // Empty lists, not absent ones: the engine masks its defaults unless told to mask nothing.
    MaskedPaths: spec.unmaskedPaths === true ? [] : undefined,
    ReadonlyPaths: spec.unmaskedPaths === true ? [] : undefined,
    CapAdd: spec.capAdd,
    CapDrop: spec.capDrop,
    Privileged: spec.privileged,
    ReadonlyRootfs: spec.readOnlyRootfs,
    SecurityOpt: spec.securityOpt,
    Init: spec.init,
    AutoRemove: spec.autoRemove,
    // [height, width]; the engine reads it on Linux from API 1.42 (the Go client sends none before).
    ConsoleSize:
      spec.tty === true && spec.consoleSize !== undefined && compareVersions(apiVersion, "1.42") >= 0
        ? [spec.consoleSize.rows, spec.consoleSize.cols]
        : undefined,
    ExtraHosts: spec.extraHosts,
    Dns: spec.dns,
    DnsSearch: spec.dnsSearch,
    DnsOptions: spec.dnsOptions,
    Sysctls: spec.sysctls,
    Devices: spec.devices?.map((d) => ({
      PathOnHost: d.source,
      PathInContainer: d.target,
      CgroupPermissions: d.permissions,
    })),
    GroupAdd: spec.groupAdd,
    IpcMode: spec.ipcMode,
    PidMode: spec.pidMode,
    UTSMode: spec.utsMode,
    CgroupParent: spec.cgroupParent,
    LogConfig: spec.logging ? { Type: spec.logging.driver, Config: spec.logging.options ?? {} } : undefined,
    VolumesFrom: spec.volumesFrom,
    Links: spec.links,
  };
}

function throttleDevices(list: readonly ThrottleDevice[] | undefined): Record<string, unknown>[] | undefined {
  return list?.map((d) => ({ Path: d.path, Rate: d.rate }));
}

function portKey(p: PortBinding): string {
  return `${p.containerPort}/${p.protocol}`;
}

/**
 * Bind mounts that may create their source go in `Binds` (which creates a missing directory,
 * as Compose's default `create_host_path: true` wants); `Mounts` refuses a missing source.
 */
function asBind(m: MountSpec): string | undefined {
  if (m.type !== "bind" || m.createHostPath === false) return undefined;
  const options = [m.readOnly ? "ro" : undefined, m.propagation].filter((o) => o !== undefined && o !== "");
  return `${m.source}:${m.target}${options.length > 0 ? `:${options.join(",")}` : ""}`;
}

function toMount(m: MountSpec, apiVersion: string): Record<string, unknown> {
  switch (m.type) {
    case "bind":
      return {
        Type: "bind",
        Source: m.source,
        Target: m.target,
        ReadOnly: m.readOnly,
        BindOptions: m.propagation ? { Propagation: m.propagation } : undefined,
      };
    case "volume": {
      if (m.subpath !== undefined && compareVersions(apiVersion, "1.45") < 0) {
        throw new InvalidRequestError(
          `volume subpath (${m.target}) needs Engine API 1.45 or newer; this engine speaks ${apiVersion}`,
        );
      }
      const options =
        m.noCopy !== undefined || m.labels !== undefined || m.subpath !== undefined
          ? { NoCopy: m.noCopy, Labels: m.labels, Subpath: m.subpath }
          : undefined;
      return {
        Type: "volume",
        Source: m.source ?? "",
        Target: m.target,
        ReadOnly: m.readOnly,
        VolumeOptions: options,
      };
    }
    case "tmpfs":
      return {
        Type: "tmpfs",
        Target: m.target,
        ReadOnly: m.readOnly,
        TmpfsOptions:
          m.sizeBytes !== undefined || m.mode !== undefined
            ? { SizeBytes: m.sizeBytes, Mode: m.mode }
            : undefined,
      };
  }
}
