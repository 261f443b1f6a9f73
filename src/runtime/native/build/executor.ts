/**
 * `images.build` for the native runtime: the classic builder's steps over the Dockerfile parser
 * (dockerfile.ts), each step committed as an image (commit-step.ts) or taken from the build cache
 * (cache.ts, ` ---> Using cache`). Only the stages the target needs are built (stage-deps.ts, as
 * BuildKit skips the others); a stage named by FROM or `COPY --from` is built when first needed.
 * A base image's ONBUILD triggers run right after its FROM. RUN runs in a container of the native
 * lifecycle (network none, the image's entrypoint cleared, the build's ARGs in its environment);
 * its upper dir becomes the step's layer (layer-diff.ts) and the container is removed whatever
 * happens. COPY/ADD (copy-step.ts) and WORKDIR write through an overlay of the current image in
 * the build's scratch directory (scratch.ts), whose upper dir becomes the layer.
 */
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { dockerfileFor, type ExtraDockerfile } from "../../docker/build-context.js";
import { InvalidRequestError, NotFoundError, RuntimeError } from "../../errors.js";
import type { BuildSpec, Containers, OnProgress } from "../../runtime.js";
import type { StoreParts } from "../images/commit.js";
import { goArch } from "../images/config.js";
import { parseDigest } from "../images/digest.js";
import type { ImageStore } from "../images/image-store.js";
import { containerLayout } from "../containers/records.js";
import type { NativePaths } from "../paths.js";
import { type BuildCache, openBuildCache } from "./cache.js";
import { commitStep, parentOf, type BuildParent } from "./commit-step.js";
import {
  applyConfigInstruction,
  envMap,
  shellForm,
  type StageState,
  type WordContext,
} from "./config-steps.js";
import { extractContext } from "./context-dir.js";
import { mkdirAllNew } from "./copy-apply.js";
import { prepareCopy } from "./copy-step.js";
import {
  argDefinitions,
  parseDockerfile,
  parseTrigger,
  type Dockerfile,
  type Instruction,
  type Stage,
} from "./dockerfile.js";
import { INIT_MOUNT_POINTS, upperDirTar } from "./layer-diff.js";
import { openScratch, type Scratch } from "./scratch.js";
import { expandWord, type Lookup } from "./shell-words.js";
import { neededStages, stageNamed, targetIndex } from "./stage-deps.js";

export interface BuildDeps {
  readonly store: ImageStore & { readonly parts: StoreParts };
  readonly containers: Pick<Containers, "create" | "start" | "wait" | "logs" | "remove">;
  readonly paths: NativePaths;
}

interface State extends StageState {
  parent: BuildParent;
  /** The image the steps so far made (undefined on scratch before any step). */
  id: string | undefined;
}

const SCRATCH: BuildParent = {
  config: { architecture: goArch(), os: "linux", rootfs: { type: "layers", diff_ids: [] }, history: [] },
  layers: [],
};

const short = (id: string): string => id.replace(/^sha256:/, "").slice(0, 12);

export async function buildImage(
  deps: BuildDeps,
  spec: BuildSpec,
  onProgress?: OnProgress,
): Promise<{ readonly id: string }> {
  const { name: dockerfileName, extra } = await dockerfileFor(
    spec.context,
    spec.dockerfile,
    spec.dockerfileInline,
  );
  const text = extra?.content ?? (await readFile(path.join(spec.context, dockerfileName), "utf8"));
  const dockerfile = parseDockerfile(text, spec.dockerfile ?? "Dockerfile");
  const scratch = await openScratch(deps.paths);
  try {
    const build = new Build(deps, spec, dockerfile, scratch, { name: dockerfileName, extra }, onProgress);
    return await build.run();
  } finally {
    await scratch.close();
  }
}

class Build {
  private readonly escape: string;
  private readonly buildArgs: Readonly<Record<string, string>>;
  private readonly meta = new Map<string, string>();
  private readonly cache: BuildCache;
  private readonly images = new Map<number, Promise<string>>();
  private context: Promise<string> | undefined;
  private step = 0;
  private total = 0;

