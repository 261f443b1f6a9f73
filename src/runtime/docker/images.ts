/**
 * Images over the Engine API. Pull, push, import and build answer 200 at once and report
 * failures in the progress stream, so every one of them reads the stream to its end.
 */
import type { Readable } from "node:stream";
import { ApiError } from "../errors.js";
import type {
  BuildSpec,
  BuildStep,
  ImageImportOptions,
  ImageInfo,
  ImageSummary,
  Images,
  LabelTerms,
  OnProgress,
  PullOptions,
} from "../runtime.js";
import { toImageInfo, toImageSummary } from "./convert.js";
import { abortReason, type EngineApi, filtersParam } from "./engine-api.js";
import { parseReference, pullTag } from "./reference.js";
import type { RegistryAuthStore } from "./registry-auth.js";
import { readProgress } from "./streams.js";
import type { WireImageInspect, WireImageSummary } from "./wire.js";

/** Image names go into paths with their slashes and colons (`/images/127.0.0.1:5000/app/json`). */
function imagePath(reference: string): string {
  return encodeURIComponent(reference).replace(/%2F/gi, "/").replace(/%3A/gi, ":").replace(/%40/g, "@");
}

/** The classic builder's own lines between steps, which are not the step's output. */
const BUILDER_CHATTER = /^( ---> |Removing intermediate container )/;
/** The builder colours a step's stderr red; the hint is plain text. */
// eslint-disable-next-line no-control-regex
const ANSI_ESCAPES = /\x1b\[[0-9;]*m/g;

/** How many lines of a failing build step's output go into the error's hint. */
const FAILED_STEP_LINES = 10;

/** The classic builder's line that begins a step: `Step 2/5 : RUN make`. */
const STEP_LINE = /^Step (\d+)\/(\d+) : (.*)$/s;

/** The step a build output line begins, when it begins one. */
export function buildStepOf(status: string): BuildStep | undefined {
  const match = STEP_LINE.exec(status);
  if (!match) return undefined;
  return { step: Number(match[1]), total: Number(match[2]), text: match[3] ?? "" };
}

export class DockerImages implements Images {
  private readonly api: EngineApi;
  private readonly auth: RegistryAuthStore;

  constructor(api: EngineApi, auth: RegistryAuthStore) {
    this.api = api;
    this.auth = auth;
  }

  async inspect(reference: string): Promise<ImageInfo | undefined> {
    const image = await this.api.jsonOrUndefined<WireImageInspect>(
      "GET",
      `/images/${imagePath(reference)}/json`,
    );
    return image && toImageInfo(image);
  }

  async list(
    filter: { readonly labels?: LabelTerms; readonly reference?: string } = {},
  ): Promise<ImageSummary[]> {
    const list = await this.api.json<WireImageSummary[]>("GET", "/images/json", {
      query: {
        filters: filtersParam({
          label: filter.labels,
          reference: filter.reference !== undefined ? [filter.reference] : undefined,
        }),
      },
    });
    return (list ?? []).map(toImageSummary);
  }

  async pull(reference: string, options: PullOptions, onProgress?: OnProgress): Promise<void> {
    const ref = parseReference(reference);
    const res = await this.api.call("POST", "/images/create", {
      // An empty tag would pull every tag of the repository: always name one.
      query: { fromImage: ref.repository, tag: pullTag(ref), platform: options.platform },
      headers: { "X-Registry-Auth": this.auth.header(ref.registry, options.auth) },
      signal: options.signal,
    });
    await readProgress(res.body, onProgress).catch((err: unknown) => {
      throw abortReason(options.signal, err);
    });
  }

  async push(reference: string, options: PullOptions, onProgress?: OnProgress): Promise<void> {
    const ref = parseReference(reference);
    const res = await this.api.call("POST", `/images/${imagePath(ref.repository)}/push`, {
      // An empty tag would push every tag: push the one named, or `latest`.
      query: { tag: ref.tag ?? "latest" },
      headers: { "X-Registry-Auth": this.auth.header(ref.registry, options.auth) },
      signal: options.signal,
    });
    await readProgress(res.body, onProgress).catch((err: unknown) => {
      throw abortReason(options.signal, err);
    });
  }

  async tag(source: string, target: string): Promise<void> {
    const ref = parseReference(target);
    await this.api.empty("POST", `/images/${imagePath(source)}/tag`, {
      query: { repo: ref.repository, tag: ref.tag ?? "latest" },
    });
  }

  async remove(
    reference: string,
    options: { readonly force?: boolean; readonly noPrune?: boolean } = {},
  ): Promise<void> {
    await this.api.empty("DELETE", `/images/${imagePath(reference)}`, {
      query: { force: options.force, noprune: options.noPrune },
    });
  }

  async importRootfs(
    tar: Readable,
    options: ImageImportOptions,
    onProgress?: OnProgress,
  ): Promise<{ readonly id: string }> {
    const ref = parseReference(options.reference);
    let id: string | undefined;
    const res = await this.api.call("POST", "/images/create", {
      query: { fromSrc: "-", repo: ref.repository, tag: ref.tag ?? "latest", changes: options.changes ?? [] },
      body: tar,
      headers: { "Content-Type": "application/x-tar" },
      signal: options.signal,
    });
    // The import's last status line is the new image's ID.
    await readProgress(res.body, (event) => {
      if (/^sha256:[0-9a-f]{64}$/.test(event.status)) id = event.status;
      onProgress?.(event);
    }).catch((err: unknown) => {
      throw abortReason(options.signal, err);
    });
    return { id: id ?? (await this.idOf(options.reference)) };
  }

  async build(spec: BuildSpec, onProgress?: OnProgress): Promise<{ readonly id: string }> {
    // Loaded on first build: its tar and .dockerignore code serve builds alone, and every other
    // command would pay for compiling it.
    const { contextTar, dockerfileFor } = await import("./build-context.js");
    const dockerfile = await dockerfileFor(spec.context, spec.dockerfile, spec.dockerfileInline);
    const registryConfig = this.auth.buildConfigHeader();
    const res = await this.api.call("POST", "/build", {
      query: {
        t: spec.tags,
        dockerfile: dockerfile.name,
        buildargs: spec.args && JSON.stringify(spec.args),
        labels: spec.labels && JSON.stringify(spec.labels),
        target: spec.target,
        cachefrom: spec.cacheFrom && JSON.stringify(spec.cacheFrom),
        networkmode: spec.networkMode,
        pull: spec.pull,
        nocache: spec.noCache,
        platform: spec.platform,
        extrahosts: spec.extraHosts,
        shmsize: spec.shmSizeBytes,
        rm: true,
        forcerm: true,
      },
      body: contextTar(spec.context, dockerfile.name, dockerfile.extra),
      headers: {
        "Content-Type": "application/x-tar",
        ...(registryConfig !== undefined ? { "X-Registry-Config": registryConfig } : {}),
      },
      signal: spec.signal,
    });

    // The current step's output, so a failing RUN can say what it printed.
    let stepOutput: string[] = [];
    let builtId: string | undefined;
    let aux: unknown[];
    try {
      ({ aux } = await readProgress(res.body, (event) => {
        const step = buildStepOf(event.status);
        if (step) stepOutput = [];
        else if (!BUILDER_CHATTER.test(event.status)) stepOutput.push(event.status.replace(ANSI_ESCAPES, ""));
        const built = /^Successfully built ([0-9a-f]{12,64})$/.exec(event.status);
        if (built) builtId = built[1];
        onProgress?.(step ? { ...event, step } : event);
      }));
    } catch (err) {
      if (!(err instanceof ApiError) || spec.signal?.aborted) throw abortReason(spec.signal, err);
      const tail = stepOutput.slice(-FAILED_STEP_LINES).join("\n").trim();
      throw new ApiError(err.message, {
        status: err.status,
        cause: err,
        hint: tail === "" ? undefined : `the step printed:\n${tail}`,
      });
    }
    const fromAux = aux
      .map((a) =>
        typeof a === "object" && a !== null && "ID" in a && typeof a.ID === "string" ? a.ID : undefined,
      )
      .filter((a) => a !== undefined)
      // A multi-stage build reports each stage's image: the last is the one built.
      .at(-1);
    const id = fromAux ?? builtId ?? (spec.tags[0] !== undefined ? await this.idOf(spec.tags[0]) : undefined);
    if (id === undefined) throw new ApiError("the build finished without reporting an image ID");
    return { id };
  }

  private async idOf(reference: string): Promise<string> {
    const image = await this.inspect(reference);
    if (!image) throw new ApiError(`image ${reference} is missing right after it was made`);
    return image.id;
  }
}
