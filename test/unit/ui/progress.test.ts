/**
 * Progress renderers must show engine events as Compose does: plain lines for logs and CI, one JSON
 * object per event for tools, and the choice between them (and colour) made once from the flags.
 */
import { describe, expect, it } from "vitest";
import type { EngineEvent } from "../../../src/engine/events.js";
import { jsonProgress } from "../../../src/ui/json-progress.js";
import { plainProgress } from "../../../src/ui/plain/progress.js";
import { phaseOf } from "../../../src/ui/progress.js";
import { progressKind, selectProgress, useColor } from "../../../src/ui/select.js";
import { recorder } from "./recorder.js";

const at = Date.parse("2024-05-01T10:00:00.000Z");
const ev = (
  resource: EngineEvent["resource"],
  id: string,
  status: EngineEvent["status"],
  text?: string,
): EngineEvent => (text === undefined ? { resource, id, status, at } : { resource, id, status, text, at });

describe("plain progress", () => {
  it("prints one line per event, as docker compose --progress plain does", () => {
    const out = recorder();
    const progress = plainProgress(out);
    progress.on(ev("network", "webapp_default", "Creating"));
    progress.on(ev("network", "webapp_default", "Created"));
    progress.on(ev("container", "webapp-web-1", "Creating"));
    progress.on(ev("container", "webapp-web-1", "Created"));
    progress.on(ev("container", "webapp-web-1", "Error", "port is already allocated"));
    progress.done();
    expect(out.text()).toBe(
      [
        " Network webapp_default  Creating",
        " Network webapp_default  Created",
        " Container webapp-web-1  Creating",
        " Container webapp-web-1  Created",
        " Container webapp-web-1  Error  port is already allocated",
        "",
      ].join("\n"),
    );
    expect(out.writes).toHaveLength(5);
    expect(out.text()).not.toContain("\x1b");
  });

  it("labels what concerns the whole project as the project's, never as a container's", () => {
    const out = recorder();
    const progress = plainProgress(out);
    progress.on(ev("project", "webapp", "Warning", "waiting for another berth on project webapp (pid 7)"));
    progress.on(ev("container", "webapp-web-1", "Restarting"));
    progress.on(ev("container", "webapp-web-1", "Started"));
    expect(out.text()).toBe(
      [
        " Project webapp  Warning  waiting for another berth on project webapp (pid 7)",
        " Container webapp-web-1  Restarting",
        " Container webapp-web-1  Started",
        "",
      ].join("\n"),
    );
    expect(phaseOf("Restarting")).toBe("working");
  });
});

describe("json progress", () => {
  it("prints one JSON object per line with Compose's id/status/text and berth's resource, name, time", () => {
    const out = recorder();
    const progress = jsonProgress(out);
    progress.on(ev("container", "webapp-web-1", "Creating"));
    progress.on(ev("volume", "webapp_data", "Created"));
    progress.on(ev("container", "webapp-web-1", "Error", "boom"));
    const lines = out.text().split("\n");
    expect(lines.pop()).toBe("");
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([
      {
        id: "Container webapp-web-1",
        status: "Working",
        text: "Creating",
        resource: "container",
        name: "webapp-web-1",
        time: "2024-05-01T10:00:00.000Z",
      },
      {
        id: "Volume webapp_data",
        status: "Done",
        text: "Created",
        resource: "volume",
        name: "webapp_data",
        time: "2024-05-01T10:00:00.000Z",
      },
      {
        id: "Container webapp-web-1",
        status: "Error",
        text: "Error",
        details: "boom",
        resource: "container",
        name: "webapp-web-1",
        time: "2024-05-01T10:00:00.000Z",
      },
    ]);
  });
});

describe("status phases", () => {
  it("reads participles as work in progress and the rest as done", () => {
    expect(phaseOf("Creating")).toBe("working");
    expect(phaseOf("Waiting")).toBe("working");
    expect(phaseOf("Recreate")).toBe("working");
    expect(phaseOf("Running")).toBe("done");
    expect(phaseOf("Healthy")).toBe("done");
    expect(phaseOf("Exited")).toBe("done");
    expect(phaseOf("Warning")).toBe("warning");
    expect(phaseOf("Error")).toBe("error");
  });
});

describe("renderer selection", () => {
  it("auto picks the live view on a terminal and plain lines elsewhere", () => {
    expect(progressKind("auto", "auto", true)).toBe("tty");
    expect(progressKind("auto", "auto", false)).toBe("plain");
    expect(progressKind("auto", "never", true)).toBe("plain");
    expect(progressKind("tty", "auto", false)).toBe("tty");
    expect(progressKind("json", "always", true)).toBe("json");
    expect(progressKind("quiet", "auto", true)).toBe("quiet");
  });

  it("colours a terminal unless NO_COLOR is set; --ansi always and never win", () => {
    expect(useColor("auto", true, {})).toBe(true);
    expect(useColor("auto", false, {})).toBe(false);
    expect(useColor("auto", true, { NO_COLOR: "1" })).toBe(false);
    expect(useColor("auto", true, { NO_COLOR: "" })).toBe(true);
    expect(useColor("always", false, { NO_COLOR: "1" })).toBe(true);
    expect(useColor("never", true, {})).toBe(false);
  });

  it("quiet prints nothing; plain on a pipe prints lines", () => {
    const quietOut = recorder();
    const quiet = selectProgress({ progress: "quiet", ansi: "auto", out: quietOut, env: {} });
    quiet.on(ev("container", "a-1", "Created"));
    quiet.done();
    expect(quietOut.writes).toEqual([]);

    const pipe = recorder({ isTTY: false });
    const plain = selectProgress({ progress: "auto", ansi: "auto", out: pipe, env: {} });
    plain.on(ev("container", "a-1", "Created"));
    expect(pipe.text()).toBe(" Container a-1  Created\n");
  });
});
