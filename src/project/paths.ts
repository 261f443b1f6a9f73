/**
 * Stage 8 (and, for include and extends, before merge): relative paths in a compose tree become
 * absolute, against the directory of the file they were written in. This mirrors compose-go's
 * `paths` package (`paths/resolve.go`, `context.go`, `unix.go`, `home.go`), which runs on the
 * canonical tree; here it also accepts the raw tree (short syntax still present), because include
 * and extends resolve trees from other directories before merge.
 * The shape of the tree is kept: a short volume string stays a short string, with its source resolved.
 *
 * What is resolved, as Compose does:
 * - `services.*.build` (string form) and `build.context`, `build.additional_contexts.*` — unless a URL
 *   (`://`), a `service:` reference or a Git/HTTP remote; `build.dockerfile` stays relative to the context
 * - `services.*.build.ssh` paths (`id=path`, or the mapping form's values)
 * - `services.*.env_file` (string, list of strings, list of `{path}`), `services.*.label_file`
 * - `services.*.extends.file` (unless a remote reference)
 * - `services.*.develop.watch[].path` (symlinks in the path resolved, as `utils.ResolveSymbolicLink`)
 * - `services.*.volumes[]` bind sources (short `./x:/y`, `~/x:/y`, long `type: bind`)
 * - `secrets.*.file`, `configs.*.file`, `volumes.*.driver_opts.device` (local driver with `o: bind`)
 * - `include[]` path, env_file and project_directory
 * `~` at the start of a path is the home directory. Absolute paths are kept as written.
 */
import { homedir } from "node:os";
import { lstatSync, realpathSync } from "node:fs";
import { posix } from "node:path";
import { compilePatterns, walkPatterns, type PathPattern } from "./path-pattern.js";
import { isMapping, isSequence, type Mapping, type Node } from "./tree.js";

export interface ResolvePathsOptions {
  /**
   * Give a `build` mapping without `context` the context `.` (then made absolute), as Compose's
   * default-values pass does before it resolves paths. On by default: a tree loaded from another
   * directory (include, extends) must carry its own context. Turn off only for a partial tree that
   * will be merged over one that already has a context.
   */
  readonly defaultBuildContext?: boolean;
  /** The home directory for `~`; defaults to the user's. */
  readonly homeDir?: string;
}

/**
 * `tree` with every relative path Compose resolves made absolute against `baseDir`. `tree` is not
 * modified; the result shares the subtrees that hold no path with it.
 */
export function resolveRelativePaths(
  tree: Mapping,
  baseDir: string,
  options: ResolvePathsOptions = {},
): Mapping {
  return new Resolver(baseDir, options).walk(tree) as Mapping;
}

/** A rule returns the value with its paths resolved: a new value when it changes something. */
type Rule = (value: Node, r: Resolver) => Node;

const RULES: Readonly<Record<PathPattern, Rule>> = {
  "services.*.build": (v, r) => r.build(v),
  "services.*.env_file": (v, r) => r.envFile(v),
  "services.*.label_file": (v, r) => r.eachString(v, (s) => r.absPath(s)),
  "services.*.extends": (v, r) => r.extendsFile(v),
  "services.*.develop.watch.[]": (v, r) => r.watch(v),
  "services.*.volumes.[]": (v, r) => r.volumeMount(v),
  "secrets.*.file": (v, r) => r.eachString(v, (s) => r.maybeUnixPath(s)),
  "configs.*.file": (v, r) => r.eachString(v, (s) => r.maybeUnixPath(s)),
  "volumes.*": (v, r) => r.volumeDriverOpts(v),
  "include.[]": (v, r) => r.include(v),
};

const COMPILED_RULES = compilePatterns(RULES);

class Resolver {
  private readonly home: string;

  constructor(
    private readonly baseDir: string,
    private readonly options: ResolvePathsOptions,
  ) {
    this.home = options.homeDir ?? homedir();
  }

  walk(node: Node): Node {
    return walkPatterns(node, COMPILED_RULES, (value, rule) => rule(value, this), false);
  }

  // --- the resolvers of compose-go's paths package -------------------------------------------------

