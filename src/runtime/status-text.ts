/**
 * A container's state in the one line `ps` prints, worded as Docker's engine words it
 * (`State.String()` in moby's container/state.go), so that every backend's `statusText` reads the
 * same: the Docker engine writes it itself; a backend that does not renders it here from its fields.
 */
import type { ContainerState } from "./runtime.js";

export type StatusFields = Pick<
  ContainerState,
  "status" | "health" | "exitCode" | "startedAt" | "finishedAt"
>;

/** "Up 3 minutes (healthy)", "Exited (0) 2 seconds ago", "Restarting (1) 5 seconds ago", "Created"… */
export function statusText(state: StatusFields, now: Date): string {
  const since = (time: Date | undefined): string => humanDuration(now.getTime() - (time ?? now).getTime());
  switch (state.status) {
    case "running": {
      const health =
        state.health === undefined
          ? ""
          : ` (${state.health === "starting" ? "health: starting" : state.health})`;
      return `Up ${since(state.startedAt)}${health}`;
    }
    case "paused":
      return `Up ${since(state.startedAt)} (Paused)`;
    case "restarting":
      return `Restarting (${state.exitCode ?? 0}) ${since(state.finishedAt)} ago`;
    case "removing":
      return "Removal In Progress";
    case "dead":
      return "Dead";
    case "created":
      return "Created";
    case "exited":
      // The engine says nothing of a container stopped before it ever finished (no finish time).
      return state.finishedAt === undefined
        ? ""
        : `Exited (${state.exitCode ?? 0}) ${since(state.finishedAt)} ago`;
  }
}

/** Go-units' HumanDuration: `Less than a second`, `5 seconds`, `About a minute`, `3 hours`, … */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return "Less than a second";
  if (seconds === 1) return "1 second";
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(seconds / 60);
  if (minutes === 1) return "About a minute";
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(ms / 3_600_000);
  if (hours === 1) return "About an hour";
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(ms / 3_600_000 / 24 / 365)} years`;
}
