/**
 * Attach to a container that does not run yet (Docker attaches before the start, so nothing the
 * process prints or reads is missed): a session at once, connected when the next run exists —
 * woken by a start in this process (ctx.starting, which waits till it is attached, so the stdin
 * of a process that exits at once is connected too), or seen by polling when another process
 * starts it. Input written meanwhile is held and passed on; a never-started container's log is read from
 * its start.
 */
import { PassThrough } from "node:stream";
import type { AttachOptions, StreamSession } from "../../runtime.js";
import { type ContainerContext, notFound } from "./context.js";
import { observe } from "./observe.js";
import { processIoOf, targetOf } from "./process-target.js";
import { type ContainerRecord, readRecord } from "./records.js";

export function attachToNextRun(
  ctx: ContainerContext,
  record: ContainerRecord,
  attachOptions: AttachOptions,
): StreamSession {
  const stdin = attachOptions.stdin ? new PassThrough() : undefined;
  const signal = attachOptions.signal;
  let inner: StreamSession | undefined;
  let closed = false;
  const ready = (async (): Promise<StreamSession | undefined> => {
    let wake: (() => void) | undefined;
    let settle!: () => void;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    const waiters = ctx.starting.get(record.id) ?? new Set<() => Promise<void>>();
    ctx.starting.set(record.id, waiters);
    const waiter = (): Promise<void> => {
      wake?.();
      return settled;
    };
    waiters.add(waiter);
    try {
      for (let i = 0; ; i++) {
        if (closed || signal?.aborted) return undefined;
        const now = readRecord(ctx.paths, record.id);
        if (!now || now.state !== "created") throw notFound(record.name);
        const observed = observe(now, ctx.layoutOf(now.id));
        if (now.run && observed.kind !== "idle") {
          inner = await processIoOf(ctx).attach(targetOf(ctx, now, observed), {
            ...attachOptions,
            logs: attachOptions.logs === true || record.startedAt === undefined,
          });
          if (closed) inner.close();
          if (stdin && inner.stdin) stdin.pipe(inner.stdin);
          return inner;
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, i < 50 ? 20 : 200);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    } finally {
      settle();
      waiters.delete(waiter);
      if (waiters.size === 0) ctx.starting.delete(record.id);
    }
  })();
  ready.catch(() => undefined);
  return {
    output: (async function* () {
      const session = await ready;
      if (session) yield* session.output;
    })(),
    stdin,
    resize: async (size) => {
      await (await ready)?.resize(size);
    },
    close: () => {
      closed = true;
      inner?.close();
    },
  };
}
