/**
 * The executor's scheduler (`walk`) with fake work: a node runs as soon as its prerequisites are
 * done, a failure stops only what depends on it, and an abort starts nothing new. No clock: each
 * node's work is a promise the test settles.
 */
import { describe, expect, it } from "vitest";
import { DependencyError, ExecuteError } from "../../../src/engine/errors.js";
import { walk } from "../../../src/engine/execute.js";
import { tarOf } from "../../../src/engine/operations.js";
import { PlanBuilder, type Plan, type PlanNode } from "../../../src/engine/plan.js";
import { judgeOne } from "../../../src/engine/wait.js";
import type { ContainerState } from "../../../src/runtime/runtime.js";
import tar from "tar-stream";
import { Readable } from "node:stream";

/** a, b independent; c after a; d after b and c. */
function diamond(): Plan {
  const plan = new PlanBuilder();
  const start = (name: string) => ({ kind: "StartContainer" as const, container: name, display: name });
  const a = plan.add("container:a:1", start("a"), "t");
  const b = plan.add("container:b:1", start("b"), "t");
  const c = plan.add("container:c:1", start("c"), "t", [a]);
  plan.add("container:d:1", start("d"), "t", [b, c]);
  return plan.build();
}

interface Gate {
  readonly started: string[];
  release(name: string, error?: Error): void;
  work(node: PlanNode): Promise<void>;
}

function gate(): Gate {
  const started: string[] = [];
  const pending = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  return {
    started,
    release(name, error) {
      const p = pending.get(name);
      if (!p) throw new Error(`${name} has not started`);
      if (error) p.reject(error);
      else p.resolve();
    },
    work(node) {
      const name = node.op.kind === "StartContainer" ? node.op.display : "?";
      started.push(name);
      return new Promise<void>((resolve, reject) => pending.set(name, { resolve, reject }));
    },
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("walk", () => {
  it("runs independent nodes together and each node once its prerequisites are done", async () => {
    const g = gate();
    const done = walk(diamond(), {}, (node) => g.work(node));
    await tick();
    expect(g.started).toEqual(["a", "b"]);
    g.release("b");
    await tick();
    expect(g.started).toEqual(["a", "b"]); // d still needs c
    g.release("a");
    await tick();
    expect(g.started).toEqual(["a", "b", "c"]);
    g.release("c");
    await tick();
    expect(g.started).toEqual(["a", "b", "c", "d"]);
    g.release("d");
    await done;
  });

  it("a failure skips what depends on it, lets independent branches finish, and names the step", async () => {
    const g = gate();
    const done = walk(diamond(), {}, (node) => g.work(node));
    await tick();
    g.release("a", new Error('service "a": cannot start a: boom'));
    await tick();
    g.release("b");
    const error = await done.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExecuteError);
    expect((error as ExecuteError).message).toBe('service "a": cannot start a: boom');
    expect((error as ExecuteError).service).toBe("a");
    expect(g.started).toEqual(["a", "b"]); // c and d never ran
  });

  it("the error keeps the failed step's hint and counts only failures that say something else", async () => {
    const plan = new PlanBuilder();
    const wait = (service: string) => ({
      kind: "WaitCondition" as const,
      service,
      condition: "running_or_healthy" as const,
      required: true,
      dependents: [],
    });
    for (const service of ["db", "db", "cache"]) plan.add(`service:${service}`, wait(service), "--wait");
    const hinted = (message: string, hint: string) => new DependencyError(message, { hint });
    const errors = [
      hinted("application not healthy after 3s", 'service "db": container demo-db-1 is starting'),
      hinted("application not healthy after 3s", 'service "db": container demo-db-1 is starting'),
      new Error("container demo-cache-1 exited (1)"),
    ];
    let next = 0;
    const error = await walk(plan.build(), {}, () => Promise.reject(errors[next++] as Error)).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ExecuteError);
    expect((error as ExecuteError).message).toBe("application not healthy after 3s (and 1 more failed step)");
    expect((error as ExecuteError).hint).toBe('service "db": container demo-db-1 is starting');
  });

  it("an abort starts nothing new and rejects with the reason once running work ends", async () => {
    const g = gate();
    const controller = new AbortController();
    const done = walk(diamond(), { signal: controller.signal }, (node) => g.work(node));
    await tick();
    controller.abort(new Error("interrupted"));
    g.release("a");
    g.release("b");
    await expect(done).rejects.toThrow("interrupted");
    expect(g.started).toEqual(["a", "b"]);
  });

  it("honours a concurrency limit", async () => {
    const g = gate();
    const done = walk(diamond(), { concurrency: 1 }, (node) => g.work(node));
    await tick();
    expect(g.started).toEqual(["a"]);
    g.release("a");
    await tick();
    expect(g.started).toEqual(["a", "b"]);
    g.release("b");
    await tick();
    g.release("c");
    await tick();
    g.release("d");
    await done;
    expect(g.started).toEqual(["a", "b", "c", "d"]);
  });
});

