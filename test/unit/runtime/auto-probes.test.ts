/**
 * The looks `--runtime auto` takes for a project must be cheap where nothing is there, bounded where
 * an engine hangs, and exact where one answers: the Docker side against real unix sockets (missing,
 * refusing, hung, a scripted engine), the native side against records in a temporary root.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { dockerHolds, nativeHolds } from "../../../src/runtime/auto-probes.js";
import { containerLayout } from "../../../src/runtime/native/containers/records.js";
import { nativePaths } from "../../../src/runtime/native/paths.js";
import { unixServersPerTest } from "../../unix-server.js";

const LABELS = ["com.docker.compose.project=shop"];
const dir = mkdtempSync(path.join(tmpdir(), "berth-auto-probes-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("dockerHolds", () => {
  const serve = unixServersPerTest();
  const servers: http.Server[] = [];
  afterEach(() => {
    for (const server of servers.splice(0)) server.close();
  });

  /** An engine that answers _ping and lists `ids` for a label filter, recording the list queries. */
  async function engine(ids: readonly string[]): Promise<{ socketPath: string; queries: URLSearchParams[] }> {
    const socketPath = path.join(mkdtempSync(path.join(dir, "engine-")), "docker.sock");
    const queries: URLSearchParams[] = [];
    const server = http.createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://engine");
      if (url.pathname === "/_ping") {
        res.writeHead(200, { "Api-Version": "1.41", "Content-Type": "text/plain" }).end("OK");
      } else if (/^(\/v1\.\d+)?\/containers\/json$/.test(url.pathname)) {
        // As dockerd: the versioned path, or the unversioned one for its current API.
        queries.push(url.searchParams);
        res
          .writeHead(200, { "Content-Type": "application/json" })
          .end(JSON.stringify(ids.map((Id) => ({ Id }))));
      } else {
        res.writeHead(404).end();
      }
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    return { socketPath, queries };
  }

  it("answers no-engine at once where the socket is missing or refuses", async () => {
    const started = Date.now();
    expect(await dockerHolds({ DOCKER_HOST: `unix://${dir}/missing.sock` }, LABELS, 2000)).toBe("no-engine");
    const notASocket = path.join(dir, "file.sock");
    writeFileSync(notASocket, "");
    expect(await dockerHolds({ DOCKER_HOST: `unix://${notASocket}` }, LABELS, 2000)).toBe("no-engine");
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("gives up on an engine that takes the connection and never answers, within its bound", async () => {
    const socketPath = await serve(() => undefined);
    const started = Date.now();
    expect(await dockerHolds({ DOCKER_HOST: `unix://${socketPath}` }, LABELS, 300)).toBe("no-answer");
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(1500);
  });

  it("asks an engine for one container of the project, of any state", async () => {
    const holding = await engine(["abc"]);
    expect(await dockerHolds({ DOCKER_HOST: `unix://${holding.socketPath}` }, LABELS, 2000)).toBe("yes");
    const query = holding.queries[0];
    expect(query?.get("all")).toBe("1");
    expect(query?.get("limit")).toBe("1");
    expect(JSON.parse(query?.get("filters") ?? "{}")).toEqual({ label: LABELS });
    const empty = await engine([]);
    expect(await dockerHolds({ DOCKER_HOST: `unix://${empty.socketPath}` }, LABELS, 2000)).toBe("no");
  });
});

describe("nativeHolds", () => {
  const root = path.join(dir, "native");
  const env = { BERTH_ROOT: root, BERTH_RUN_ROOT: path.join(dir, "native-run") };

  function record(id: string, state: string, labels: Record<string, string>): void {
    const file = containerLayout(nativePaths(env), id).record;
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({ version: 1, id, state, labels }));
  }

  it("finds a complete record carrying the project's label, and nothing else", async () => {
    expect(await nativeHolds(env, LABELS)).toBe(false); // no root at all
    record("a".repeat(64), "created", { "com.docker.compose.project": "other" });
    record("b".repeat(64), "creating", { "com.docker.compose.project": "shop" });
    expect(await nativeHolds(env, LABELS)).toBe(false);
    record("c".repeat(64), "created", { "com.docker.compose.project": "shop", x: "y" });
    expect(await nativeHolds(env, LABELS)).toBe(true);
  });
});
