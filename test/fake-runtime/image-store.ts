/**
 * The fake's images: what import, tag, pull, push, build and remove do to them, and the registry
 * push and pull reach (in memory, shared by nothing else).
 */
import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import type {
  BuildSpec,
  ImageImportOptions,
  ImageInfo,
  Images,
  Labels,
  OnProgress,
} from "../../src/runtime/runtime.js";
import { conflict, notFound, type StoreContext } from "./context.js";
import { matchesLabels } from "./engine-words.js";
import { readAll, readTar, type Tree } from "./files.js";
import { applyChanges, normalizeReference, repositoryOf } from "./image-config.js";

export interface ImageRecord {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  readonly created: Date;
  readonly size: number;
  readonly labels: Record<string, string>;
  readonly config: ImageInfo["config"];
  readonly files: Tree;
}

export interface ImageStoreContext extends StoreContext {
  /** The containers made from the image (it is removed only with force while they are). */
  usersOf(imageId: string): string[];
}

export class ImageStore {
  private readonly imageRecords = new Map<string, ImageRecord>();
  private readonly registry = new Map<string, { readonly image: ImageRecord; readonly digest: string }>();

  constructor(private readonly cx: ImageStoreContext) {}

  get(id: string): ImageRecord | undefined {
    return this.imageRecords.get(id);
  }

  /** Adds an image as a pull would have left it: an empty filesystem, `sh` to run unless `config` says otherwise. */
  seed(reference: string, config: Partial<ImageInfo["config"]> = {}, labels: Labels = {}): string {
    const id = `sha256:${createHash("sha256").update(`image ${reference}`).digest("hex")}`;
    const image = this.imageOf(id, {
      size: 0,
      labels: { ...labels },
      config: { env: [], exposedPorts: [], volumes: [], cmd: ["/bin/sh"], ...config },
      files: new Map(),
    });
    this.setTag(image, normalizeReference(reference));
    return id;
  }

  api(): Images {
    return {
      inspect: (reference) =>
        this.cx.call("images.inspect", [reference], () => this.findImage(reference)?.info),
      list: (filter = {}) =>
        this.cx.call("images.list", [filter], () =>
          [...this.imageRecords.values()]
            .filter((i) => matchesLabels(i.labels, filter.labels))
            .filter((i) => filter.reference === undefined || this.referenceMatches(i, filter.reference))
            .map((i) => ({
              id: i.id,
              repoTags: [...i.repoTags],
              size: i.size,
              labels: { ...i.labels },
              created: i.created,
            })),
        ),
      pull: (reference, _options, onProgress) =>
        this.cx.call("images.pull", [reference], () => {
          const normalized = normalizeReference(reference);
          const stored = this.registry.get(normalized);
          if (!stored) throw notFound(`manifest for ${normalized} not found: manifest unknown`);
          onProgress?.({
            status: `Pulling from ${repositoryOf(reference)}`,
            id: normalized.slice(normalized.lastIndexOf(":") + 1),
          });
          onProgress?.({ status: `Digest: ${stored.digest}` });
          const local =
            this.imageRecords.get(stored.image.id) ??
            this.addImage({ ...stored.image, repoTags: [], repoDigests: [] });
          this.setTag(local, normalized);
          const digest = `${repositoryOf(reference)}@${stored.digest}`;
          if (!local.repoDigests.includes(digest)) local.repoDigests.push(digest);
          onProgress?.({ status: `Status: Downloaded newer image for ${normalized}` });
          this.cx.emit({
            type: "image",
            action: "pull",
            id: normalized,
            attributes: { name: normalized },
            time: this.cx.now(),
          });
        }),
      push: (reference, _options, onProgress) =>
        this.cx.call("images.push", [reference], () => {
          const image = this.findImage(reference)?.record;
          if (!image) throw notFound(`An image does not exist locally with the tag: ${reference}`);
          const normalized = normalizeReference(reference);
          const digest = `sha256:${createHash("sha256").update(`${image.id}\0${normalized}`).digest("hex")}`;
          onProgress?.({ status: `The push refers to repository [${repositoryOf(reference)}]` });
          this.registry.set(normalized, { image, digest });
          const repoDigest = `${repositoryOf(reference)}@${digest}`;
          if (!image.repoDigests.includes(repoDigest)) image.repoDigests.push(repoDigest);
          onProgress?.({
            status: `${normalized.slice(normalized.lastIndexOf(":") + 1)}: digest: ${digest} size: ${image.size}`,
          });
          this.cx.emit({
            type: "image",
            action: "push",
            id: normalized,
            attributes: { name: normalized },
            time: this.cx.now(),
          });
        }),
      build: (spec, onProgress) => this.cx.call("images.build", [spec], () => this.build(spec, onProgress)),
      tag: (source, target) =>
        this.cx.call("images.tag", [source, target], () => {
          const image = this.findImage(source)?.record;
          if (!image) throw notFound(`No such image: ${source}`);
          this.setTag(image, normalizeReference(target));
        }),
      remove: (reference, options = {}) =>
        this.cx.call("images.remove", [reference, options], () =>
          this.removeImage(reference, options.force === true),
        ),
      importRootfs: (tarStream, options, onProgress) =>
        this.cx.call("images.importRootfs", [options], () =>
          this.importRootfs(tarStream, options, onProgress),
        ),
    };
  }

