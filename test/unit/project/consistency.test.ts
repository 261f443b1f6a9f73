/** Cross-reference checks over the active services: here, host ports published twice. */

import { describe, expect, it } from "vitest";
import { LoadError } from "../../../src/errors.js";
import { loadProject } from "../../../src/project/load.js";
import { fileTree } from "../../file-tree.js";

/** Loads `yaml` as a project's compose.yaml; the error line, or undefined when it loads. */
async function loadError(name: string, yaml: string): Promise<string | undefined> {
  const dir = fileTree(name, { "compose.yaml": yaml });
  try {
    await loadProject({ cwd: dir, env: {} });
    return undefined;
  } catch (error) {
    if (error instanceof LoadError) return error.describe();
    throw error;
  }
}

/** Loads two services with these port lists. */
function ports(web: string, api: string, extra = ""): Promise<string | undefined> {
  return loadError(
    "ports",
    `services:\n  web:\n    image: busybox\n    ports: ${web}\n  api:\n    image: busybox\n    ports: ${api}\n${extra}`,
  );
}

describe("a host port published twice", () => {
  it("is an error on the same interface and protocol, at the second entry", async () => {
    expect(await ports('["8080:80"]', '["8080:81"]')).toBe(
      "compose.yaml:7:13: services.api.ports[0]: host port 8080/tcp is already published by services.web.ports[0]",
    );
    expect(await ports('["8080:80", "8080:81"]', "[]")).toBe(
      "compose.yaml:4:24: services.web.ports[1]: host port 8080/tcp is already published by services.web.ports[0]",
    );
  });

  it("clashes between every interface, 0.0.0.0 and one IPv4 address", async () => {
    expect(await ports('["0.0.0.0:8080:80"]', '["127.0.0.1:8080:80"]')).toContain(
      "host port 127.0.0.1:8080/tcp is already published by services.web.ports[0]",
    );
    expect(await ports('["127.0.0.1:8080:80"]', '["8080:80"]')).toContain("host port 8080/tcp");
  });

  it("does not clash across protocols, distinct addresses, IPv4 and IPv6 wildcards, or host ranges", async () => {
    expect(await ports('["8080:80"]', '["8080:80/udp"]')).toBeUndefined();
    expect(await ports('["127.0.0.1:8080:80"]', '["127.0.0.2:8080:80"]')).toBeUndefined();
    expect(await ports('["0.0.0.0:8080:80"]', '["[::]:8080:80"]')).toBeUndefined();
    expect(await ports('["8000-8010:80"]', '["8000-8010:80"]')).toBeUndefined();
    expect(await ports('["80"]', '["80"]')).toBeUndefined();
  });

  it("sees the ports of a container range, and the long syntax", async () => {
    expect(await ports('["8000-8001:80-81"]', "[{target: 90, published: 8001}]")).toBe(
      "compose.yaml:7:37: services.api.ports[0]: host port 8001/tcp is already published by services.web.ports[0]",
    );
  });

  it("counts only active services", async () => {
    expect(await ports('["8080:80"]', '["8080:80"]', "    profiles: [debug]\n")).toBeUndefined();
  });
});

describe("develop.watch", () => {
  const watch = (rule: string): Promise<string | undefined> =>
    loadError(
      "watch",
      `services:\n  web:\n    image: busybox\n    develop:\n      watch:\n        - ${rule}\n`,
    );

  it("a sync rule needs a target, as compose-go requires; rebuild and restart do not", async () => {
    expect(await watch("{ path: ./src, action: sync }")).toBe(
      "compose.yaml:5:7: services.web.develop.watch: target is required for non-rebuild actions",
    );
    expect(await watch("{ path: ./src, action: sync+restart, target: '' }")).toContain("target is required");
    expect(await watch("{ path: ./src, action: sync, target: /app }")).toBeUndefined();
    expect(await watch("{ path: ./src, action: restart }")).toBeUndefined();
    expect(await watch("{ path: ./src, action: rebuild }")).toBeUndefined();
  });
});
