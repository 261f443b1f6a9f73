/**
 * The native containers' pure parts: runc's JSON errors as sentences of the right kind, conmon's
 * arguments and sync-pipe answers, k8s-file log lines (partial lines joined, rotated files in
 * order), Docker's /etc/hosts and resolv.conf, sizes, OOM counters, signals, and event filters.
 */
import { execFileSync } from "node:child_process";
import {
  closeSync,
  constants,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  ApiError,
  ConflictError,
  InvalidRequestError,
  NotFoundError,
} from "../../../../../src/runtime/errors.js";
import { hostsFile, resolvFile } from "../../../../../src/runtime/native/containers/bundle-files.js";
import { parseOomKills } from "../../../../../src/runtime/native/containers/cgroups.js";
import {
  logLimits,
  monitorSizeMax,
  parseSize,
  rotateIfDue,
} from "../../../../../src/runtime/native/containers/log-rotation.js";
import {
  LineJoiner,
  logFiles,
  normalizeTimestamp,
  parseLogEntry,
} from "../../../../../src/runtime/native/containers/logs.js";
import { monitorArgs, parseSyncMessage } from "../../../../../src/runtime/native/containers/monitor.js";
import { runcError, runcMessages } from "../../../../../src/runtime/native/containers/runc.js";
import { normalizeSignal, stopSignalName } from "../../../../../src/runtime/native/containers/signals.js";
import { matchesFilter, matchesLabels, parseEvent } from "../../../../../src/runtime/native/events.js";
import type { ContainerSpec, RuntimeEvent } from "../../../../../src/runtime/runtime.js";

const spec = (over: Partial<ContainerSpec> = {}): ContainerSpec => ({
  name: "c",
  image: "i",
  labels: {},
  ...over,
});

describe("runc errors", () => {
  it("reads runc's JSON log lines on stderr, keeping plain lines", () => {
    const stderr =
      '{"level":"debug","msg":"nsexec started"}\n{"level":"error","msg":"container does not exist","time":"t"}\nplain\n';
    expect(runcMessages(stderr)).toEqual(["container does not exist", "plain"]);
  });

  it("gives the kind the message says", () => {
    const notFound = runcError("kill", "abc", '{"level":"error","msg":"container does not exist"}', "x");
    expect(notFound).toBeInstanceOf(NotFoundError);
    expect(notFound.message).toBe("runc kill of container abc failed: container does not exist");
    expect(runcError("kill", "abc", '{"level":"error","msg":"container not running"}', "x")).toBeInstanceOf(
      ConflictError,
    );
    const other = runcError("start", "abc", "", "exit status 1");
    expect(other).toBeInstanceOf(ApiError);
    expect(other.message).toBe("runc start of container abc failed: exit status 1");
  });
});

describe("conmon", () => {
  const options = {
    id: "a".repeat(64),
    uuid: "aaaaaaaaaaaa",
    name: "web-1",
    runcPath: "/usr/sbin/runc",
    runcArgs: ["--root", "/run/berth/native/runc", "--log-format", "json"],
    bundle: "/run/b",
    pidFile: "/run/b/pid",
    logPath: "/var/lib/berth/containers/x/container.log",
    exitDir: "/run/berth/native/exits",
    socketDir: "/run/berth/native/sockets",
    conmonPidFile: "/run/b/conmon.pid",
    tty: false,
    stdin: true,
    leaveStdinOpen: false,
  };

  it("passes runc's global arguments one by one, the log as k8s-file, stdin without leave-open for stdin_once", () => {
    const args = monitorArgs({ ...options, logSizeMax: 1024 });
    expect(args.join(" ")).toContain(
      "--runtime-arg --root --runtime-arg /run/berth/native/runc --runtime-arg --log-format --runtime-arg json",
    );
    expect(args).toContain("k8s-file:/var/lib/berth/containers/x/container.log");
    expect(args.slice(-3)).toEqual(["--log-size-max", "1024", "--stdin"]);
    expect(monitorArgs({ ...options, leaveStdinOpen: true, tty: true }).slice(-3)).toEqual([
      "--terminal",
      "--stdin",
      "--leave-stdin-open",
    ]);
  });

  it("reads the sync pipe: a pid, or runc's reason for a failed create", () => {
    expect(parseSyncMessage('{"data": 4242}\n')).toEqual({ pid: 4242 });
    expect(
      parseSyncMessage(
        '{"data": -1, "message": "{\\"level\\":\\"error\\",\\"msg\\":\\"runc create failed: unable to start container process: exec: \\\\\\"nope\\\\\\": executable file not found in $PATH\\"}\\n"}\n',
      ),
    ).toEqual({
      error:
        'runc create failed: unable to start container process: exec: "nope": executable file not found in $PATH',
    });
    expect(parseSyncMessage("")).toBeUndefined();
    expect(parseSyncMessage("garbage\n")).toEqual({ error: "unexpected answer from conmon: garbage" });
  });
});

