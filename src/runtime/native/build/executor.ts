/**
 * `images.build` for the native runtime: the classic builder's steps over the Dockerfile parser
 * (dockerfile.ts), each step committed as an image (commit-step.ts). RUN runs in a container of
 * the native lifecycle (network none, the image's entrypoint cleared, the build's ARGs in its
 * environment); its upper dir becomes the step's layer (layer-diff.ts) and the container is removed
 * whatever happens. COPY/ADD (local sources) read the context as `docker build` sends it
 * (../../docker/build-context.ts: `.dockerignore` applied) and become a layer without a container.
 */
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import tar, { type Header } from "tar-stream";
import { dockerfileFor, contextTar } from "../../docker/build-context.js";
import { InvalidRequestError, NotFoundError, RuntimeError } from "../../errors.js";
import type { BuildSpec, Containers, OnProgress } from "../../runtime.js";
import type { StoreParts } from "../images/commit.js";
import type { OciContainerConfig } from "../images/config.js";
import { goArch } from "../images/config.js";
import { parseDigest } from "../images/digest.js";
import type { ImageStore } from "../images/image-store.js";
import { containerLayout } from "../containers/records.js";
import type { NativePaths } from "../paths.js";
import { commitStep, parentOf, type BuildParent } from "./commit-step.js";
import { argDefinitions, keyValues, parseDockerfile, stagesFor, type Instruction } from "./dockerfile.js";
import { INIT_MOUNT_POINTS, upperDirTar } from "./layer-diff.js";
import { expandWord, expandWords, type Lookup } from "./shell-words.js";
import { chunkBytes } from "../../../bytes.js";

export interface BuildDeps {
  readonly store: ImageStore & { readonly parts: StoreParts };
  readonly containers: Pick<Containers, "create" | "start" | "wait" | "logs" | "remove">;
  readonly paths: NativePaths;
}

interface State {
  parent: BuildParent;
  /** The image the steps so far made (undefined on scratch before any step). */
  id: string | undefined;
  config: OciContainerConfig;
  /** The ARGs the stage declared, with their values. */
  args: Map<string, string>;
  cmdSet: boolean;
}

const SCRATCH: BuildParent = {
  config: { architecture: goArch(), os: "linux", rootfs: { type: "layers", diff_ids: [] }, history: [] },
  layers: [],
};

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
  const escape = dockerfile.directives.escape;
  const buildArgs = spec.args ?? {};
  const meta = new Map<string, string>();
  for (const ins of dockerfile.metaArgs)
    for (const def of argDefinitions(ins, escape)) {
      const value =
        buildArgs[def.name] ??
        (def.value === undefined ? undefined : expandWord(def.value, (n) => meta.get(n), escape));
      if (value !== undefined) meta.set(def.name, value);
    }
  const stages = stagesFor(dockerfile, spec.target);
  const labels = Object.entries(spec.labels ?? {});
  const total = stages.reduce((n, s) => n + 1 + s.instructions.length, 0) + (labels.length > 0 ? 1 : 0);
  let step = 0;
  const begin = (ins: { text: string }): void => {
    step++;
    onProgress?.({ status: `Step ${step}/${total} : ${ins.text}`, step: { step, total, text: ins.text } });
  };
  const built = new Map<string, string>();
  let state: State | undefined;
  for (const stage of stages) {
    begin(stage.from);
    const base = expandWord(stage.base, (n) => meta.get(n), escape);
    const from = await parentFor(deps, built.get(base.toLowerCase()) ?? base);
    state = { ...from, config: { ...(from.parent.config.config ?? {}) }, args: new Map(), cmdSet: false };
    for (const ins of stage.instructions) {
      spec.signal?.throwIfAborted();
      begin(ins);
      await runInstruction(deps, spec, state, ins, escape, meta);
    }
    if (state.id === undefined) throw new InvalidRequestError(`stage ${stage.index} makes no image`);
    built.set(String(stage.index), state.id);
    if (stage.name !== undefined) built.set(stage.name, state.id);
  }
  const last = state!;
  if (labels.length > 0) {
    const text = `LABEL ${labels.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(" ")}`;
    begin({ text });
    last.config = { ...last.config, Labels: { ...(last.config.Labels ?? {}), ...spec.labels } };
    await commit(deps, spec, last, `/bin/sh -c #(nop)  ${text}`);
  }
  const id = last.id!;
  for (const tag of spec.tags) await deps.store.tag(id, tag);
  onProgress?.({ status: `Successfully built ${id.replace(/^sha256:/, "").slice(0, 12)}`, id });
  return { id };
}