  /** `ExpandUser`: a leading `~` is the home directory (`~foo` too, as Go's filepath.Join does it). */
  expandUser(p: string): string {
    return p.startsWith("~") ? goJoin(this.home, p.slice(1)) : p;
  }

  /** `absPath`: expand `~`; keep absolute paths as written; join relative ones to the base directory. */
  absPath(p: string): string {
    const expanded = this.expandUser(p);
    if (posix.isAbsolute(expanded)) return expanded;
    return expanded === "" ? expanded : goJoin(this.baseDir, expanded);
  }

  /** `maybeUnixPath`: like absPath, but a Windows absolute path (`C:\x`, `\\host\share`) is kept too. */
  maybeUnixPath(p: string): string {
    const expanded = this.expandUser(p);
    if (posix.isAbsolute(expanded) || isWindowsAbs(expanded)) return expanded;
    return goJoin(this.baseDir, expanded);
  }

  /** `absContextPath`: URLs, `service:` references and Git/HTTP remotes are not paths. */
  contextPath(p: string): string {
    if (p.includes("://") || p.startsWith("service:") || isRemoteContext(p)) return p;
    return this.absPath(p);
  }

  eachString(value: Node, fn: (s: string) => string): Node {
    if (typeof value === "string") return fn(value);
    if (isSequence(value)) return value.map((item) => (typeof item === "string" ? fn(item) : item));
    return value;
  }

  build(value: Node): Node {
    if (typeof value === "string") return this.contextPath(value);
    if (!isMapping(value)) return value;
    const out: Mapping = { ...value };
    if (out.context === undefined && this.options.defaultBuildContext !== false) out.context = ".";
    if (typeof out.context === "string") out.context = this.contextPath(out.context);
    const extra = out.additional_contexts;
    if (isMapping(extra)) {
      const resolved: Mapping = { ...extra };
      for (const [name, ctx] of Object.entries(resolved)) {
        if (typeof ctx === "string") resolved[name] = this.contextPath(ctx);
      }
      out.additional_contexts = resolved;
    } else if (isSequence(extra)) {
      out.additional_contexts = extra.map((entry) => {
        if (typeof entry !== "string") return entry;
        const eq = entry.indexOf("=");
        return eq < 0 ? entry : `${entry.slice(0, eq)}=${this.contextPath(entry.slice(eq + 1))}`;
      });
    }
    const ssh = out.ssh;
    if (isSequence(ssh)) {
      out.ssh = ssh.map((entry) => {
        if (typeof entry !== "string") return entry;
        const eq = entry.indexOf("=");
        return eq < 0 ? entry : `${entry.slice(0, eq)}=${this.maybeUnixPath(entry.slice(eq + 1))}`;
      });
    } else if (isMapping(ssh)) {
      const resolved: Mapping = { ...ssh };
      for (const [id, keyPath] of Object.entries(resolved)) {
        if (typeof keyPath === "string" && keyPath !== "") resolved[id] = this.maybeUnixPath(keyPath);
      }
      out.ssh = resolved;
    }
    return out;
  }

  envFile(value: Node): Node {
    if (typeof value === "string") return this.absPath(value);
    if (!isSequence(value)) return value;
    return value.map((entry) => {
      if (typeof entry === "string") return this.absPath(entry);
      if (isMapping(entry) && typeof entry.path === "string")
        return { ...entry, path: this.absPath(entry.path) };
      return entry;
    });
  }

  extendsFile(value: Node): Node {
    if (isMapping(value) && typeof value.file === "string" && !isRemoteResource(value.file)) {
      return { ...value, file: this.absPath(value.file) };
    }
    return value;
  }

  watch(value: Node): Node {
    if (!isMapping(value) || value.path === undefined) return value;
    return { ...value, path: this.eachString(value.path, (p) => resolveSymbolicLink(this.absPath(p))) };
  }

