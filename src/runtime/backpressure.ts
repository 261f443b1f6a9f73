/**
 * Waiting for a full writable, for Node's streams and tar-stream's (streamx) alike: the tar
 * archives berth writes (build contexts, `cp`) and reads go through both kinds.
 */

/** What both Node's and streamx's writables offer. */
export interface DrainableWritable {
  write(chunk: Uint8Array): boolean;
  end(chunk: undefined): unknown;
  destroy(error?: Error): unknown;
  readonly destroyed: boolean;
  on(event: "drain" | "close", listener: () => void): unknown;
  off(event: "drain" | "close", listener: () => void): unknown;
}

/**
 * Resolves on the first of `drain` and `close`, and takes both listeners off: racing two
 * `events.once` left the loser's listeners behind at every pause of a large file, until Node
 * warned of a listener leak.
 */
export function drainedOrClosed(stream: Pick<DrainableWritable, "on" | "off">): Promise<void> {
  return new Promise((resolveWait) => {
    const done = (): void => {
      stream.off("drain", done);
      stream.off("close", done);
      resolveWait();
    };
    stream.on("drain", done);
    stream.on("close", done);
  });
}

/**
 * Writes every chunk of `source` into `sink`, pausing while it is full, then ends it; a failure
 * reading `source` destroys `sink` with it (so whoever reads what `sink` makes sees the error).
 * Runs in the background: the caller reads the other end.
 */
export function feed(source: AsyncIterable<Uint8Array>, sink: DrainableWritable): void {
  const run = async (): Promise<void> => {
    for await (const chunk of source) {
      if (sink.destroyed) return;
      if (!sink.write(chunk)) await drainedOrClosed(sink);
    }
    if (!sink.destroyed) sink.end(undefined);
  };
  run().catch((error: unknown) => sink.destroy(error instanceof Error ? error : new Error(String(error))));
}