describe("k8s-file logs", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "berth-logs-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("parses a line: time (Z for +00:00, nanoseconds kept), stream, partial flag, text with its spaces", () => {
    expect(parseLogEntry("2026-12-06T13:54:02.304113113+00:00 stderr F  two  spaces")).toEqual({
      timestamp: "2026-12-06T13:54:02.304113113Z",
      time: new Date("2026-12-06T13:54:02.304Z"),
      stream: "stderr",
      partial: false,
      text: " two  spaces",
    });
    expect(parseLogEntry("2026-12-06T13:54:02.304113113+00:00 stdout P")?.text).toBe("");
    expect(parseLogEntry("not a log line")).toBeUndefined();
    expect(normalizeTimestamp("2026-12-06T13:54:02.1+01:00")).toBe("2026-12-06T13:54:02.1+01:00");
  });

  it("joins partial lines per stream, with the first part's time", () => {
    const joiner = new LineJoiner();
    const at = (s: number, stream: string, tag: string, text: string) =>
      parseLogEntry(`2026-12-06T00:00:0${s}.000000000+00:00 ${stream} ${tag} ${text}`)!;
    expect(joiner.push(at(1, "stdout", "P", "hel"))).toBeUndefined();
    expect(joiner.push(at(2, "stderr", "F", "err"))?.text).toBe("err");
    const joined = joiner.push(at(3, "stdout", "F", "lo"));
    expect(joined?.text).toBe("hello");
    expect(joined?.timestamp).toBe("2026-12-06T00:00:01.000000000Z");
    joiner.push(at(4, "stdout", "P", "tail"));
    expect(joiner.flush().map((e) => e.text)).toEqual(["tail"]);
  });

  it("rotates at max-size keeping max-file files, the oldest dropped; one file is conmon's truncation", () => {
    const log = path.join(dir, "rotating.log");
    const limits = logLimits({ "max-size": "10", "max-file": "3" });
    expect(monitorSizeMax(limits)).toBeUndefined();
    expect(monitorSizeMax(logLimits({ "max-size": "10" }))).toBe(10);
    // The monitor's control FIFO, read as conmon reads it.
    const ctl = path.join(dir, "ctl");
    execFileSync("mkfifo", [ctl]);
    const reader = openSync(ctl, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      for (const round of ["a", "b", "c"]) {
        writeFileSync(log, `${round.repeat(10)}\n`);
        expect(rotateIfDue(log, ctl, limits)).toBe(true);
      }
      writeFileSync(log, "short\n");
      expect(rotateIfDue(log, ctl, limits)).toBe(false);
      expect(logFiles(log).map((f) => readFileSync(f, "utf8")[0])).toEqual(["b", "c", "s"]);
      const told = Buffer.alloc(64);
      expect(told.toString("utf8", 0, readSync(reader, told))).toBe("2 0 0\n".repeat(3));
    } finally {
      closeSync(reader);
    }
  });

  it("leaves a log unrotated when no monitor reads its control FIFO (it could not reopen the log)", () => {
    const log = path.join(dir, "orphan.log");
    writeFileSync(log, `${"x".repeat(20)}\n`);
    const limits = logLimits({ "max-size": "10", "max-file": "3" });
    expect(rotateIfDue(log, path.join(dir, "no-ctl"), limits)).toBe(false);
    expect(logFiles(log)).toEqual([log]);
  });

  it("lists rotated files oldest first", () => {
    const log = path.join(dir, "container.log");
    for (const name of ["container.log", "container.log.1", "container.log.2", "container.log.tmp"]) {
      writeFileSync(path.join(dir, name), "");
    }
    expect(logFiles(log)).toEqual([`${log}.2`, `${log}.1`, log]);
  });
});

