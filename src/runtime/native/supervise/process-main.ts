/**
 * What a supervisor process does from start to end, given its container lifecycle (the native
 * runtime's in ./main.ts; tests give theirs): claim the pid file or leave, supervise until idle,
 * give the pid file back. SIGTERM and SIGINT end it the same way; SIGKILL leaves a pid file the next
 * supervisor takes over.
 */
import type { NativeContainers } from "../containers/containers.js";
import type { NativePaths } from "../paths.js";
import { claimSupervisor, releaseSupervisor } from "./ensure.js";
import { runSupervisor } from "./supervisor.js";

export async function superviseProcess(
  paths: NativePaths,
  containers: Pick<NativeContainers, "collectExits" | "rotateLogs" | "startByPolicy">,
  options: { readonly idleExitMs?: number; readonly rescanMs?: number } = {},
): Promise<void> {
  if (!claimSupervisor(paths)) return;
  const abort = new AbortController();
  for (const name of ["SIGTERM", "SIGINT"] as const) process.once(name, () => abort.abort());
  const stamp = (line: string): void => {
    process.stderr.write(`${new Date().toISOString()} supervisor ${process.pid}: ${line}\n`);
  };
  try {
    await runSupervisor({
      paths,
      containers,
      idleExitMs: options.idleExitMs,
      rescanMs: options.rescanMs,
      signal: abort.signal,
      log: stamp,
      lease: { release: () => releaseSupervisor(paths), reclaim: () => claimSupervisor(paths) },
    });
  } finally {
    releaseSupervisor(paths);
  }
}
