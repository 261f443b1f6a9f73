/** What `config` shows: the resources active services use (compose-go WithoutUnnecessaryResources). */

import { describe, expect, it } from "vitest";
import { loadProject } from "../../../src/project/load.js";
import { withoutUnusedResources } from "../../../src/project/resources.js";
import { fileTree } from "../../file-tree.js";

async function shown(yaml: string) {
  const dir = fileTree("resources", { "compose.yaml": yaml });
  const { project } = await loadProject({ cwd: dir, env: {} });
  const kept = withoutUnusedResources(project);
  return {
    networks: Object.keys(kept.networks),
    volumes: Object.keys(kept.volumes),
    secrets: Object.keys(kept.secrets),
    configs: Object.keys(kept.configs),
  };
}

describe("resources left out of config", () => {
  it("keeps the implicit default network only while a service joins it", async () => {
    expect((await shown("services:\n  web:\n    image: busybox\n")).networks).toEqual(["default"]);
    expect(
      (await shown("services:\n  web:\n    image: busybox\n    network_mode: host\nnetworks:\n  front: {}\n"))
        .networks,
    ).toEqual([]);
  });

  it("counts named volume sources and build secrets, not binds or volumes_from", async () => {
    const kept = await shown(
      [
        "services:",
        "  web:",
        "    build: {context: ., secrets: [npmrc]}",
        "    volumes: [./src:/src, data:/data, /anonymous]",
        "  sidecar:",
        "    image: busybox",
        "    volumes_from: [web]",
        "volumes: {data: {}, src: {}, other: {}}",
        "secrets: {npmrc: {environment: HOME}, other: {environment: HOME}}",
        "",
      ].join("\n"),
    );
    expect(kept.volumes).toEqual(["data"]);
    expect(kept.secrets).toEqual(["npmrc"]);
  });
});
