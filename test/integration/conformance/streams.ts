/** What a container's processes say: logs with both streams, attach, exec with stdin, top and stats. */
import { describe, expect } from "vitest";
import { ConflictError, NotFoundError } from "../../../src/runtime/errors.js";
import type { LogLine } from "../../../src/runtime/runtime.js";
import { RUN_ID } from "../engine.js";
import { drain, type Harness, lines, rejection, within } from "./harness.js";

export function logCases(h: Harness): void {
  describe("logs", () => {
    h.case(
      "keeps stdout and stderr apart, each in order, with a final partial line",
      ["processes"],
      async () => {
        const result = await h.run([
          "sh",
          "-c",
          "echo out1; echo err1 >&2; echo out2; echo err2 >&2; echo out3; printf partial",
        ]);
        expect(result.exitCode).toBe(0);
        expect(result.stdout).toEqual(["out1", "out2", "out3", "partial"]);
        expect(result.stderr).toEqual(["err1", "err2"]);
        const stdoutOnly = await h.collectLogs(result.id, { stdout: true, stderr: false });
        expect(stdoutOnly.every((l) => l.stream === "stdout")).toBe(true);
        expect(stdoutOnly.map((l) => l.line)).toEqual(["out1", "out2", "out3", "partial"]);
      },
    );

    h.case("gives the last lines with tail and times with timestamps", ["processes"], async () => {
      const result = await h.run(["sh", "-c", "for i in 1 2 3 4 5; do echo line$i; done"]);
      expect(result.stdout).toEqual(["line1", "line2", "line3", "line4", "line5"]);
      const tail = await h.collectLogs(result.id, { tail: 2 });
      expect(tail.map((l) => l.line)).toEqual(["line4", "line5"]);
      expect(tail.every((l) => l.time === undefined)).toBe(true);

      const state = await h.runtime.containers.inspect(result.id);
      const from = (state?.startedAt?.getTime() ?? 0) - 1_000;
      const to = (state?.finishedAt?.getTime() ?? 0) + 1_000;
      const stamped = await h.collectLogs(result.id, { timestamps: true });
      expect(stamped.map((l) => l.line)).toEqual(result.stdout);
      for (const line of stamped) {
        const time = line.time?.getTime() ?? 0;
        expect(time).toBeGreaterThanOrEqual(from);
        expect(time).toBeLessThanOrEqual(to);
      }
    });

    h.case("follows until the container exits", ["processes"], async () => {
      const id = await h.createContainer({
        command: ["sh", "-c", "for i in 1 2 3; do echo f$i; sleep 0.3; done; echo bye >&2"],
      });
      await h.runtime.containers.start(id);
      const signal = AbortSignal.timeout(15_000);
      const seen: LogLine[] = [];
      for await (const line of h.runtime.containers.logs(id, { follow: true, signal })) seen.push(line);
      expect(signal.aborted, "the follow ended on its own, not by the 15 s bound").toBe(false);
      expect(lines(seen, "stdout")).toEqual(["f1", "f2", "f3"]);
      expect(lines(seen, "stderr")).toEqual(["bye"]);
    });

    h.case("rejects logs of a missing container with NotFound", [], async () => {
      const error = await rejection(h.collectLogs(`berth-it-${RUN_ID}-missing`));
      expect(error).toBeInstanceOf(NotFoundError);
    });

    h.case("gives an empty log for a container that never ran", [], async () => {
      expect(await h.collectLogs(await h.createContainer())).toEqual([]);
    });
  });

  describe("attach and exec", () => {
    h.case("sends stdin and receives stdout and stderr apart", ["processes"], async () => {
      const { runtime } = h;
      const id = await h.createContainer({
        command: ["sh", "-c", "read line; echo got:$line; echo err:$line >&2"],
        stdinOpen: true,
      });
      const session = await runtime.containers.attach(id, {
        stdin: true,
        signal: AbortSignal.timeout(15_000),
      });
      expect(session.stdin).toBeDefined();
      await runtime.containers.start(id);
      session.stdin?.write("hello\n");
      const output = await drain(session);
      expect(output.timedOut).toBe(false);
      expect(output.stdout).toBe("got:hello\n");
      expect(output.stderr).toBe("err:hello\n");
      expect(await h.waitExit(id)).toBe(0);
    });

    h.case(
      "an attach with stdin made before the start holds for a process that prints and exits at once",
      ["processes"],
      async () => {
        const { runtime } = h;
        // Several rounds: the process can end before an attach that is late reaches it.
        for (let round = 0; round < 5; round++) {
          const id = await h.createContainer({ command: ["sh", "-c", "echo at-once"], stdinOpen: true });
          const session = await runtime.containers.attach(id, {
            stdin: true,
            signal: AbortSignal.timeout(15_000),
          });
          await runtime.containers.start(id);
          const output = await drain(session);
          expect(output.timedOut, `round ${round}`).toBe(false);
          expect(output.stdout, `round ${round}`).toBe("at-once\n");
          expect(await h.waitExit(id)).toBe(0);
        }
      },
    );

    h.case("resizes a TTY container (stty size reports it)", ["processes"], async () => {
      const { runtime } = h;
      const id = await h.createContainer({
        command: ["sh", "-c", "read go; stty size"],
        tty: true,
        stdinOpen: true,
      });
      const session = await runtime.containers.attach(id, {
        stdin: true,
        signal: AbortSignal.timeout(15_000),
      });
      await runtime.containers.start(id);
      await runtime.containers.resize(id, { rows: 40, cols: 120 });
      expect((await runtime.containers.inspect(id))?.tty).toBe(true);
      expect((await runtime.containers.inspect(id))?.stdinOpen).toBe(true);
      session.stdin?.write("go\n");
      const output = await drain(session);
      expect(output.timedOut).toBe(false);
      expect(output.stderr).toBe(""); // a TTY has one stream
      expect(output.stdout).toMatch(/\b40 120\r?\n/);
      expect(await h.waitExit(id)).toBe(0);
    });
    h.case("ends when stdin is half-closed (echo hi | cat)", ["processes"], async () => {
      const id = await h.sleeper();
      const session = await h.runtime.containers.exec(id, { command: ["cat"], stdin: true });
      session.stdin?.write("hi\n");
      session.stdin?.end();
      const output = await drain(session);
      expect(output.timedOut, "cat saw EOF").toBe(false);
      expect(output.stdout).toBe("hi\n");
      expect(await within(10_000, "exec exit code", session.exitCode())).toBe(0);
    });

    h.case("starts a detached exec and returns at once; the process runs on", ["processes"], async () => {
      const id = await h.sleeper();
      const marker = `/tmp/detached-${RUN_ID}`;
      const session = await h.runtime.containers.exec(id, {
        command: ["sh", "-c", `sleep 1; echo done > ${marker}`],
        detach: true,
      });
      expect(await drain(session)).toEqual({ stdout: "", stderr: "", timedOut: false });
      expect(await within(1_000, "detached exec exit code", session.exitCode())).toBe(0);
      const read = async (): Promise<string> => {
        const check = await h.runtime.containers.exec(id, {
          command: ["sh", "-c", `cat ${marker} 2>/dev/null`],
        });
        return (await drain(check)).stdout;
      };
      expect(await read(), "returned before the process ended").toBe("");
      let found = "";
      for (let tries = 0; tries < 50 && found === ""; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        found = await read();
      }
      expect(found).toBe("done\n");
    });

    h.case("reports exit codes and keeps stdout and stderr apart", ["processes"], async () => {
      const id = await h.sleeper();
      const session = await h.runtime.containers.exec(id, {
        command: ["sh", "-c", "echo o; echo e >&2; exit 7"],
      });
      const output = await drain(session);
      expect(output).toEqual({ stdout: "o\n", stderr: "e\n", timedOut: false });
      expect(await within(10_000, "exec exit code", session.exitCode())).toBe(7);
    });

    h.case("runs with env, user and working directory", ["processes"], async () => {
      const id = await h.sleeper();
      const session = await h.runtime.containers.exec(id, {
        command: ["sh", "-c", 'echo "$FOO|$(id -u):$(id -g)|$(pwd)"'],
        env: { FOO: "bar baz" },
        user: "1234:5678",
        workingDir: "/tmp",
      });
      const output = await drain(session);
      expect(output.stdout).toBe("bar baz|1234:5678|/tmp\n");
      expect(await within(10_000, "exec exit code", session.exitCode())).toBe(0);
    });

    h.case("resizes a TTY exec (stty size reports it)", ["processes"], async () => {
      const id = await h.sleeper();
      const session = await h.runtime.containers.exec(id, {
        command: ["sh", "-c", "read go; stty size"],
        tty: true,
        stdin: true,
      });
      await session.resize({ rows: 33, cols: 101 });
      session.stdin?.write("go\n");
      const output = await drain(session);
      expect(output.timedOut).toBe(false);
      expect(output.stderr).toBe(""); // a TTY has one stream
      expect(output.stdout).toMatch(/\b33 101\r?\n/);
      expect(await within(10_000, "exec exit code", session.exitCode())).toBe(0);
    });

    h.case("refuses exec in a stopped container", [], async () => {
      const stopped = await h.createContainer({ command: ["true"] });
      expect(await rejection(h.runtime.containers.exec(stopped, { command: ["true"] }))).toBeInstanceOf(
        ConflictError,
      );
    });
  });

  describe("top and stats", () => {
    h.case("lists the processes of a running container", ["processes"], async () => {
      const id = await h.sleeper();
      const top = await h.runtime.containers.top(id);
      expect(top.titles).toContain("PID");
      expect(top.processes.some((p) => p.join(" ").includes("sleep 60"))).toBe(true);
      const custom = await h.runtime.containers.top(id, "-o pid,comm");
      expect(custom.titles).toEqual(["PID", "COMMAND"]);
      expect(custom.processes.map((p) => p[1])).toContain("sleep");
    });

    h.case("gives one stats sample, and a stream that stops when the loop does", ["processes"], async () => {
      const id = await h.sleeper();
      const samples = [];
      for await (const s of h.runtime.containers.stats(id, {
        stream: false,
        signal: AbortSignal.timeout(15_000),
      })) {
        samples.push(s);
      }
      expect(samples.length).toBe(1);
      const [sample] = samples;
      expect(sample?.memoryUsageBytes).toBeGreaterThan(0);
      expect(sample?.memoryLimitBytes).toBeGreaterThan(0);
      expect(sample?.pids).toBeGreaterThanOrEqual(1);
      expect(sample?.cpuPercent).toBeGreaterThanOrEqual(0);
      expect(Math.abs((sample?.time.getTime() ?? 0) - Date.now())).toBeLessThan(60_000);

      let streamed = 0;
      for await (const _ of h.runtime.containers.stats(id, {
        stream: true,
        signal: AbortSignal.timeout(15_000),
      })) {
        if (++streamed === 2) break;
      }
      expect(streamed).toBe(2);
    });

    h.case("ends a stats stream on abort", [], async () => {
      const id = await h.sleeper();
      const controller = new AbortController();
      let samples = 0;
      const read = (async () => {
        for await (const _ of h.runtime.containers.stats(id, { stream: true, signal: controller.signal })) {
          if (++samples === 1) controller.abort();
        }
      })();
      await within(15_000, "stats stream ends on abort", read);
      expect(samples).toBe(1);
    });
  });
}
