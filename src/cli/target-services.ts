/**
 * The services a command that finds containers by labels acts on (kill, pause, unpause, rm): those
 * named; else, with a compose file, the file's services, so an orphan is left alone as Compose's
 * `isService(project.ServiceNames()...)` filter leaves it; else (`-p` alone) every service found.
 */
import type { ProjectTarget } from "./load-for-cli.js";

export function targetServices(project: ProjectTarget, named: readonly string[]): readonly string[] {
  if (named.length > 0 || project.loaded === undefined) return named;
  return Object.keys(project.loaded.project.services);
}