async function parentFor(
  deps: BuildDeps,
  base: string,
): Promise<{ parent: BuildParent; id: string | undefined }> {
  if (base === "scratch") return { parent: SCRATCH, id: undefined };
  let resolved;
  try {
    resolved = await deps.store.resolve(base);
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    await deps.store.pull(base);
    resolved = await deps.store.resolve(base);
  }
  const record = await deps.store.parts.records.get(parseDigest(resolved.id, "image ID"));
  if (!record) throw new NotFoundError(`No such image: ${base}`);
  return { parent: parentOf(record, resolved.config), id: resolved.id };
}

async function commit(
  deps: BuildDeps,
  spec: BuildSpec,
  state: State,
  createdBy: string,
  layer?: Readable,
): Promise<void> {
  const record = await commitStep(deps.store.parts, {
    parent: state.parent,
    containerConfig: state.config,
    createdBy,
    layer,
    signal: spec.signal,
  });
  const config = (await deps.store.resolve(record.id)).config;
  state.id = record.id;
  state.parent = parentOf(record, config);
}

function envMap(config: OciContainerConfig): Map<string, string> {
  const map = new Map<string, string>();
  for (const entry of config.Env ?? []) {
    const eq = entry.indexOf("=");
    map.set(eq < 0 ? entry : entry.slice(0, eq), eq < 0 ? "" : entry.slice(eq + 1));
  }
  return map;
}

async function runInstruction(
  deps: BuildDeps,
  spec: BuildSpec,
  state: State,
  ins: Instruction,
  escape: string,
  meta: ReadonlyMap<string, string>,
): Promise<void> {
  const env = envMap(state.config);
  // ENV wins over ARG, as the classic builder filters build args by the config's env.
  const lookup: Lookup = (name) => env.get(name) ?? state.args.get(name);
  const nop = (text: string): Promise<void> => commit(deps, spec, state, `/bin/sh -c #(nop)  ${text}`);
  const shellForm = (args: string): string[] => [...(state.config.Shell ?? ["/bin/sh", "-c"]), args];
  switch (ins.keyword) {
    case "ENV": {
      const pairs = keyValues(ins, escape).map(
        ([k, v]) => [expandWord(k, lookup, escape), expandWord(v, lookup, escape)] as const,
      );
      for (const [k, v] of pairs) env.set(k, v);
      state.config = { ...state.config, Env: [...env].map(([k, v]) => `${k}=${v}`) };
      return nop(`ENV ${pairs.map(([k, v]) => `${k}=${v}`).join(" ")}`);
    }
    case "LABEL": {
      const pairs = keyValues(ins, escape).map(
        ([k, v]) => [expandWord(k, lookup, escape), expandWord(v, lookup, escape)] as const,
      );
      state.config = {
        ...state.config,
        Labels: { ...(state.config.Labels ?? {}), ...Object.fromEntries(pairs) },
      };
      return nop(`LABEL ${pairs.map(([k, v]) => `${k}=${v}`).join(" ")}`);
    }
    case "ARG": {
      for (const def of argDefinitions(ins, escape)) {
        const value =
          spec.args?.[def.name] ??
          (def.value !== undefined ? expandWord(def.value, lookup, escape) : meta.get(def.name));
        state.args.set(def.name, value ?? "");
      }
      return nop(ins.text);
    }
    case "WORKDIR": {
      const dir = expandWord(ins.args, lookup, escape);
      state.config = { ...state.config, WorkingDir: path.posix.resolve(state.config.WorkingDir || "/", dir) };
      return nop(`WORKDIR ${dir}`);
    }
    case "USER":
      state.config = { ...state.config, User: expandWord(ins.args, lookup, escape) };
      return nop(`USER ${state.config.User ?? ""}`);
    case "STOPSIGNAL":
      state.config = { ...state.config, StopSignal: expandWord(ins.args, lookup, escape) };
      return nop(ins.text);
    case "MAINTAINER":
      return nop(ins.text);
    case "EXPOSE": {
      const ports = expandWords(ins.args, lookup, escape).map((p) => (p.includes("/") ? p : `${p}/tcp`));
      state.config = {
        ...state.config,
        ExposedPorts: {
          ...(state.config.ExposedPorts ?? {}),
          ...Object.fromEntries(ports.map((p) => [p, {}])),
        },
      };
      return nop(`EXPOSE ${ports.join(" ")}`);
    }
    case "VOLUME": {
      const volumes = ins.json ?? expandWords(ins.args, lookup, escape);
      state.config = {
        ...state.config,
        Volumes: { ...(state.config.Volumes ?? {}), ...Object.fromEntries(volumes.map((v) => [v, {}])) },
      };
      return nop(`VOLUME [${volumes.join(" ")}]`);
    }
    case "SHELL":
      if (ins.json === undefined)
        throw new InvalidRequestError(`line ${ins.line}: SHELL requires the arguments to be in JSON form`);
      state.config = { ...state.config, Shell: ins.json };
      return nop(ins.text);
    case "CMD":
      state.config = { ...state.config, Cmd: ins.json ?? shellForm(ins.args) };
      state.cmdSet = true;
      return nop(`CMD ${JSON.stringify(state.config.Cmd)}`);
    case "ENTRYPOINT":
      state.config = {
        ...state.config,
        Entrypoint: ins.json ?? shellForm(ins.args),
        // A new entrypoint drops the base image's CMD, unless this stage set one.
        Cmd: state.cmdSet ? state.config.Cmd : null,
      };
      return nop(`ENTRYPOINT ${JSON.stringify(state.config.Entrypoint)}`);
    case "COPY":
    case "ADD":
      return copy(deps, spec, state, ins, lookup, escape);
    case "RUN":
      return run(deps, spec, state, ins, shellForm);
    default:
      throw new InvalidRequestError(
        `line ${ins.line}: ${ins.keyword} is not supported by the native builder yet`,
      );
  }
}

