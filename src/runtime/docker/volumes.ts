/** Volumes over the Engine API; names are compared exactly (the engine's filter matches substrings). */
import type { LabelTerms, VolumeInfo, VolumeSpec, Volumes } from "../runtime.js";
import { toVolumeInfo } from "./convert.js";
import { type EngineApi, filtersParam } from "./engine-api.js";
import type { WireVolume } from "./wire.js";

const seg = encodeURIComponent;

export class DockerVolumes implements Volumes {
  private readonly api: EngineApi;

  constructor(api: EngineApi) {
    this.api = api;
  }

  async create(spec: VolumeSpec): Promise<VolumeInfo> {
    const volume = await this.api.jsonRequired<WireVolume>("POST", "/volumes/create", {
      json: {
        Name: spec.name,
        Driver: spec.driver ?? "local",
        // Left out when none, as Compose sends a nil map: the engine then keeps `Options: null`.
        DriverOpts: spec.driverOpts,
        Labels: spec.labels,
      },
    });
    return toVolumeInfo(volume);
  }

  async inspect(name: string): Promise<VolumeInfo | undefined> {
    const volume = await this.api.jsonOrUndefined<WireVolume>("GET", `/volumes/${seg(name)}`);
    return volume && toVolumeInfo(volume);
  }

  async list(filter: { readonly labels?: LabelTerms; readonly name?: string } = {}): Promise<VolumeInfo[]> {
    const answer = await this.api.json<{ Volumes?: WireVolume[] | null }>("GET", "/volumes", {
      query: {
        filters: filtersParam({
          label: filter.labels,
          name: filter.name !== undefined ? [filter.name] : undefined,
        }),
      },
    });
    const volumes = (answer?.Volumes ?? []).map(toVolumeInfo);
    return filter.name === undefined ? volumes : volumes.filter((v) => v.name === filter.name);
  }

  async remove(name: string, options: { readonly force?: boolean } = {}): Promise<void> {
    await this.api.empty("DELETE", `/volumes/${seg(name)}`, { query: { force: options.force } });
  }
}