  volumeMount(value: Node): Node {
    if (typeof value === "string") {
      let spec: VolumeSpec;
      try {
        spec = parseVolumeSpec(value);
      } catch {
        return value; // normalize reports the bad spec where it was written
      }
      if (spec.type !== "bind" || spec.source === undefined) return value;
      return this.maybeUnixPath(spec.source) + value.slice(spec.source.length);
    }
    if (isMapping(value) && value.type === "bind" && typeof value.source === "string") {
      return { ...value, source: this.maybeUnixPath(value.source) };
    }
    return value;
  }

  volumeDriverOpts(value: Node): Node {
    if (!isMapping(value) || value.driver !== "local") return value;
    const opts = value.driver_opts;
    if (isMapping(opts) && opts.o === "bind" && typeof opts.device === "string") {
      return { ...value, driver_opts: { ...opts, device: this.maybeUnixPath(opts.device) } };
    }
    return value;
  }

  include(value: Node): Node {
    if (typeof value === "string") return this.absPath(value);
    if (!isMapping(value)) return value;
    const out: Mapping = { ...value };
    if (out.path !== undefined) out.path = this.eachString(out.path, (p) => this.absPath(p));
    if (out.env_file !== undefined) out.env_file = this.eachString(out.env_file, (p) => this.absPath(p));
    if (typeof out.project_directory === "string") {
      out.project_directory = this.absPath(out.project_directory);
    }
    return out;
  }
}

/** Go's `filepath.Join` on Unix: join the non-empty parts with `/`, then `Clean`. */
export function goJoin(...parts: string[]): string {
  const joined = parts.filter((p) => p !== "").join("/");
  return joined === "" ? "" : goClean(joined);
}

/** Go's `path.Clean`: no trailing slash, `.`/`..` resolved, repeated slashes collapsed. */
export function goClean(p: string): string {
  if (p === "") return ".";
  const cleaned = posix.normalize(p);
  return cleaned.length > 1 && cleaned.endsWith("/") ? cleaned.slice(0, -1) : cleaned;
}

/** The prefixes buildkit reads as a remote build context (compose-go `paths/context.go`). */
function isRemoteContext(value: string): boolean {
  return ["https://", "http://", "git://", "ssh://", "github.com/", "git@"].some((p) => value.startsWith(p));
}

/** `extends.file` handled by a remote resource loader (docker compose's Git and OCI loaders). */
function isRemoteResource(value: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(value) || value.startsWith("git@");
}

const WINDOWS_RESERVED = /^(CON|PRN|AUX|NUL|COM[1-9]|LPT[1-9])$/i;

/** compose-go `paths.IsWindowsAbs`: `C:\x`, `C:/x`, `\\host\share\x`, or a reserved device name. */
export function isWindowsAbs(p: string): boolean {
  if (WINDOWS_RESERVED.test(p)) return true;
  if (/^[A-Za-z]:[\\/]/.test(p)) return true;
  // UNC: \\host\share followed by a separator
  return /^[\\/]{2}[^\\/.][^\\/]*[\\/][^\\/]+[\\/]/.test(p);
}

/**
 * `utils.ResolveSymbolicLink`: walk the path from the root; at the first component that is a
 * symbolic link, replace that prefix with where the link leads. Paths that do not exist are kept.
 */
function resolveSymbolicLink(p: string): string {
  if (!posix.isAbsolute(p)) return p;
  let current = "/";
  for (const part of p.split("/")) {
    if (part === "") continue;
    current = posix.join(current, part);
    let isLink = false;
    try {
      isLink = lstatSync(current).isSymbolicLink();
    } catch {
      return p;
    }
    if (isLink) {
      try {
        return p.replace(current, realpathSync(current));
      } catch {
        return p;
      }
    }
  }
  return p;
}

// --- volume short syntax (compose-go `format/volume.go`) ----------------------------------------------

export interface VolumeSpec {
  readonly type: "bind" | "volume";
  /** As written (not resolved); absent for an anonymous volume. */
  readonly source?: string;
  readonly target: string;
  readonly read_only: boolean;
  readonly bind?: {
    readonly propagation?: string;
    readonly selinux?: string;
    readonly create_host_path?: true;
  };
  /** `{}` for a named or anonymous volume (Compose prints `volume: {}`), `{nocopy: true}` with `:nocopy`. */
  readonly volume?: { readonly nocopy?: true };
}