async function run(
  deps: BuildDeps,
  spec: BuildSpec,
  state: State,
  ins: Instruction,
  shellForm: (args: string) => string[],
): Promise<void> {
  const command = ins.json ?? shellForm(ins.args);
  const image = state.id;
  if (image === undefined)
    throw new InvalidRequestError(`line ${ins.line}: RUN needs a base image (FROM scratch has no shell)`);
  const argEnv = [...state.args].filter(([k]) => !envMap(state.config).has(k));
  const { id } = await deps.containers.create({
    name: `berth-build-${randomBytes(6).toString("hex")}`,
    image,
    labels: {},
    command,
    entrypoint: [],
    env: Object.fromEntries([...envMap(state.config), ...argEnv]),
    workingDir: state.config.WorkingDir || undefined,
    user: state.config.User || undefined,
    networkMode: "none",
  });
  try {
    await deps.containers.start(id);
    // An aborted build stops waiting; the removal below kills the step.
    const { exitCode } = await deps.containers.wait(id, spec.signal ? { signal: spec.signal } : {});
    if (exitCode !== 0) {
      const output: string[] = [];
      for await (const line of deps.containers.logs(id, { stdout: true, stderr: true }))
        output.push(line.line);
      throw new RuntimeError(
        `The command '${command.join(" ")}' returned a non-zero code: ${exitCode}${output.length > 0 ? `\n${output.join("\n")}` : ""}`,
      );
    }
    const prefix =
      argEnv.length > 0 ? `|${argEnv.length} ${argEnv.map(([k, v]) => `${k}=${v}`).join(" ")} ` : "";
    await commit(
      deps,
      spec,
      state,
      `${prefix}${command.join(" ")}`,
      Readable.from(
        upperDirTar(containerLayout(deps.paths, id).upper, {
          signal: spec.signal,
          mountPoints: INIT_MOUNT_POINTS,
        }),
      ),
    );
  } finally {
    await deps.containers.remove(id, { force: true });
  }
}

