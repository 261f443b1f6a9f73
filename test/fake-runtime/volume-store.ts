/** The fake's volumes: created once per name (a second create answers the first), removed when unused. */
import type { VolumeInfo, Volumes, VolumeSpec } from "../../src/runtime/runtime.js";
import { conflict, notFound, type StoreContext } from "./context.js";
import { matchesLabels } from "./engine-words.js";
import type { Tree } from "./files.js";

export interface VolumeRecord {
  readonly name: string;
  readonly driver: string;
  readonly labels: Record<string, string>;
  readonly options: Record<string, string>;
  readonly created: Date;
  readonly files: Tree;
  /** The container that made it as an anonymous volume (removed with it when asked). */
  readonly anonymousOf?: string | undefined;
}

export interface VolumeStoreContext extends StoreContext {
  /** The containers mounting the volume (it is not removed while there is one). */
  usersOf(name: string): string[];
}

export class VolumeStore {
  private readonly records = new Map<string, VolumeRecord>();

  constructor(private readonly cx: VolumeStoreContext) {}

  api(): Volumes {
    return {
      create: (spec) => this.cx.call("volumes.create", [spec], () => this.info(this.create(spec))),
      inspect: (name) =>
        this.cx.call("volumes.inspect", [name], () => {
          const volume = this.records.get(name);
          return volume ? this.info(volume) : undefined;
        }),
      list: (filter = {}) =>
        this.cx.call("volumes.list", [filter], () =>
          [...this.records.values()]
            .filter((v) => matchesLabels(v.labels, filter.labels))
            .filter((v) => filter.name === undefined || v.name === filter.name)
            .map((v) => this.info(v)),
        ),
      remove: (name, options = {}) =>
        this.cx.call("volumes.remove", [name, options], () => {
          if (!this.records.has(name)) throw notFound(`get ${name}: no such volume`);
          const users = this.cx.usersOf(name);
          if (users.length > 0) throw conflict(`remove ${name}: volume is in use - [${users.join(", ")}]`);
          this.drop(name);
        }),
    };
  }

  /** An existing volume of the name is the answer, as the engine gives it. */
  create(spec: VolumeSpec, anonymousOf?: string): VolumeRecord {
    const existing = this.records.get(spec.name);
    if (existing) return existing;
    const volume: VolumeRecord = {
      name: spec.name,
      driver: spec.driver ?? "local",
      labels: { ...spec.labels },
      options: { ...spec.driverOpts },
      created: this.cx.now(),
      files: new Map(),
      anonymousOf,
    };
    this.records.set(spec.name, volume);
    const attributes = { ...volume.labels, driver: volume.driver };
    this.cx.emit({ type: "volume", action: "create", id: spec.name, attributes, time: this.cx.now() });
    return volume;
  }

  /** Removes the anonymous volumes container `id` made among `names`. */
  removeAnonymous(id: string, names: readonly (string | undefined)[]): void {
    for (const name of names) {
      if (name !== undefined && this.records.get(name)?.anonymousOf === id) this.drop(name);
    }
  }

  info(volume: VolumeRecord): VolumeInfo {
    return {
      name: volume.name,
      driver: volume.driver,
      mountpoint: `/var/lib/berth-fake/volumes/${volume.name}/_data`,
      labels: { ...volume.labels },
      options: { ...volume.options },
      created: volume.created,
    };
  }

  private drop(name: string): void {
    const volume = this.records.get(name);
    if (!volume) return;
    this.records.delete(name);
    const attributes = { ...volume.labels };
    this.cx.emit({ type: "volume", action: "destroy", id: name, attributes, time: this.cx.now() });
  }
}
