/**
 * The watch rules of a project and what a batch of changed paths asks of them, as docker compose's
 * `pkg/compose/watch.go` decides (`getWatchRules`, `watchRule.Matches`, `handleWatchBatch`). Pure:
 * the `.dockerignore` matchers are read by the caller and handed in.
 */
import path from "node:path";
import type { Project, Service, ServiceHook } from "../../project/model.js";
import { EngineError } from "../errors.js";
import { anyOf, DOT_GIT, EPHEMERAL, type PathMatcher, patternMatcher } from "./ignore.js";

export type WatchAction = "sync" | "rebuild" | "restart" | "sync+restart" | "sync+exec";

export interface WatchRule {
  readonly service: string;
  readonly action: WatchAction;
  /** Absolute (the loader resolves it). */
  readonly path: string;
  /** Where in the container the path lands; "" for rebuild and restart. */
  readonly target: string;
  readonly exec: ServiceHook | undefined;
  readonly initialSync: boolean;
  /** `include`: only these paths count (all when the rule has none). */
  readonly include: PathMatcher | undefined;
  /** The rule's `ignore`, the build context's `.dockerignore`, editors' files and `.git`. */
  readonly ignore: PathMatcher;
}

/** A changed host path and where it lands in the container (Compose's `sync.PathMapping`). */
export interface PathMapping {
  readonly hostPath: string;
  /** "" when the rule has no target (rebuild, restart). */
  readonly containerPath: string;
}

export class WatchError extends EngineError {
  override readonly code: string = "WATCH_ERROR";
}

const ACTIONS: ReadonlySet<string> = new Set(["sync", "rebuild", "restart", "sync+restart", "sync+exec"]);

/**
 * A bind mount already shares the path with the container, so Compose does not watch it for a
 * sync (`checkIfPathAlreadyBindMounted`).
 */
export function boundByMount(watchPath: string, service: Service): boolean {
  return (service.volumes ?? []).some((volume) => {
    if (volume.type !== "bind" || volume.source === undefined) return false;
    const rel = path.relative(volume.source, watchPath);
    return !rel.startsWith("..") && !path.isAbsolute(rel);
  });
}

export interface RulesResult {
  readonly rules: readonly WatchRule[];
  /** Sync paths left out because a bind mount shares them (Compose warns about each). */
  readonly boundPaths: readonly { readonly service: string; readonly path: string }[];
}

/**
 * The rules of the services in `scope` (a service without `develop.watch` is skipped), checked as
 * Compose checks them: `rebuild` needs a `build:` section and the build allowed, `sync+exec` needs
 * a command; none at all is an error. `dockerignoreOf` gives each service's `.dockerignore`
 * matcher (none without a build).
 */
export function watchRules(
  project: Project,
  scope: Iterable<string>,
  dockerignoreOf: (service: string) => PathMatcher,
  options: { readonly noBuild?: boolean } = {},
): RulesResult {
  const rules: WatchRule[] = [];
  const boundPaths: { service: string; path: string }[] = [];
  for (const name of [...scope].sort()) {
    const service = project.services[name];
    const triggers = service?.develop?.watch;
    if (!service || !triggers) continue;
    const dockerignore = dockerignoreOf(name);
    for (const trigger of triggers) {
      if (!ACTIONS.has(trigger.action)) {
        throw new WatchError(`service ${name}: unknown watch action "${trigger.action}"`, { service: name });
      }
      const action = trigger.action as WatchAction;
      if (action === "rebuild") {
        if (service.build === undefined) {
          throw new WatchError(`can't watch service "${name}" with action rebuild without a build context`, {
            service: name,
          });
        }
        if (options.noBuild === true) {
          throw new WatchError(`--no-build is incompatible with watch action rebuild in service ${name}`, {
            service: name,
          });
        }
      }
      if (action === "sync+exec" && (trigger.exec?.command ?? []).length === 0) {
        throw new WatchError(`can't watch with action "sync+exec" on service ${name} without a command`, {
          service: name,
        });
      }
      if ((action === "sync" || action === "sync+restart") && boundByMount(trigger.path, service)) {
        boundPaths.push({ service: name, path: trigger.path });
        continue;
      }
      rules.push({
        service: name,
        action,
        path: trigger.path,
        target: trigger.target ?? "",
        exec: trigger.exec,
        initialSync: trigger.initial_sync === true || trigger["x-initialSync"] === true,
        include:
          trigger.include && trigger.include.length > 0
            ? patternMatcher(trigger.path, trigger.include)
            : undefined,
        ignore: anyOf(dockerignore, EPHEMERAL, DOT_GIT, patternMatcher(trigger.path, trigger.ignore ?? [])),
      });
    }
  }
  if (rules.length === 0) {
    throw new WatchError(
      "none of the selected services is configured for watch, consider setting a 'develop' section",
    );
  }
  return { rules, boundPaths };
}