  constructor(
    private readonly deps: BuildDeps,
    private readonly spec: BuildSpec,
    private readonly dockerfile: Dockerfile,
    private readonly scratch: Scratch,
    private readonly dockerfileRef: { readonly name: string; readonly extra?: ExtraDockerfile | undefined },
    private readonly onProgress: OnProgress | undefined,
  ) {
    this.escape = dockerfile.directives.escape;
    this.buildArgs = spec.args ?? {};
    for (const ins of dockerfile.metaArgs)
      for (const def of argDefinitions(ins, this.escape)) {
        const value =
          this.buildArgs[def.name] ??
          (def.value === undefined ? undefined : expandWord(def.value, (n) => this.meta.get(n), this.escape));
        if (value !== undefined) this.meta.set(def.name, value);
      }
    this.cache = openBuildCache(deps.paths, deps.store.parts);
  }

  private progress(status: string): void {
    this.onProgress?.({ status });
  }

  private begin(ins: { text: string }): void {
    this.step++;
    this.total = Math.max(this.total, this.step);
    this.onProgress?.({
      status: `Step ${this.step}/${this.total} : ${ins.text}`,
      step: { step: this.step, total: this.total, text: ins.text },
    });
  }

  /** A word of `stage` as far as it is known before the build (for which stages are needed). */
  private staticWord(stage: Stage, word: string): string {
    const args = new Map(this.meta);
    for (const ins of stage.instructions)
      if (ins.keyword === "ARG")
        for (const def of argDefinitions(ins, this.escape))
          args.set(def.name, this.buildArgs[def.name] ?? def.value ?? this.meta.get(def.name) ?? "");
    return expandWord(word, (n) => args.get(n), this.escape);
  }

  async run(): Promise<{ readonly id: string }> {
    const target = targetIndex(this.dockerfile, this.spec.target);
    const needed = neededStages(this.dockerfile, target, (stage, word) => this.staticWord(stage, word));
    const labels = Object.entries(this.spec.labels ?? {});
    this.total =
      needed.reduce((n, i) => n + 1 + this.dockerfile.stages[i]!.instructions.length, 0) +
      (labels.length > 0 ? 1 : 0);
    for (const index of needed) await this.stageImage(index);
    let id = await this.stageImage(target);
    if (labels.length > 0) {
      const state = await this.stateOf(id);
      const text = `LABEL ${labels.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(" ")}`;
      this.begin({ text });
      state.config = { ...state.config, Labels: { ...(state.config.Labels ?? {}), ...this.spec.labels } };
      await this.nop(state, text);
      id = state.id!;
    }
    for (const tag of this.spec.tags) await this.deps.store.tag(id, tag);
    this.progress(`Successfully built ${short(id)}`);
    return { id };
  }

  /** The image of stage `index`, built once, when first needed. */
  private stageImage(index: number): Promise<string> {
    let pending = this.images.get(index);
    if (!pending) {
      pending = this.buildStage(this.dockerfile.stages[index]!);
      this.images.set(index, pending);
    }
    return pending;
  }

  private async stateOf(id: string | undefined): Promise<State> {
    if (id === undefined)
      return { parent: SCRATCH, id: undefined, config: {}, args: new Map(), cmdSet: false };
    const resolved = await this.deps.store.resolve(id);
    const record = await this.deps.store.parts.records.get(parseDigest(resolved.id, "image ID"));
    if (!record) throw new NotFoundError(`No such image: ${id}`);
    return {
      parent: parentOf(record, resolved.config),
      id: resolved.id,
      config: { ...(resolved.config.config ?? {}) },
      args: new Map(),
      cmdSet: false,
    };
  }

  /** An image by reference: pulled when missing, or always with `pull`. */
  private async image(reference: string): Promise<string> {
    if (this.spec.pull) await this.deps.store.pull(reference);
    try {
      return (await this.deps.store.resolve(reference)).id;
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      await this.deps.store.pull(reference);
      return (await this.deps.store.resolve(reference)).id;
    }
  }

