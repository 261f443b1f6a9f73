/** The watch rules of a project, and what a batch of changed paths asks of them (Compose's watch.go). */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { NO_PATHS, patternMatcher } from "../../../../src/engine/watch/ignore.js";
import {
  planBatch,
  quotedList,
  ruleMatch,
  skipsDirectory,
  type WatchRule,
  watchRules,
} from "../../../../src/engine/watch/rules.js";
import { loadProject } from "../../../../src/project/load.js";
import type { Project } from "../../../../src/project/model.js";
import { fileTree } from "../../../file-tree.js";

async function project(yaml: string): Promise<{ project: Project; dir: string }> {
  const dir = fileTree("watch-rules", { "compose.yaml": yaml, "web/Dockerfile": "FROM scratch\n" });
  const loaded = await loadProject({ cwd: dir, env: {} });
  return { project: loaded.project, dir };
}

const WEB = `services:
  web:
    build: ./web
    develop:
      watch:
        - { path: ./web/src, action: sync, target: /app, ignore: [tmp/, "*.log"] }
        - { path: ./web/package.json, action: rebuild }
        - { path: ./web/conf, action: sync+restart, target: /etc/web, initial_sync: true }
        - { path: ./web/hooks, action: sync+exec, target: /hooks, exec: { command: [sh, -c, "echo hi"] } }
  db:
    image: busybox
`;

describe("watchRules", () => {
  it("takes every rule of the services that have one, skips the others", async () => {
    const { project: p, dir } = await project(WEB);
    const { rules } = watchRules(p, ["db", "web"], () => NO_PATHS);
    expect(
      rules.map((r) => [r.service, r.action, path.relative(dir, r.path), r.target, r.initialSync]),
    ).toEqual([
      ["web", "sync", "web/src", "/app", false],
      ["web", "rebuild", "web/package.json", "", false],
      ["web", "sync+restart", "web/conf", "/etc/web", true],
      ["web", "sync+exec", "web/hooks", "/hooks", false],
    ]);
  });

  it("fails with Compose's message when no selected service has a rule", async () => {
    const { project: p } = await project(WEB);
    expect(() => watchRules(p, ["db"], () => NO_PATHS)).toThrow(
      "none of the selected services is configured for watch, consider setting a 'develop' section",
    );
  });

  it("refuses rebuild without a build section, and with --no-build", async () => {
    const { project: p } = await project(
      "services:\n  web:\n    image: busybox\n    develop:\n      watch:\n        - { path: ., action: rebuild }\n",
    );
    expect(() => watchRules(p, ["web"], () => NO_PATHS)).toThrow(
      `can't watch service "web" with action rebuild without a build context`,
    );
    const { project: built } = await project(WEB);
    expect(() => watchRules(built, ["web"], () => NO_PATHS, { noBuild: true })).toThrow(
      "--no-build is incompatible with watch action rebuild in service web",
    );
  });

  it("leaves out a sync path a bind mount already shares, and says so", async () => {
    const { project: p, dir } = await project(
      "services:\n  web:\n    image: busybox\n    volumes: [./src:/app]\n    develop:\n      watch:\n" +
        "        - { path: ./src/lib, action: sync, target: /app/lib }\n        - { path: ./other, action: restart }\n",
    );
    const { rules, boundPaths } = watchRules(p, ["web"], () => NO_PATHS);
    expect(rules.map((r) => r.action)).toEqual(["restart"]);
    expect(boundPaths).toEqual([{ service: "web", path: path.join(dir, "src/lib") }]);
  });
});

function rule(overrides: Partial<WatchRule> & Pick<WatchRule, "action" | "path">): WatchRule {
  return {
    service: "web",
    target: "",
    exec: undefined,
    initialSync: false,
    include: undefined,
    ignore: NO_PATHS,
    ...overrides,
  };
}

describe("ruleMatch", () => {
  const sync = rule({
    action: "sync",
    path: "/p/src",
    target: "/app",
    ignore: patternMatcher("/p/src", ["tmp/"]),
  });

  it("maps a path under the rule's path onto its target", () => {
    expect(ruleMatch(sync, "/p/src/a/b.js")).toEqual({
      hostPath: "/p/src/a/b.js",
      containerPath: "/app/a/b.js",
    });
    expect(ruleMatch(sync, "/p/src")).toEqual({ hostPath: "/p/src", containerPath: "/app" });
  });

  it("takes nothing outside its path (a sibling with the same prefix included) or ignored", () => {
    expect(ruleMatch(sync, "/p/srcx/a.js")).toBeUndefined();
    expect(ruleMatch(sync, "/p/other")).toBeUndefined();
    expect(ruleMatch(sync, "/p/src/tmp/x")).toBeUndefined();
  });

  it("with include, takes only what it includes", () => {
    const only = rule({
      action: "sync",
      path: "/p/src",
      target: "/app",
      include: patternMatcher("/p/src", ["*.js"]),
    });
    expect(ruleMatch(only, "/p/src/a.js")).toBeDefined();
    expect(ruleMatch(only, "/p/src/a.css")).toBeUndefined();
  });
});

describe("planBatch", () => {
  const rules: WatchRule[] = [
    rule({ action: "sync", path: "/p/src", target: "/app" }),
    rule({ action: "rebuild", path: "/p/package.json" }),
    rule({ service: "api", action: "sync+restart", path: "/p/api", target: "/srv" }),
    rule({
      service: "api",
      action: "sync+exec",
      path: "/p/api/hooks",
      target: "/hooks",
      exec: { command: ["true"] },
    }),
    rule({ service: "worker", action: "restart", path: "/p/src" }),
  ];

  it("groups the syncs per service, restarts and rebuilds once, a hook once however many files", () => {
    const plan = planBatch(
      [
        "/p/src/a.js",
        "/p/src/b.js",
        "/p/package.json",
        "/p/api/x",
        "/p/api/hooks/1",
        "/p/api/hooks/2",
        "/p/none",
      ],
      rules,
    );
    expect(plan.rebuild).toEqual(["web"]);
    expect(plan.restart).toEqual(["api", "worker"]);
    expect(Object.fromEntries([...plan.sync].map(([s, m]) => [s, m.map((x) => x.containerPath)]))).toEqual({
      web: ["/app/a.js", "/app/b.js"],
      api: ["/srv/x", "/srv/hooks/1", "/hooks/1", "/srv/hooks/2", "/hooks/2"],
    });
    expect([...plan.exec]).toEqual([["api", [3]]]);
  });

  it("asks nothing of a batch no rule takes", () => {
    const plan = planBatch(["/elsewhere/a"], rules);
    expect(plan.rebuild).toEqual([]);
    expect(plan.restart).toEqual([]);
    expect(plan.sync.size).toBe(0);
  });
});

describe("skipsDirectory", () => {
  it("skips a directory only when every rule covering it ignores all of it", () => {
    const a = rule({
      action: "sync",
      path: "/p",
      target: "/a",
      ignore: patternMatcher("/p", ["node_modules"]),
    });
    const b = rule({
      action: "restart",
      path: "/p",
      ignore: patternMatcher("/p", ["node_modules", "!node_modules/x"]),
    });
    expect(skipsDirectory([a], "/p/node_modules")).toBe(true);
    expect(skipsDirectory([a, b], "/p/node_modules")).toBe(false);
    expect(skipsDirectory([a], "/p/lib")).toBe(false);
    expect(skipsDirectory([a], "/p")).toBe(false);
  });
});

it("quotedList prints names as Go's %q of a list", () => {
  expect(quotedList(["web", "api"])).toBe('["web" "api"]');
});
