/**
 * Which changed paths a watch rule leaves alone, as docker compose's `pkg/watch` decides it: the
 * rule's `ignore` patterns (relative to its `path`), the `.dockerignore` of the service's build
 * context, editors' temporary files and `.git`. Patterns follow `.dockerignore` syntax and match a
 * path or any of its parents (moby's `MatchesOrParentMatches`). Pure: the `.dockerignore` text is
 * read by the caller (watcher.ts).
 */
import dockerignore from "@balena/dockerignore";
import path from "node:path";

export interface PathMatcher {
  /** Whether the absolute path, or one of its parents, is matched. */
  matches(absPath: string): boolean;
  /** Whether everything under the directory is matched too (no `!` exception may bring a file back). */
  matchesEntireDir(absPath: string): boolean;
}

export const NO_PATHS: PathMatcher = { matches: () => false, matchesEntireDir: () => false };

/**
 * Patterns rooted at `root` (Compose's `NewDockerPatternMatcher`): each is made absolute (a
 * relative one joined to `root`, an absolute one kept), then matched against absolute paths.
 */
export function patternMatcher(root: string, patterns: readonly string[]): PathMatcher {
  const absolute: string[] = [];
  for (const raw of patterns) {
    const trimmed = raw.trim();
    if (trimmed === "") continue;
    const negated = trimmed.startsWith("!");
    const body = negated ? trimmed.slice(1).trim() : trimmed;
    if (body === "") continue;
    const abs = path.isAbsolute(body) ? path.normalize(body) : path.join(root, body);
    // Matched below as paths relative to "/", which is what the library expects.
    const rel = abs.replace(/^\/+/, "").replace(/\/+$/, "");
    if (rel === "") continue;
    absolute.push(negated ? `!${rel}` : rel);
  }
  if (absolute.length === 0) return NO_PATHS;
  // moby's matcher is case-sensitive on Linux; the library's default is not.
  const ig = dockerignore.default({ ignorecase: false }).add(absolute);
  const hasExceptions = absolute.some((p) => p.startsWith("!"));
  const matches = (absPath: string): boolean => {
    const rel = path.normalize(absPath).replace(/^\/+/, "");
    return rel !== "" && ig.ignores(rel);
  };
  return { matches, matchesEntireDir: (absPath) => !hasExceptions && matches(absPath) };
}

/** Any of the matchers (Compose's `CompositePathMatcher`). */
export function anyOf(...matchers: readonly PathMatcher[]): PathMatcher {
  const used = matchers.filter((m) => m !== NO_PATHS);
  if (used.length === 0) return NO_PATHS;
  return {
    matches: (p) => used.some((m) => m.matches(p)),
    matchesEntireDir: (p) => used.some((m) => m.matchesEntireDir(p)),
  };
}

/**
 * Editors' temporary and lock files (Compose's `EphemeralPathMatcher`): JetBrains' safe-write
 * files and `.idea`, Emacs' `.#x` and `#x#`, Vim's `4913` probe, `x~` backups and `.x.swp`-style
 * swap files, Kate's swap files, and the Go toolchain's umask probe.
 */
export const EPHEMERAL_PATTERNS: readonly string[] = [
  "**/*___jb_old___",
  "**/*___jb_tmp___",
  "**/.idea/**",
  "**/.#*",
  "**/#*#",
  "**/4913",
  "**/*~",
  "**/.*.swp",
  "**/.*.swx",
  "**/.*.swo",
  "**/.*.swn",
  "**/.*.kate-swp",
  "**/*-go-tmp-umask",
];

/**
 * `.git` and everything in it. Compose means to leave `.git` out ("suitable for now", its comment
 * says) but roots its `.git/` pattern at `/`, which only ever matches `/.git`; berth leaves out a
 * `.git` at any depth, which is what that comment intends.
 */
export const GIT_PATTERNS: readonly string[] = ["**/.git"];

export const EPHEMERAL: PathMatcher = patternMatcher("/", EPHEMERAL_PATTERNS);
export const DOT_GIT: PathMatcher = patternMatcher("/", GIT_PATTERNS);

/**
 * A `.dockerignore`'s patterns as Docker reads the file (moby's `ignorefile.ReadAll`): one a line,
 * `#` comments and blank lines skipped, a leading `/` meaning the context's root.
 */
export function dockerignorePatterns(text: string): string[] {
  const patterns: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    let pattern = line.trim();
    if (pattern === "" || pattern.startsWith("#")) continue;
    const negated = pattern.startsWith("!");
    if (negated) pattern = pattern.slice(1).trim();
    pattern = path.posix.normalize(pattern);
    if (pattern.length > 1 && pattern.startsWith("/")) pattern = pattern.slice(1);
    patterns.push(negated ? `!${pattern}` : pattern);
  }
  return patterns;
}

/**
 * Where the `.dockerignore` of a build context is looked for, first to last (Compose's
 * `LoadDockerIgnore`): `<Dockerfile>.dockerignore` beside the context's Dockerfile, then
 * `.dockerignore` at its root.
 */
export function dockerignoreCandidates(context: string, dockerfile: string | undefined): string[] {
  return [
    path.join(context, `${dockerfile ?? "Dockerfile"}.dockerignore`),
    path.join(context, ".dockerignore"),
  ];
}