describe("tarOf", () => {
  it("packs files rooted at / with their mode and owner", async () => {
    const buffer = await tarOf([
      { target: "/run/secrets/token", content: "s3cret", mode: 0o440, uid: 1005, gid: 1006 },
    ]);
    const extract = tar.extract();
    const seen: {
      name: string;
      mode: number | undefined;
      uid: number | undefined;
      gid: number | undefined;
      body: string;
    }[] = [];
    extract.on("entry", (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on("data", (c: unknown) => chunks.push(Buffer.from(c as Uint8Array)));
      stream.on("end", () => {
        seen.push({
          name: header.name,
          mode: header.mode,
          uid: header.uid,
          gid: header.gid,
          body: Buffer.concat(chunks).toString(),
        });
        next();
      });
    });
    await new Promise<void>((resolve, reject) => {
      extract.on("finish", resolve);
      extract.on("error", reject);
      Readable.from([buffer]).pipe(extract);
    });
    expect(seen).toEqual([{ name: "run/secrets/token", mode: 0o440, uid: 1005, gid: 1006, body: "s3cret" }]);
  });
});

describe("judgeOne (depends_on verdicts, as Compose words them)", () => {
  const base: ContainerState = {
    id: "x",
    name: "demo-db-1",
    image: "busybox",
    imageId: "",
    labels: {},
    created: new Date(0),
    status: "running",
    running: true,
    exitCode: 0,
    pid: 1,
    startedAt: new Date(0),
    finishedAt: undefined,
    health: undefined,
    restartCount: 0,
    oomKilled: false,
    error: undefined,
    tty: false,
    networks: {},
    ports: [],
    mounts: [],
  };
  it("service_healthy", () => {
    expect(judgeOne({ ...base, health: "healthy" }, "service_healthy").kind).toBe("met");
    expect(judgeOne({ ...base, health: "starting" }, "service_healthy").kind).toBe("pending");
    expect(judgeOne({ ...base, health: "unhealthy" }, "service_healthy")).toMatchObject({
      kind: "failed",
      why: "container demo-db-1 is unhealthy",
    });
    expect(judgeOne(base, "service_healthy")).toMatchObject({
      why: "container demo-db-1 has no healthcheck configured",
    });
    expect(judgeOne({ ...base, status: "exited", exitCode: 3 }, "service_healthy")).toMatchObject({
      why: "container demo-db-1 exited (3)",
    });
  });
  it("service_completed_successfully and running_or_healthy", () => {
    expect(judgeOne(base, "service_completed_successfully").kind).toBe("pending");
    expect(judgeOne({ ...base, status: "exited", exitCode: 0 }, "service_completed_successfully").kind).toBe(
      "met",
    );
    expect(
      judgeOne({ ...base, status: "exited", exitCode: 1 }, "service_completed_successfully"),
    ).toMatchObject({
      why: "container demo-db-1 didn't complete successfully: exit 1",
    });
    expect(judgeOne(base, "running_or_healthy").kind).toBe("met");
    expect(judgeOne({ ...base, health: "starting" }, "running_or_healthy").kind).toBe("pending");
    expect(judgeOne({ ...base, status: "restarting" }, "running_or_healthy").kind).toBe("pending");
  });
});
