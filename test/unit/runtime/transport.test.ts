/**
 * The transport against real unix-socket servers in this process: one that never answers, one that
 * does not speak HTTP, one that answers late but in time, and one that reads an upload slowly.
 */
import { describe, expect, it } from "vitest";
import { unixServersPerTest } from "../../unix-server.js";
import { EngineUnavailableError } from "../../../src/runtime/errors.js";
import {
  answerTimeoutFromEnv,
  DEFAULT_ANSWER_TIMEOUT_MS,
  Transport,
} from "../../../src/runtime/docker/transport.js";

const serve = unixServersPerTest();

/** What `promise` rejects with (undefined when it resolves), to check the error's kind and text. */
function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (err: unknown) => err,
  );
}

const OK = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nOK";

describe("time to the first byte of an answer", () => {
  it("fails a request the engine takes but never answers, naming the call and the limit", async () => {
    const socketPath = await serve(() => undefined);
    const transport = new Transport({ kind: "unix", socketPath }, { answerTimeoutMs: 300 });
    const started = Date.now();
    const error = await failure(transport.request({ method: "GET", path: "/v1.41/containers/json?all=1" }));
    transport.close();
    expect(error).toBeInstanceOf(EngineUnavailableError);
    expect((error as Error).message).toBe(
      `the Docker engine at unix://${socketPath} did not answer GET /v1.41/containers/json in 0.3 s`,
    );
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("bounds a hijack (attach, exec start) the same way", async () => {
    const socketPath = await serve(() => undefined);
    const transport = new Transport({ kind: "unix", socketPath }, { answerTimeoutMs: 200 });
    await expect(transport.hijack({ method: "POST", path: "/v1.41/containers/x/attach" })).rejects.toThrow(
      /did not answer POST \/v1\.41\/containers\/x\/attach in 0\.2 s/,
    );
    transport.close();
  });

  it("waits as long as the call asks for, and for ever with 0", async () => {
    const socketPath = await serve((socket) => {
      socket.once("data", () => setTimeout(() => socket.write(OK), 400));
    });
    const transport = new Transport({ kind: "unix", socketPath }, { answerTimeoutMs: 100 });
    for (const answerTimeoutMs of [2000, 0]) {
      const res = await transport.request({ method: "POST", path: "/stop", answerTimeoutMs });
      expect(res.status).toBe(200);
      res.body.resume();
    }
    await expect(transport.request({ method: "POST", path: "/stop" })).rejects.toThrow(/in 0\.1 s/);
    transport.close();
  });

  it("starts counting once an upload is sent, not while it is being read", async () => {
    // The server reads nothing for 600 ms, so a 1 MiB body stays in flight longer than the limit.
    const socketPath = await serve((socket) => {
      socket.pause();
      setTimeout(() => {
        let received = 0;
        socket.on("data", (chunk: Buffer) => {
          received += chunk.length;
          if (received >= 1 << 20) setTimeout(() => socket.write(OK), 100);
        });
        socket.resume();
      }, 600);
    });
    const transport = new Transport({ kind: "unix", socketPath }, { answerTimeoutMs: 400 });
    async function* upload(): AsyncIterable<Uint8Array> {
      for (let i = 0; i < 16; i++) yield new Uint8Array(1 << 16);
    }
    const res = await transport.request({ method: "POST", path: "/build", body: upload() });
    expect(res.status).toBe(200);
    res.body.resume();
    transport.close();
  });
});

describe("an answer that is not HTTP", () => {
  it("says the address is not a Docker engine instead of a parse error", async () => {
    const socketPath = await serve((socket) => {
      socket.once("data", () => socket.end("SSH-2.0-OpenSSH_9.2\r\n"));
    });
    const transport = new Transport({ kind: "unix", socketPath });
    const error = await failure(transport.request({ method: "GET", path: "/_ping" }));
    transport.close();
    expect(error).toBeInstanceOf(EngineUnavailableError);
    expect((error as Error).message).toMatch(
      new RegExp(`^unix://${socketPath} is not a Docker engine: what it answered is not HTTP$`),
    );
  });
});

describe("COMPOSE_HTTP_TIMEOUT", () => {
  it("sets the limit in seconds; anything else keeps the default", () => {
    expect(answerTimeoutFromEnv({ COMPOSE_HTTP_TIMEOUT: "5" })).toBe(5000);
    expect(answerTimeoutFromEnv({ COMPOSE_HTTP_TIMEOUT: "0.5" })).toBe(500);
    for (const value of [undefined, "", "0", "-3", "soon"]) {
      expect(answerTimeoutFromEnv({ COMPOSE_HTTP_TIMEOUT: value })).toBe(DEFAULT_ANSWER_TIMEOUT_MS);
    }
  });
});