  private async importRootfs(
    tarStream: Readable,
    options: ImageImportOptions,
    onProgress?: OnProgress,
  ): Promise<{ id: string }> {
    const bytes = await readAll(tarStream);
    const files = await readTar(bytes);
    const labels: Record<string, string> = {};
    const config = applyChanges(options.changes ?? [], { env: [], exposedPorts: [], volumes: [] }, labels);
    const id = `sha256:${createHash("sha256")
      .update(bytes)
      .update(JSON.stringify([config, labels]))
      .digest("hex")}`;
    const image = this.imageOf(id, { size: bytes.length, labels, config, files });
    this.setTag(image, normalizeReference(options.reference));
    onProgress?.({ status: id });
    this.cx.emit({ type: "image", action: "import", id, attributes: { name: id }, time: this.cx.now() });
    return { id };
  }

  /** No Dockerfile is run: the image has the spec's tags and labels, an empty filesystem and `sh` to run. */
  private build(spec: BuildSpec, onProgress?: OnProgress): { id: string } {
    onProgress?.({ status: `Building ${spec.context}` });
    const labels = { ...spec.labels };
    const id = `sha256:${createHash("sha256")
      .update(JSON.stringify([spec.context, spec.dockerfile, spec.args, spec.target, labels]))
      .digest("hex")}`;
    const image = this.imageOf(id, {
      size: 0,
      labels,
      config: { env: [], exposedPorts: [], volumes: [], cmd: ["/bin/sh"] },
      files: new Map(),
    });
    for (const tag of spec.tags) this.setTag(image, normalizeReference(tag));
    return { id };
  }

  /** The image of `id`, made from `fields` when there is none yet (the same content is one image). */
  imageOf(id: string, fields: Pick<ImageRecord, "size" | "labels" | "config" | "files">): ImageRecord {
    return (
      this.imageRecords.get(id) ??
      this.addImage({ id, repoTags: [], repoDigests: [], created: this.cx.now(), ...fields })
    );
  }

  private addImage(image: ImageRecord): ImageRecord {
    const record = { ...image, repoTags: [...image.repoTags], repoDigests: [...image.repoDigests] };
    this.imageRecords.set(record.id, record);
    return record;
  }

  /** Moves `reference` onto `image` (a tag names one image). */
  setTag(image: ImageRecord, reference: string): void {
    for (const other of this.imageRecords.values()) {
      if (other !== image) other.repoTags = other.repoTags.filter((t) => t !== reference);
    }
    if (!image.repoTags.includes(reference)) image.repoTags.push(reference);
    this.cx.emit({
      type: "image",
      action: "tag",
      id: image.id,
      attributes: { name: reference },
      time: this.cx.now(),
    });
  }

  private referenceMatches(image: ImageRecord, reference: string): boolean {
    const tagged = reference.slice(reference.lastIndexOf("/") + 1).includes(":");
    return image.repoTags.some((t) => (tagged ? t === reference : repositoryOf(t) === reference));
  }

  findImage(reference: string): { record: ImageRecord; info: ImageInfo } | undefined {
    const normalized = normalizeReference(reference);
    const bare = reference.replace(/^sha256:/, "");
    const record = [...this.imageRecords.values()].find(
      (i) =>
        i.repoTags.includes(normalized) ||
        i.repoDigests.includes(reference) ||
        i.id === reference ||
        (/^[0-9a-f]{12,64}$/.test(bare) && i.id.startsWith(`sha256:${bare}`)),
    );
    if (!record) return undefined;
    return {
      record,
      info: {
        id: record.id,
        repoTags: [...record.repoTags],
        repoDigests: [...record.repoDigests],
        created: record.created,
        size: record.size,
        labels: { ...record.labels },
        config: record.config,
      },
    };
  }

  private removeImage(reference: string, force: boolean): void {
    const image = this.findImage(reference)?.record;
    if (!image) throw notFound(`No such image: ${reference}`);
    const users = this.cx.usersOf(image.id);
    const byTag = image.repoTags.includes(normalizeReference(reference));
    if (byTag && image.repoTags.length > 1) {
      image.repoTags = image.repoTags.filter((t) => t !== normalizeReference(reference));
      this.cx.emit({
        type: "image",
        action: "untag",
        id: image.id,
        attributes: { name: reference },
        time: this.cx.now(),
      });
      return;
    }
    if (!force && image.repoTags.length > 1) {
      throw conflict(
        `conflict: unable to delete ${image.id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories`,
      );
    }
    if (!force && users[0]) {
      throw conflict(
        `conflict: unable to remove repository reference "${reference}" (must force) - container ${users[0].slice(0, 12)} is using its referenced image ${image.id.slice(7, 19)}`,
      );
    }
    this.imageRecords.delete(image.id);
    this.cx.emit({
      type: "image",
      action: "delete",
      id: image.id,
      attributes: { name: reference },
      time: this.cx.now(),
    });
  }
}
