/**
 * `tmpfs:` on a service and a `volumes:` entry of `type: tmpfs`, on each runtime backend
 * (./orchestration/backends.ts): inside the running container (/proc/mounts, the directory's mode)
 * each is a tmpfs with the options as written. On Docker, also as Docker Compose sends them: service
 * tmpfs as HostConfig.Tmpfs (options as written) while the volume entry stays a mount, checked field
 * by field in the engine's own inspect answer.
 */
import { describe, expect } from "vitest";
import { RUN_ID, TEST_LABEL } from "./engine.js";
import { BACKENDS, useBackend, withFeatures } from "./orchestration/backends.js";
import { engineJson, useLoggedStack } from "./orchestration/logged-stack.js";

interface Inspect {
  readonly HostConfig: { readonly Tmpfs?: Record<string, string> | null };
  readonly Mounts: readonly { readonly Type: string; readonly Destination: string }[];
}

describe.each(BACKENDS)("tmpfs ($name)", (backend) => {
  const suite = useBackend(backend);
  const it = suite.it;
  const project = `berth-tmpfs-${backend.name}-${RUN_ID}`;
  const stack = useLoggedStack(
    suite,
    project,
    () => `
services:
  app:
    image: ${suite.image}
    labels: { ${TEST_LABEL}: "${RUN_ID}" }
    command: ["sh", "-c", "grep -E ' /(scratch|plain|vol) ' /proc/mounts; stat -c 'mode %a' /scratch; echo done; sleep 300"]
    tmpfs:
      - /scratch:size=1m,mode=1777,noexec
      - /plain
    volumes:
      - { type: tmpfs, target: /vol, tmpfs: { size: 2m } }
networks:
  default: { labels: { ${TEST_LABEL}: "${RUN_ID}" } }
`,
  );

  it("mounts service tmpfs and tmpfs volumes in the container with their options", async () => {
    const output = stack()?.output ?? "";
    const scratch = output.split("\n").find((line) => line.includes(" /scratch "));
    // (1777 is tmpfs's default mode, so /proc/mounts leaves it out; stat shows it below.)
    expect(scratch).toMatch(/^tmpfs \/scratch tmpfs \S*noexec\S*size=1024k/);
    expect(output).toMatch(/^tmpfs \/plain tmpfs /m);
    expect(output).toMatch(/^tmpfs \/vol tmpfs \S*size=2048k/m);
    expect(output).toContain("mode 1777");
  });

  // The engine's own inspect JSON is what it reads.
  if (withFeatures(backend, "engine-api"))
    it("sends service tmpfs as HostConfig.Tmpfs with its options, and tmpfs volumes as mounts", async () => {
      const inspect = await engineJson<Inspect>(`/containers/${project}-app-1/json`);
      expect(inspect.HostConfig.Tmpfs).toEqual({ "/scratch": "size=1m,mode=1777,noexec", "/plain": "" });
      expect(inspect.Mounts.map((m) => `${m.Type} ${m.Destination}`)).toEqual(["tmpfs /vol"]);
    });
});
