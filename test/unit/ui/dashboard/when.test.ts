import { describe, expect, it } from "vitest";
import { wantsDashboard } from "../../../../src/ui/dashboard/when.js";

const terminal = {
  stdinTTY: true,
  stdoutTTY: true,
  flag: undefined,
  detach: false,
  abortOnExit: false,
  progress: "auto",
} as const;

describe("when up opens the dashboard", () => {
  it("opens for an attached up on a terminal", () => {
    expect(wantsDashboard(terminal)).toBe(true);
    expect(wantsDashboard({ ...terminal, progress: "tty" })).toBe(true);
  });

  it("keeps the plain output for -d, --no-dashboard, no TTY, a progress mode asked for, and the exit-code modes", () => {
    expect(wantsDashboard({ ...terminal, detach: true })).toBe(false);
    expect(wantsDashboard({ ...terminal, flag: false })).toBe(false);
    expect(wantsDashboard({ ...terminal, stdoutTTY: false })).toBe(false);
    expect(wantsDashboard({ ...terminal, stdinTTY: false })).toBe(false);
    expect(wantsDashboard({ ...terminal, progress: "plain" })).toBe(false);
    expect(wantsDashboard({ ...terminal, progress: "json" })).toBe(false);
    expect(wantsDashboard({ ...terminal, abortOnExit: true })).toBe(false);
  });
});