/** COPY/ADD of context files: the matching entries of the context tar, renamed under the destination. */
async function copy(
  deps: BuildDeps,
  spec: BuildSpec,
  state: State,
  ins: Instruction,
  lookup: Lookup,
  escape: string,
): Promise<void> {
  const unsupported = ins.flags.find((f) => f.name !== "chown");
  if (unsupported)
    throw new InvalidRequestError(
      `line ${ins.line}: ${ins.keyword} --${unsupported.name} is not supported by the native builder yet`,
    );
  const words = ins.json ?? expandWords(ins.args, lookup, escape);
  if (words.length < 2)
    throw new InvalidRequestError(`line ${ins.line}: ${ins.keyword} requires at least two arguments`);
  const sources = words.slice(0, -1).map((s) => path.posix.normalize(s).replace(/^\/+|\/+$/g, "") || ".");
  if (sources.some((s) => /[*?[]/.test(s) || s.startsWith("..") || /^https?:/.test(s)))
    throw new InvalidRequestError(
      `line ${ins.line}: ${ins.keyword} with wildcards, URLs or paths outside the context is not supported by the native builder yet`,
    );
  const rawDest = words[words.length - 1] ?? "";
  const dest = path.posix.resolve(state.config.WorkingDir || "/", rawDest).replace(/^\//, "");
  const intoDir = rawDest.endsWith("/") || sources.length > 1;
  const chown = ins.flags.find((f) => f.name === "chown")?.value;
  const [uidText = "", gidText] = (chown ?? "0:0").split(":");
  const uid = Number.parseInt(uidText, 10);
  const gid = gidText === undefined ? uid : Number.parseInt(gidText, 10);
  if (!Number.isInteger(uid) || !Number.isInteger(gid))
    throw new InvalidRequestError(`line ${ins.line}: --chown takes numeric ids in the native builder`);
  const { name: dockerfileName, extra } = await dockerfileFor(
    spec.context,
    spec.dockerfile,
    spec.dockerfileInline,
  );
  const out = tar.pack();
  const dirs = new Set<string>();
  const put = (h: Partial<Header> & Pick<Header, "name">, body?: Buffer): void => {
    const header = { ...h, uid, gid };
    if (h.type === "file") out.entry(header, body ?? Buffer.alloc(0));
    else out.entry(header);
  };
  const mkdirs = (dir: string): void => {
    const parts = dir.split("/").filter((p) => p !== "");
    for (let i = 1; i <= parts.length; i++) {
      const d = parts.slice(0, i).join("/");
      if (dirs.has(d)) continue;
      dirs.add(d);
      put({ name: `${d}/`, type: "directory", mode: 0o755, mtime: new Date() });
    }
  };
  let matched = new Set<string>();
  const extract = tar.extract();
  const reading = new Promise<void>((resolve, reject) => {
    extract.on("entry", (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on("data", (c: unknown) => chunks.push(chunkBytes(c)));
      stream.on("end", () => {
        const name = header.name.replace(/\/+$/, "");
        if (extra && name === extra.name) return next();
        for (const source of sources) {
          const under =
            source === "."
              ? name
              : name === source
                ? ""
                : name.startsWith(`${source}/`)
                  ? name.slice(source.length + 1)
                  : undefined;
          if (under === undefined) continue;
          matched = matched.add(source);
          const isDirSource = source === "." || header.type === "directory" || under !== "";
          const target =
            under === "" && !isDirSource
              ? intoDir
                ? `${dest}/${path.posix.basename(name)}`
                : dest
              : under === ""
                ? dest
                : `${dest}/${under}`;
          mkdirs(path.posix.dirname(target) === "." ? "" : path.posix.dirname(target));
          if (header.type === "directory") mkdirs(target);
          else put({ ...header, name: target }, Buffer.concat(chunks));
        }
        next();
      });
    });
    extract.on("finish", resolve);
    extract.on("error", reject);
  });
  mkdirs(intoDir ? dest : path.posix.dirname(dest) === "." ? "" : path.posix.dirname(dest));
  for await (const chunk of contextTar(spec.context, dockerfileName, extra)) {
    if (!extract.write(chunk)) await new Promise<void>((r) => extract.once("drain", () => r()));
  }
  extract.end(undefined);
  await reading;
  const missing = sources.find((s) => !matched.has(s));
  if (missing !== undefined)
    throw new NotFoundError(
      `${ins.keyword} failed: file not found in build context or excluded by .dockerignore: stat ${missing}: file does not exist`,
    );
  out.finalize();
  await commit(
    deps,
    spec,
    state,
    `/bin/sh -c #(nop) ${ins.keyword} ${sources.join(" ")} in ${rawDest} `,
    Readable.from(out),
  );
}
