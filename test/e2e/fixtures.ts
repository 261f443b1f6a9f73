/**
 * One compose project per e2e test: a fresh directory holding its `compose.yaml` and a project
 * name unique to this run, both recorded so the suite's `afterAll` removes what is left.
 */
import { RUN_ID } from "../integration/engine.js";
import { fileTree } from "../file-tree.js";

export type Fixture = (
  name: string,
  compose: (project: string) => string,
) => { dir: string; project: string };

/** Fixtures named `berth-<prefix>-<name>-<run id>`, their directories and names pushed to `dirs`/`projects`. */
export function fixtures(prefix: string, dirs: string[], projects: string[]): Fixture {
  return (name, compose) => {
    const project = `berth-${prefix}-${name}-${RUN_ID}`;
    const dir = fileTree(`${prefix}-${name}`, { "compose.yaml": compose(project) });
    dirs.push(dir);
    projects.push(project);
    return { dir, project };
  };
}
