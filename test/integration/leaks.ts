/**
 * The leak check of the reliability tests: what is left on the engine with a project's label.
 * Every reliability test runs it after its final `down` and requires it empty; a failing test prints
 * the list, so the report says what leaked.
 */
import { projectFilter } from "../../src/engine/labels.js";
import type { Runtime } from "../../src/runtime/runtime.js";

/** One line per container, network or volume still carrying `com.docker.compose.project=<project>`. */
export async function leaks(runtime: Runtime, project: string): Promise<string[]> {
  const labels = projectFilter(project);
  const [containers, networks, volumes] = await Promise.all([
    runtime.containers.list({ all: true, labels }),
    runtime.networks.list({ labels }),
    runtime.volumes.list({ labels }),
  ]);
  return [
    ...containers.map((c) => `container ${c.name} (${c.status})`),
    ...networks.map((n) => `network ${n.name}`),
    ...volumes.map((v) => `volume ${v.name}`),
  ];
}
