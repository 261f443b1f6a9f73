/**
 * A backend that renders its own status text must word it as Docker's engine does (`State.String()`),
 * so `berth ps` reads the same whatever runs the containers.
 */
import { describe, expect, it } from "vitest";
import { humanDuration, statusText, type StatusFields } from "../../../src/runtime/status-text.js";

const now = new Date("2024-05-01T10:00:00Z");
const ago = (ms: number) => new Date(now.getTime() - ms);
const text = (fields: Partial<StatusFields> & Pick<StatusFields, "status">) =>
  statusText(
    { health: undefined, exitCode: undefined, startedAt: undefined, finishedAt: undefined, ...fields },
    now,
  );

describe("statusText", () => {
  it("words each state as the engine does", () => {
    expect(text({ status: "running", startedAt: ago(3 * 60_000) })).toBe("Up 3 minutes");
    expect(text({ status: "running", startedAt: ago(2_000), health: "starting" })).toBe(
      "Up 2 seconds (health: starting)",
    );
    expect(text({ status: "running", startedAt: ago(90_000), health: "healthy" })).toBe(
      "Up About a minute (healthy)",
    );
    expect(text({ status: "running", startedAt: ago(5 * 3_600_000), health: "unhealthy" })).toBe(
      "Up 5 hours (unhealthy)",
    );
    expect(text({ status: "paused", startedAt: ago(1_000), health: "healthy" })).toBe("Up 1 second (Paused)");
    expect(text({ status: "restarting", exitCode: 1, finishedAt: ago(4_000) })).toBe(
      "Restarting (1) 4 seconds ago",
    );
    expect(text({ status: "exited", exitCode: 137, finishedAt: ago(2_000) })).toBe(
      "Exited (137) 2 seconds ago",
    );
    expect(text({ status: "exited", exitCode: 0 })).toBe("");
    expect(text({ status: "created" })).toBe("Created");
    expect(text({ status: "removing" })).toBe("Removal In Progress");
    expect(text({ status: "dead", exitCode: 1 })).toBe("Dead");
  });

  it("says less than a second for a time ahead of this clock", () => {
    expect(text({ status: "running", startedAt: ago(-5_000) })).toBe("Up Less than a second");
  });
});

describe("humanDuration", () => {
  it("says how long as Go's units.HumanDuration does", () => {
    expect(humanDuration(500)).toBe("Less than a second");
    expect(humanDuration(1_000)).toBe("1 second");
    expect(humanDuration(42_000)).toBe("42 seconds");
    expect(humanDuration(90_000)).toBe("About a minute");
    expect(humanDuration(59 * 60_000)).toBe("59 minutes");
    expect(humanDuration(60 * 60_000)).toBe("About an hour");
    expect(humanDuration(5 * 3_600_000)).toBe("5 hours");
    expect(humanDuration(3 * 86_400_000)).toBe("3 days");
    expect(humanDuration(20 * 86_400_000)).toBe("2 weeks");
    expect(humanDuration(90 * 86_400_000)).toBe("3 months");
    expect(humanDuration(800 * 86_400_000)).toBe("2 years");
  });
});