describe("the files Docker manages", () => {
  it("writes /etc/hosts with the hostname (not for none), and extra hosts", () => {
    expect(hostsFile(spec({ extraHosts: ["db:10.0.0.5", "v6:fe80::1"] }), "abc123")).toBe(
      "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n" +
        "ff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n127.0.1.1\tabc123\n" +
        "10.0.0.5\tdb\nfe80::1\tv6\n",
    );
    expect(hostsFile(spec({ networkMode: "none" }), "abc123")).not.toContain("abc123");
    expect(hostsFile(spec({ networkMode: "host" }), "h", "127.0.0.1 localhost")).toBe(
      "127.0.0.1 localhost\n",
    );
  });

  it("writes resolv.conf from the host's, without a loopback resolver unless host, with dns options", () => {
    const host = "# comment\nnameserver 127.0.0.53\nnameserver 10.0.0.2\nsearch lan\noptions edns0\n";
    expect(resolvFile(spec(), host)).toBe("nameserver 10.0.0.2\nsearch lan\noptions edns0\n");
    expect(resolvFile(spec({ networkMode: "host" }), host)).toContain("nameserver 127.0.0.53\n");
    expect(resolvFile(spec(), "nameserver 127.0.0.53\n")).toBe("nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
    expect(resolvFile(spec({ dns: ["1.1.1.1"], dnsSearch: ["x"], dnsOptions: ["ndots:1"] }), host)).toBe(
      "nameserver 1.1.1.1\nsearch x\noptions ndots:1\n",
    );
  });
});

describe("small parsers", () => {
  it("reads max-size as Docker does", () => {
    expect(parseSize("10m")).toBe(10 * 1024 * 1024);
    expect(parseSize("1.5k")).toBe(1536);
    expect(parseSize("200")).toBe(200);
    expect(parseSize("lots")).toBeUndefined();
    expect(parseSize(undefined)).toBeUndefined();
  });

  it("counts OOM kills from memory.oom_control and memory.events", () => {
    expect(parseOomKills("oom_kill_disable 0\nunder_oom 0\noom_kill 2\n")).toBe(2);
    expect(parseOomKills("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n")).toBe(1);
    expect(parseOomKills("oom_kill_disable 0\n")).toBe(0);
  });

  it("names signals as runc takes them, and picks the stop signal", () => {
    expect(normalizeSignal("usr1")).toBe("SIGUSR1");
    expect(normalizeSignal("9")).toBe("SIGKILL");
    expect(normalizeSignal("SIGRTMIN+3")).toBe("SIGRTMIN+3");
    expect(() => normalizeSignal("NOPE")).toThrow(InvalidRequestError);
    expect(stopSignalName(undefined, "SIGUSR2", "SIGQUIT")).toBe("SIGUSR2");
    expect(stopSignalName(undefined, undefined, "QUIT")).toBe("SIGQUIT");
    expect(stopSignalName(undefined, undefined, undefined)).toBe("SIGTERM");
    expect(stopSignalName("kill", "SIGUSR2", undefined)).toBe("SIGKILL");
  });
});

describe("events", () => {
  const die: RuntimeEvent = {
    type: "container",
    id: "abc",
    action: "die",
    exitCode: 3,
    attributes: { name: "web-1", "com.docker.compose.project": "p" },
    time: new Date("2026-12-06T10:00:00.000Z"),
  };

  it("round-trips an event through its stored line", () => {
    expect(parseEvent(JSON.stringify({ ...die, time: die.time.toISOString() }))).toEqual(die);
    expect(parseEvent("{")).toBeUndefined();
  });

  it("filters by label terms (ANDed), type and time", () => {
    expect(matchesLabels(die.attributes, ["com.docker.compose.project", "name=web-1"])).toBe(true);
    expect(matchesLabels(die.attributes, ["com.docker.compose.project=q"])).toBe(false);
    expect(matchesFilter(die, { types: ["network"] })).toBe(false);
    expect(matchesFilter(die, { since: new Date("2026-12-06T10:00:01Z") })).toBe(false);
    expect(matchesFilter(die, { until: new Date("2026-12-06T10:00:01Z"), labels: ["name"] })).toBe(true);
  });
});