/** A short volume spec that cannot be read: Compose's message, and its `reason` alone (`too many colons`). */
export class VolumeSpecError extends Error {
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super(message);
  }
}

const PROPAGATIONS = new Set(["rprivate", "private", "rshared", "shared", "rslave", "slave"]);

/**
 * `[source:]target[:options]` → its parts, as `format.ParseVolume` reads it: a source starting with
 * `.`, `/`, `~`, `\\` or a drive letter is a bind mount, anything else a named volume; options are
 * `ro`, `rw`, `nocopy`, `z`, `Z` and the propagation modes (others are ignored, as Compose does).
 * Throws a VolumeSpecError with Compose's wording for an empty spec, an empty section or too many colons.
 */
export function parseVolumeSpec(spec: string): VolumeSpec {
  if (spec.length === 0) throw new VolumeSpecError("invalid empty volume spec", "invalid empty volume spec");
  // Two characters at most (four UTF-16 units at most): spread only then.
  if (spec.length <= 4 && [...spec].length <= 2) return { type: "volume", target: spec, read_only: false };

  let source: string | undefined;
  let target: string | undefined;
  let readOnly = false;
  let bind: { propagation?: string; selinux?: string } | undefined;
  let volume: { nocopy?: true } | undefined;

  const invalid = (reason: string): VolumeSpecError =>
    new VolumeSpecError(`invalid spec: ${spec}: ${reason}`, reason);
  let inSubstitution = 0;
  /** A section between colons is complete: it is the source, the target or the options. */
  const flush = (section: string, atEnd: boolean): void => {
    if (section.length === 0) throw invalid("empty section between colons");
    if (source === undefined && atEnd) {
      target = section;
    } else if (source === undefined) {
      source = section;
    } else if (target === undefined) {
      target = section;
    } else if (!atEnd) {
      throw invalid("too many colons");
    } else {
      for (const option of section.split(",")) {
        if (option === "ro") readOnly = true;
        else if (option === "rw") readOnly = false;
        else if (option === "nocopy") volume = { nocopy: true };
        else if (PROPAGATIONS.has(option)) bind = { ...bind, propagation: option };
        else if (option === "z" || option === "Z") bind = { ...bind, selinux: option };
      }
    }
  };
  // By UTF-16 unit: the characters that matter are ASCII, and sections are slices of the spec.
  let start = 0;
  for (let i = 0; i <= spec.length; i++) {
    const atEnd = i === spec.length;
    const ch = atEnd ? "" : spec[i];
    if (ch === "$" && spec[i + 1] === "{") {
      inSubstitution++;
      continue;
    }
    if (ch === "}" && inSubstitution > 0) {
      inSubstitution--;
      continue;
    }
    if (ch === ":" && isOneLetter(spec.slice(start, i))) continue; // Windows drive letter
    if ((ch === ":" || atEnd) && inSubstitution === 0) {
      flush(spec.slice(start, i), atEnd);
      start = i + 1;
    }
  }

  const resolvedTarget = target ?? "";
  if (isFilePath(source ?? "")) {
    return {
      type: "bind",
      ...(source !== undefined ? { source } : {}),
      target: resolvedTarget,
      read_only: readOnly,
      bind: { ...bind, create_host_path: true },
      ...(volume ? { volume } : {}),
    };
  }
  return {
    type: "volume",
    ...(source !== undefined ? { source } : {}),
    target: resolvedTarget,
    read_only: readOnly,
    ...(bind ? { bind } : {}),
    volume: volume ?? {},
  };
}

/** One character, a letter (a Windows drive before its `:`). */
function isOneLetter(section: string): boolean {
  return section.length <= 2 && [...section].length === 1 && /^\p{L}$/u.test(section);
}

function isFilePath(source: string): boolean {
  if (source === "") return false;
  const first = source[0];
  if (first === "." || first === "/" || first === "~") return true;
  if (source.startsWith("\\\\")) return true;
  const chars = [...source];
  return chars.length > 1 && /^\p{L}$/u.test(chars[0] ?? "") && chars[1] === ":";
}