  private async buildStage(stage: Stage): Promise<string> {
    this.begin(stage.from);
    const base = expandWord(stage.base, (n) => this.meta.get(n), this.escape);
    const baseStage = stageNamed(this.dockerfile, base, stage.index);
    const id = baseStage
      ? await this.stageImage(baseStage.index)
      : base === "scratch"
        ? undefined
        : await this.image(base);
    const state = await this.stateOf(id);
    if (id !== undefined) this.progress(` ---> ${short(id)}`);
    const triggers = state.config.OnBuild ?? [];
    if (triggers.length > 0) {
      this.progress(`# Executing ${triggers.length} build trigger${triggers.length > 1 ? "s" : ""}`);
      state.config = { ...state.config, OnBuild: [] };
      for (const trigger of triggers) await this.instruction(state, parseTrigger(trigger, stage.from.line));
    }
    for (const ins of stage.instructions) {
      this.spec.signal?.throwIfAborted();
      this.begin(ins);
      await this.instruction(state, ins);
    }
    if (state.id === undefined) throw new InvalidRequestError(`stage ${stage.index} makes no image`);
    return state.id;
  }

  private words(state: State): WordContext {
    const env = envMap(state.config);
    // ENV wins over ARG, as the classic builder filters build args by the config's env.
    const lookup: Lookup = (name) => env.get(name) ?? state.args.get(name);
    return { lookup, escape: this.escape, buildArgs: this.buildArgs, meta: this.meta };
  }

  private shell(state: State): readonly string[] {
    return state.config.Shell ?? ["/bin/sh", "-c"];
  }

  private async instruction(state: State, ins: Instruction): Promise<void> {
    const words = this.words(state);
    const text = applyConfigInstruction(state, ins, words);
    if (text !== undefined) return this.nop(state, text);
    switch (ins.keyword) {
      case "WORKDIR":
        return this.workdir(state, expandWord(ins.args, words.lookup, this.escape));
      case "COPY":
      case "ADD":
        return this.copy(state, ins, words);
      case "RUN":
        return this.runStep(state, ins);
      default:
        throw new InvalidRequestError(
          `line ${ins.line}: ${ins.keyword} is not supported by the native builder`,
        );
    }
  }

  /** The cached image for this step, taken as the state's; false when there is none (or no cache). */
  private async fromCache(state: State, createdBy: string): Promise<boolean> {
    if (this.spec.noCache) return false;
    const hit = await this.cache.find(state.id, createdBy, state.config);
    if (hit === undefined) return false;
    const cached = await this.stateOf(hit);
    state.id = cached.id;
    state.parent = cached.parent;
    this.progress(" ---> Using cache");
    this.progress(` ---> ${short(hit)}`);
    return true;
  }

  private async commit(state: State, createdBy: string, layer?: Readable): Promise<void> {
    const before = state.id;
    const record = await commitStep(this.deps.store.parts, {
      parent: state.parent,
      containerConfig: state.config,
      createdBy,
      layer,
      signal: this.spec.signal,
    });
    const config = (await this.deps.store.resolve(record.id)).config;
    state.id = record.id;
    state.parent = parentOf(record, config);
    await this.cache.record(before, record.id);
    this.progress(` ---> ${short(record.id)}`);
  }

  private async nop(state: State, text: string): Promise<void> {
    const createdBy = `${this.shell(state).join(" ")} #(nop)  ${text}`;
    if (await this.fromCache(state, createdBy)) return;
    await this.commit(state, createdBy);
  }

  private async layerDirs(state: State): Promise<readonly string[]> {
    return state.id === undefined ? [] : (await this.deps.store.resolve(state.id)).layerDirs;
  }

  /** Runs `write` on the current image's filesystem and commits what it changed as the step. */
  private async writeStep(
    state: State,
    createdBy: string,
    write: (root: string) => Promise<void>,
  ): Promise<void> {
    const mounted = await this.scratch.mount(await this.layerDirs(state), true);
    try {
      await write(mounted.root);
    } finally {
      await mounted.unmount();
    }
    await this.commit(
      state,
      createdBy,
      Readable.from(upperDirTar(mounted.upper, { signal: this.spec.signal })),
    );
  }

