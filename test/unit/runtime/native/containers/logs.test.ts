/**
 * Reading a k8s-file log as `logs` options ask: both streams or one, the last N whole lines, a time
 * window, timestamps as the monitor wrote them, partial lines joined across entries and rotated
 * files, a final partial line (the process ended mid-line) delivered as it is, and an entry still
 * being written left for later.
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  type FollowSource,
  markRunStart,
  readLog,
} from "../../../../../src/runtime/native/containers/logs.js";
import type { LogLine, LogOptions } from "../../../../../src/runtime/runtime.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "berth-readlog-"));
const log = path.join(dir, "container.log");
// .1 is older than the log; "par" + "tial" is one line split across the rotation.
writeFileSync(
  `${log}.1`,
  "2026-12-06T10:00:01.000000001+00:00 stdout F one\n" +
    "2026-12-06T10:00:02.000000002+00:00 stderr F two\n" +
    "2026-12-06T10:00:03.000000003+00:00 stdout P par\n",
);
writeFileSync(
  log,
  "2026-12-06T10:00:04.000000004+00:00 stdout F tial\n" +
    "2026-12-06T10:00:05.000000005+00:00 stderr F five\n" +
    "2026-12-06T10:00:06.000000006+00:00 stdout P no newline\n" +
    // An entry being written (no newline yet) is not read: it is not whole.
    "2026-12-06T10:00:07.000000007+00:00 stdout F half-writ",
);

async function read(options: LogOptions): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  for await (const line of readLog(log, options)) lines.push(line);
  return lines;
}

const text = (lines: readonly LogLine[]) => lines.map((l) => `${l.stream}:${l.line}`);

describe("readLog", () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("gives every line in order across rotated files, a split line joined, a final partial one as it is", async () => {
    expect(text(await read({}))).toEqual([
      "stdout:one",
      "stderr:two",
      "stdout:partial",
      "stderr:five",
      "stdout:no newline",
    ]);
  });

  it("keeps one stream, the last lines, and a time window", async () => {
    expect(text(await read({ stderr: false }))).toEqual([
      "stdout:one",
      "stdout:partial",
      "stdout:no newline",
    ]);
    expect(text(await read({ tail: 2, stdout: false }))).toEqual(["stderr:two", "stderr:five"]);
    expect(await read({ tail: 0 })).toEqual([]);
    expect(
      text(
        await read({ since: new Date("2026-12-06T10:00:02Z"), until: new Date("2026-12-06T10:00:05.5Z") }),
      ),
    ).toEqual(["stderr:two", "stdout:partial", "stderr:five"]);
  });

  it("gives the monitor's timestamps when asked, with nanoseconds and Z", async () => {
    const [first] = await read({ timestamps: true, tail: 5 });
    expect(first).toEqual({
      stream: "stdout",
      line: "one",
      time: new Date("2026-12-06T10:00:01.000Z"),
      timestamp: "2026-12-06T10:00:01.000000001Z",
    });
    expect((await read({}))[0]?.timestamp).toBeUndefined();
  });
});

describe("readLog across runs and terminals", () => {
  const runs = mkdtempSync(path.join(os.tmpdir(), "berth-readlog-runs-"));
  afterAll(() => rmSync(runs, { recursive: true, force: true }));

  async function readAll(file: string, options: LogOptions, source?: FollowSource): Promise<string[]> {
    const lines: string[] = [];
    for await (const line of readLog(file, options, source)) lines.push(`${line.stream}:${line.line}`);
    return lines;
  }

  it("ends a run's unterminated last line at the run's end, in one file and across a rotation", async () => {
    const one = path.join(runs, "one.log");
    writeFileSync(one, "2026-12-06T10:00:01.000000001+00:00 stdout P no newline\n");
    markRunStart(one, new Date("2026-12-06T10:00:02Z"));
    appendFileSync(one, "2026-12-06T10:00:03.000000003+00:00 stdout F first\n");
    expect(await readAll(one, {})).toEqual(["stdout:no newline", "stdout:first"]);
    expect(await readAll(one, { tail: 1 })).toEqual(["stdout:first"]);

    // The first run's last records rotated away; the second run begins in the current file.
    const two = path.join(runs, "two.log");
    writeFileSync(`${two}.1`, "2026-12-06T10:00:01.000000001+00:00 stderr P a\n");
    markRunStart(`${two}.1`, new Date("2026-12-06T10:00:02Z"));
    writeFileSync(two, "2026-12-06T10:00:03.000000003+00:00 stderr F b\n");
    expect(await readAll(two, {})).toEqual(["stderr:a", "stderr:b"]);
  });

  it("ends it too when the next run begins while logs follows", async () => {
    const file = path.join(runs, "follow.log");
    writeFileSync(file, "2026-12-06T10:00:01.000000001+00:00 stdout P no newline\n");
    let calls = 0;
    const source: FollowSource = {
      running: () => {
        if (++calls === 1) {
          markRunStart(file, new Date("2026-12-06T10:00:02Z"));
          appendFileSync(file, "2026-12-06T10:00:03.000000003+00:00 stdout F first\n");
        }
        return Promise.resolve(calls < 3);
      },
    };
    expect(await readAll(file, { follow: true }, source)).toEqual(["stdout:no newline", "stdout:first"]);
  });

  it("drops a terminal's carriage return before the newline, as Docker's logs do", async () => {
    const file = path.join(runs, "tty.log");
    writeFileSync(
      file,
      "2026-12-06T10:00:01.000000001+00:00 stdout F one\r\n" +
        // conmon cut the line between the CR and the LF.
        "2026-12-06T10:00:02.000000002+00:00 stdout P two\r\n" +
        "2026-12-06T10:00:02.000000003+00:00 stdout F \n" +
        // Only the one CR next to the newline.
        "2026-12-06T10:00:03.000000003+00:00 stdout F three\r\r\n" +
        // A last line without a newline keeps what it has, as on Docker.
        "2026-12-06T10:00:04.000000004+00:00 stdout P four\r\n",
    );
    expect(await readAll(file, {})).toEqual(["stdout:one", "stdout:two", "stdout:three\r", "stdout:four\r"]);
  });
});