/** `hostPath` is `base` or inside it. */
export function isWithin(base: string, hostPath: string): boolean {
  const rel = path.relative(base, hostPath);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/** Where a changed path lands for this rule, or undefined when the rule does not take it (`watchRule.Matches`). */
export function ruleMatch(rule: WatchRule, hostPath: string): PathMapping | undefined {
  if (!isWithin(rule.path, hostPath)) return undefined;
  if (rule.include && !rule.include.matches(hostPath)) return undefined;
  if (rule.ignore.matches(hostPath)) return undefined;
  if (rule.target === "") return { hostPath, containerPath: "" };
  const rel = path.relative(rule.path, hostPath).split(path.sep).join("/");
  return { hostPath, containerPath: path.posix.join(rule.target, rel) };
}

/** What one batch of changes asks for, per service. */
export interface BatchPlan {
  readonly rebuild: readonly string[];
  readonly sync: ReadonlyMap<string, readonly PathMapping[]>;
  readonly restart: readonly string[];
  /** Indexes into the rules of the sync+exec hooks to run once the files are synced, per service. */
  readonly exec: ReadonlyMap<string, readonly number[]>;
}

/**
 * Every rule is tried on every path (one path may feed several rules), as `handleWatchBatch`
 * does: rebuild and restart once per service, the files of a sync per service, a sync+exec's hook
 * once however many of its files changed.
 */
export function planBatch(paths: readonly string[], rules: readonly WatchRule[]): BatchPlan {
  const rebuild = new Set<string>();
  const restart = new Set<string>();
  const sync = new Map<string, PathMapping[]>();
  const exec = new Map<string, Set<number>>();
  const addSync = (service: string, mapping: PathMapping): void => {
    const list = sync.get(service) ?? [];
    list.push(mapping);
    sync.set(service, list);
  };
  for (const hostPath of paths) {
    rules.forEach((rule, index) => {
      const mapping = ruleMatch(rule, hostPath);
      if (!mapping) return;
      switch (rule.action) {
        case "rebuild":
          rebuild.add(rule.service);
          return;
        case "restart":
          restart.add(rule.service);
          return;
        case "sync":
          addSync(rule.service, mapping);
          return;
        case "sync+restart":
          addSync(rule.service, mapping);
          restart.add(rule.service);
          return;
        case "sync+exec": {
          addSync(rule.service, mapping);
          const hooks = exec.get(rule.service) ?? new Set<number>();
          hooks.add(index);
          exec.set(rule.service, hooks);
          return;
        }
      }
    });
  }
  return {
    rebuild: [...rebuild].sort(),
    sync,
    restart: [...restart].sort(),
    exec: new Map([...exec].map(([service, hooks]) => [service, [...hooks].sort((a, b) => a - b)])),
  };
}

/**
 * Whether the watcher may skip a directory's whole subtree: every rule that covers it ignores all
 * of it (Compose's watcher skips such directories, so `node_modules` is never walked).
 */
export function skipsDirectory(rules: readonly WatchRule[], dir: string): boolean {
  const covering = rules.filter((rule) => isWithin(rule.path, dir) && rule.path !== dir);
  return covering.length > 0 && covering.every((rule) => rule.ignore.matchesEntireDir(dir));
}

/** Go's `%q` of a list of names, as Compose prints `service(s) ["web"] restarted`. */
export function quotedList(names: readonly string[]): string {
  return `[${names.map((n) => JSON.stringify(n)).join(" ")}]`;
}