  /** WORKDIR: the directory is made in the image, as dockerd makes it (nothing before an image exists). */
  private async workdir(state: State, dir: string): Promise<void> {
    const workingDir = path.posix.resolve(state.config.WorkingDir || "/", dir);
    state.config = { ...state.config, WorkingDir: workingDir };
    if (state.id === undefined) return;
    const createdBy = `${this.shell(state).join(" ")} #(nop) WORKDIR ${workingDir}`;
    if (await this.fromCache(state, createdBy)) return;
    await this.writeStep(state, createdBy, async (root) => {
      await mkdirAllNew(root, workingDir, { uid: 0, gid: 0 });
    });
  }

  private contextRoot(): Promise<string> {
    this.context ??= (async () => {
      const dir = await this.scratch.dir("context");
      await extractContext(this.spec.context, this.dockerfileRef.name, this.dockerfileRef.extra, dir);
      return dir;
    })();
    return this.context;
  }

  private async fromLayers(ref: string, before: number): Promise<readonly string[]> {
    const stage = stageNamed(this.dockerfile, ref, before);
    const id = stage ? await this.stageImage(stage.index) : await this.image(ref);
    return (await this.deps.store.resolve(id)).layerDirs;
  }

  private async copy(state: State, ins: Instruction, words: WordContext): Promise<void> {
    const stageIndex = this.dockerfile.stages.findIndex((s) => s.instructions.includes(ins));
    const prepared = await prepareCopy(
      {
        scratch: this.scratch,
        contextRoot: () => this.contextRoot(),
        fromLayers: (ref) =>
          this.fromLayers(ref, stageIndex < 0 ? this.dockerfile.stages.length : stageIndex),
        signal: this.spec.signal,
      },
      ins,
      words,
      state.config.WorkingDir ?? "",
      this.shell(state),
    );
    try {
      if (await this.fromCache(state, prepared.createdBy)) return;
      await this.writeStep(state, prepared.createdBy, (root) => prepared.apply(root));
    } finally {
      await prepared.release();
    }
  }

  private async runStep(state: State, ins: Instruction): Promise<void> {
    const command = ins.json ?? shellForm(state.config, ins.args);
    const image = state.id;
    if (image === undefined)
      throw new InvalidRequestError(`line ${ins.line}: RUN needs a base image (FROM scratch has no shell)`);
    const env = envMap(state.config);
    const argEnv = [...state.args].filter(([k]) => !env.has(k));
    const prefix =
      argEnv.length > 0 ? `|${argEnv.length} ${argEnv.map(([k, v]) => `${k}=${v}`).join(" ")} ` : "";
    const createdBy = `${prefix}${command.join(" ")}`;
    if (await this.fromCache(state, createdBy)) return;
    const { id } = await this.deps.containers.create({
      name: `berth-build-${randomBytes(6).toString("hex")}`,
      image,
      labels: {},
      command,
      entrypoint: [],
      env: Object.fromEntries([...env, ...argEnv]),
      workingDir: state.config.WorkingDir || undefined,
      user: state.config.User || undefined,
      networkMode: "none",
    });
    this.progress(` ---> Running in ${short(id)}`);
    try {
      await this.deps.containers.start(id);
      // An aborted build stops waiting; the removal below kills the step.
      const { exitCode } = await this.deps.containers.wait(
        id,
        this.spec.signal ? { signal: this.spec.signal } : {},
      );
      if (exitCode !== 0) {
        // The step's last lines as a hint, as the Docker backend gives them (docker/images.ts).
        const output: string[] = [];
        for await (const line of this.deps.containers.logs(id, { stdout: true, stderr: true, tail: 10 }))
          output.push(line.line);
        const tail = output.join("\n").trim();
        throw new RuntimeError(
          `The command '${command.join(" ")}' returned a non-zero code: ${exitCode}`,
          tail === "" ? {} : { hint: `the step printed:\n${tail}` },
        );
      }
      await this.commit(
        state,
        createdBy,
        Readable.from(
          upperDirTar(containerLayout(this.deps.paths, id).upper, {
            signal: this.spec.signal,
            mountPoints: INIT_MOUNT_POINTS,
          }),
        ),
      );
    } finally {
      await this.deps.containers.remove(id, { force: true });
      this.progress(`Removing intermediate container ${short(id)}`);
    }
  }
}
