/** The text of top, images, ls, stats and events, compared with what Compose and the Docker CLI print. */
import { describe, expect, it } from "vitest";
import type { ContainerSummary, RuntimeEvent } from "../../../src/runtime/runtime.js";
import { eventJson, eventLine } from "../../../src/ui/plain/events-format.js";
import { imagesQuiet, imagesTable } from "../../../src/ui/plain/images-format.js";
import { lsTable, stacksOf } from "../../../src/ui/plain/ls-format.js";
import { statsText } from "../../../src/ui/plain/stats-format.js";
import { tabwriteRows } from "../../../src/ui/plain/tabwriter.js";
import { topTable } from "../../../src/ui/plain/top-format.js";
import { bytesSize, goG, humanSize } from "../../../src/ui/plain/units.js";

describe("units", () => {
  it("prints sizes as go-units does", () => {
    expect(humanSize(0)).toBe("0B");
    expect(humanSize(1982575)).toBe("1.98MB");
    expect(humanSize(1450)).toBe("1.45kB");
    expect(humanSize(999_500)).toBe("1e+03kB"); // Go's %.3g switches to an exponent
    expect(bytesSize(319_488)).toBe("312KiB");
    expect(bytesSize(25_275_731_968)).toBe("23.54GiB");
    expect(goG(0.000012345, 3)).toBe("1.23e-05");
  });
});

describe("tabwrite", () => {
  it("pads every column but the last to its widest cell plus padding, at least the minimum", () => {
    expect(
      tabwriteRows(
        [
          ["A", "BB", "C"],
          ["long-cell", "x", "y"],
        ],
        { minWidth: 4, padding: 2 },
      ),
    ).toBe("A          BB  C\nlong-cell  x   y\n");
  });
});

describe("top", () => {
  it("puts SERVICE and # first and CMD last, one row per process, containers by name", () => {
    const row = (name: string, replica: string, pid: string) => ({
      name,
      service: "web",
      replica,
      titles: ["UID", "PID", "CMD", "TIME"],
      processes: [["root", pid, "sleep 1", "00:00:00"]],
    });
    expect(topTable([row("p-web-2", "2", "20"), row("p-web-1", "1", "10")])).toBe(
      "SERVICE  #   UID   PID  TIME      CMD\n" +
        "web      1   root  10   00:00:00  sleep 1\n" +
        "web      2   root  20   00:00:00  sleep 1\n",
    );
    expect(topTable([])).toBe("");
  });
});

describe("images", () => {
  const img = {
    container: "p-web-1",
    id: "sha256:1331ff849719f77ab3a046a2d7ff4f05867d7b99c1d9e82579e4544ccc1ccde6",
    repository: "",
    tag: "",
    platform: "linux/amd64",
    size: 1982575,
    created: new Date("2026-01-01T00:00:00Z"),
  };
  it("prints Compose's columns, <none> for an image known by ID, and each ID once with -q", () => {
    expect(imagesTable([img], new Date("2026-01-01T00:00:30Z"))).toBe(
      "CONTAINER           REPOSITORY          TAG                 PLATFORM            IMAGE ID            SIZE                CREATED\n" +
        "p-web-1             <none>              <none>              linux/amd64         1331ff849719        1.98MB              30 seconds ago\n",
    );
    expect(imagesQuiet([img, { ...img, container: "p-web-2" }])).toBe(`${img.id.slice(7)}\n`);
  });
});

describe("ls", () => {
  const c = (project: string, status: ContainerSummary["status"], files?: string) =>
    ({
      labels: {
        "com.docker.compose.project": project,
        ...(files === undefined ? {} : { "com.docker.compose.project.config_files": files }),
      },
      status,
    }) as unknown as ContainerSummary;
  it("counts states sorted by name, joins config files once each, and says N/A without the label", () => {
    const stacks = stacksOf([
      c("b", "running", "/x/compose.yaml,/x/override.yaml"),
      c("b", "exited", "/x/compose.yaml"),
      c("b", "running", "/x/compose.yaml"),
      c("a", "running"),
    ]);
    expect(stacks).toEqual([
      { Name: "a", Status: "running(1)", ConfigFiles: "N/A" },
      { Name: "b", Status: "exited(1), running(2)", ConfigFiles: "/x/compose.yaml,/x/override.yaml" },
    ]);
    // Compose's 20/3 tabwriter: a status of 21 characters widens its column to 24.
    expect(lsTable(stacks)).toBe(
      "NAME                STATUS                  CONFIG FILES\n" +
        "a                   running(1)              N/A\n" +
        "b                   exited(1), running(2)   /x/compose.yaml,/x/override.yaml\n",
    );
  });
});

describe("stats", () => {
  const sample = {
    id: "d9cf94a89f94aaaaaaaa",
    name: "p-web-1",
    stats: {
      time: new Date(0),
      cpuPercent: 1.5,
      memoryUsageBytes: 319_488,
      memoryLimitBytes: 1024 * 1024 * 1024,
      networkRxBytes: 1450,
      networkTxBytes: 0,
      blockReadBytes: 0,
      blockWriteBytes: 0,
      pids: 1,
    },
  };
  it("prints docker stats' default table, templates and json", () => {
    expect(statsText([sample], "", false)).toBe(
      "CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O       BLOCK I/O   PIDS\n" +
        "d9cf94a89f94   p-web-1   1.50%     312KiB / 1GiB       0.03%     1.45kB / 0B   0B / 0B     1\n",
    );
    expect(statsText([sample], "{{.Name}}: {{.CPUPerc}}", true)).toBe("p-web-1: 1.50%\n");
    expect(JSON.parse(statsText([sample], "json", true))).toMatchObject({ ID: sample.id, PIDs: "1" });
    expect(() => statsText([sample], "{{.Nope}}", false)).toThrow(/can.t evaluate field Nope/);
  });
});

describe("events", () => {
  const event = {
    type: "container",
    id: "abc",
    action: "health",
    health: "healthy",
    time: new Date("2026-01-02T03:04:05.678Z"),
    attributes: { name: "p-web-1", "com.docker.compose.service": "web", image: "busybox" },
  } as RuntimeEvent;
  it("spells actions as Docker does and leaves Compose's labels out", () => {
    const json = JSON.parse(eventJson(event)) as Record<string, unknown>;
    expect(json).toMatchObject({
      action: "health_status: healthy",
      service: "web",
      id: "abc",
      type: "container",
      attributes: { image: "busybox", name: "p-web-1" },
    });
    expect(eventLine(event)).toMatch(
      / container health_status: healthy abc \(image=busybox, name=p-web-1\)\n$/,
    );
  });
});
