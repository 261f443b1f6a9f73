/**
 * The Engine API's JSON as berth reads it: only the fields used, all optional because engines
 * (Docker versions, Podman's compat layer) leave different ones out or send null. These types
 * never leave src/runtime/docker/; convert.ts turns them into berth's own.
 */

type Maybe<T> = T | null | undefined;

export interface WirePortBinding {
  readonly HostIp?: Maybe<string>;
  readonly HostPort?: Maybe<string>;
}

export interface WireContainerInspect {
  readonly Id: string;
  readonly Name?: Maybe<string>;
  readonly Image?: Maybe<string>;
  readonly Created?: Maybe<string>;
  readonly RestartCount?: Maybe<number>;
  readonly State?: Maybe<{
    readonly Status?: Maybe<string>;
    readonly Running?: Maybe<boolean>;
    readonly Paused?: Maybe<boolean>;
    readonly Restarting?: Maybe<boolean>;
    readonly OOMKilled?: Maybe<boolean>;
    readonly Dead?: Maybe<boolean>;
    readonly Pid?: Maybe<number>;
    readonly ExitCode?: Maybe<number>;
    readonly Error?: Maybe<string>;
    readonly StartedAt?: Maybe<string>;
    readonly FinishedAt?: Maybe<string>;
    readonly Health?: Maybe<{
      readonly Status?: Maybe<string>;
      readonly Log?: Maybe<
        readonly {
          readonly Start?: Maybe<string>;
          readonly End?: Maybe<string>;
          readonly ExitCode?: Maybe<number>;
          readonly Output?: Maybe<string>;
        }[]
      >;
    }>;
  }>;
  readonly Config?: Maybe<{
    readonly Image?: Maybe<string>;
    readonly Labels?: Maybe<Record<string, string>>;
    readonly Tty?: Maybe<boolean>;
    readonly OpenStdin?: Maybe<boolean>;
  }>;
  readonly HostConfig?: Maybe<{
    readonly PortBindings?: Maybe<Record<string, Maybe<WirePortBinding[]>>>;
  }>;
  readonly NetworkSettings?: Maybe<{
    readonly Ports?: Maybe<Record<string, Maybe<WirePortBinding[]>>>;
    readonly Networks?: Maybe<
      Record<
        string,
        Maybe<{
          readonly NetworkID?: Maybe<string>;
          readonly IPAddress?: Maybe<string>;
          readonly Aliases?: Maybe<string[]>;
        }>
      >
    >;
  }>;
  readonly Mounts?: Maybe<
    {
      readonly Type?: Maybe<string>;
      readonly Name?: Maybe<string>;
      readonly Source?: Maybe<string>;
      readonly Destination?: Maybe<string>;
      readonly RW?: Maybe<boolean>;
    }[]
  >;
}

export interface WireContainerSummary {
  readonly Id: string;
  readonly Names?: Maybe<string[]>;
  readonly Image?: Maybe<string>;
  readonly ImageID?: Maybe<string>;
  readonly Command?: Maybe<string>;
  readonly Labels?: Maybe<Record<string, string>>;
  readonly State?: Maybe<string>;
  readonly Status?: Maybe<string>;
  readonly Created?: Maybe<number>;
  readonly Ports?: Maybe<
    {
      readonly IP?: Maybe<string>;
      readonly PrivatePort?: Maybe<number>;
      readonly PublicPort?: Maybe<number>;
      readonly Type?: Maybe<string>;
    }[]
  >;
  readonly Mounts?: Maybe<
    { readonly Name?: Maybe<string>; readonly Source?: Maybe<string>; readonly Driver?: Maybe<string> }[]
  >;
  readonly NetworkSettings?: Maybe<{ readonly Networks?: Maybe<Record<string, unknown>> }>;
}

export interface WireImageInspect {
  readonly Id: string;
  readonly RepoTags?: Maybe<string[]>;
  readonly RepoDigests?: Maybe<string[]>;
  readonly Created?: Maybe<string>;
  readonly Size?: Maybe<number>;
  readonly Os?: Maybe<string>;
  readonly Architecture?: Maybe<string>;
  readonly Variant?: Maybe<string>;
  readonly Metadata?: Maybe<{ readonly LastTagTime?: Maybe<string> }>;
  readonly Config?: Maybe<{
    readonly Env?: Maybe<string[]>;
    readonly Cmd?: Maybe<string[]>;
    readonly Entrypoint?: Maybe<string[]>;
    readonly WorkingDir?: Maybe<string>;
    readonly User?: Maybe<string>;
    readonly ExposedPorts?: Maybe<Record<string, unknown>>;
    readonly Volumes?: Maybe<Record<string, unknown>>;
    readonly StopSignal?: Maybe<string>;
    readonly Labels?: Maybe<Record<string, string>>;
  }>;
}

export interface WireImageSummary {
  readonly Id: string;
  readonly RepoTags?: Maybe<string[]>;
  readonly Size?: Maybe<number>;
  readonly Labels?: Maybe<Record<string, string>>;
  readonly Created?: Maybe<number>;
}

export interface WireIpamConfig {
  readonly Subnet?: Maybe<string>;
  readonly IPRange?: Maybe<string>;
  readonly Gateway?: Maybe<string>;
  readonly AuxiliaryAddresses?: Maybe<Record<string, string>>;
}

export interface WireNetwork {
  readonly Id: string;
  readonly Name: string;
  readonly Driver?: Maybe<string>;
  readonly Internal?: Maybe<boolean>;
  readonly Attachable?: Maybe<boolean>;
  readonly EnableIPv6?: Maybe<boolean>;
  readonly Labels?: Maybe<Record<string, string>>;
  readonly Created?: Maybe<string>;
  readonly IPAM?: Maybe<{ readonly Driver?: Maybe<string>; readonly Config?: Maybe<WireIpamConfig[]> }>;
  readonly Containers?: Maybe<
    Record<string, Maybe<{ readonly Name?: Maybe<string>; readonly IPv4Address?: Maybe<string> }>>
  >;
}

export interface WireVolume {
  readonly Name: string;
  readonly Driver?: Maybe<string>;
  readonly Mountpoint?: Maybe<string>;
  readonly Labels?: Maybe<Record<string, string>>;
  readonly Options?: Maybe<Record<string, string>>;
  readonly CreatedAt?: Maybe<string>;
}

export interface WireExecInspect {
  readonly Running?: Maybe<boolean>;
  readonly ExitCode?: Maybe<number>;
  readonly ProcessConfig?: Maybe<{ readonly tty?: Maybe<boolean> }>;
}

export interface WireVersion {
  readonly Version?: Maybe<string>;
  readonly ApiVersion?: Maybe<string>;
  readonly Os?: Maybe<string>;
  readonly Arch?: Maybe<string>;
  readonly Components?: Maybe<{ readonly Name?: Maybe<string>; readonly Version?: Maybe<string> }[]>;
}
