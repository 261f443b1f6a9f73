/**
 * The two looks `--runtime auto` takes before it picks a runtime for a project (backends.ts
 * `chooseAuto`): whether the Docker Engine holds the project's containers, and whether the native
 * runtime does. Both are cheap where nothing is there — a missing socket is one stat, a missing
 * native root one readdir — and neither changes anything (no recovery, no supervisor started).
 */
import { Buffer } from "node:buffer";
import { existsSync } from "node:fs";
import http from "node:http";
import type { EngineHolds, Env } from "./backends.js";
import { resolveEndpoint } from "./docker/endpoint.js";
import { listIds, readRecord } from "./native/containers/records.js";
import { nativePaths } from "./native/paths.js";

/** `key=value` terms, all of which `labels` must carry. */
function carries(labels: Readonly<Record<string, string>>, terms: readonly string[]): boolean {
  return terms.every((term) => {
    const eq = term.indexOf("=");
    return eq < 0 ? term in labels : labels[term.slice(0, eq)] === term.slice(eq + 1);
  });
}

/**
 * Whether the engine (DOCKER_HOST, else the default socket) lists a container carrying `labels`,
 * given `timeoutMs` for the whole exchange: `no-engine` when there is no socket or nobody listens,
 * `no-answer` when it is slow or answers as no engine does.
 */
export async function dockerHolds(
  env: Env,
  labels: readonly string[],
  timeoutMs: number,
): Promise<EngineHolds> {
  let endpoint;
  try {
    endpoint = resolveEndpoint(env);
  } catch {
    return "no-engine"; // an address berth cannot use: nothing of the project can be there
  }
  if (endpoint.kind === "unix" && !existsSync(endpoint.socketPath)) return "no-engine";
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    let list: unknown;
    if (endpoint.kind === "unix") {
      // node:http alone, not the Engine API client: on the common path (native picked, an engine
      // here) loading the client would cost more than the question. An unversioned path is the
      // engine's current API.
      const query = new URLSearchParams({ all: "1", limit: "1", filters: JSON.stringify({ label: labels }) });
      list = await getJson(endpoint.socketPath, `/containers/json?${query.toString()}`, signal);
    } else {
      const { EngineApi, filtersParam } = await import("./docker/engine-api.js");
      const api = new EngineApi(env);
      try {
        list = await api.json<unknown[]>("GET", "/containers/json", {
          query: { all: true, limit: 1, filters: filtersParam({ label: labels }) },
          signal,
          answerTimeoutMs: timeoutMs,
        });
      } finally {
        api.close();
      }
    }
    return Array.isArray(list) && list.length > 0 ? "yes" : "no";
  } catch (error) {
    return nobodyListens(error) ? "no-engine" : "no-answer";
  }
}

/** GET `path` over the unix socket: the parsed JSON of a 200 answer; rejects otherwise. */
function getJson(socketPath: string, path: string, signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve, reject) => {
    // agent: false: one connection, closed after the answer (no keep-alive holding the process).
    const options = { socketPath, path, signal, agent: false, headers: { Host: "docker" } };
    const request = http.get(options, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("error", reject);
      response.on("end", () => {
        if (response.statusCode !== 200) return reject(new Error(`HTTP ${response.statusCode}`));
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
    });
    request.on("error", (error) => reject(new Error(error.message, { cause: error })));
  });
}

/** The socket is missing or refuses the connection (not: it is there but hung or foreign). */
function nobodyListens(error: unknown): boolean {
  const cause = error instanceof Error ? error.cause : undefined;
  const code = typeof cause === "object" && cause !== null && "code" in cause ? cause.code : undefined;
  return code === "ENOENT" || code === "ECONNREFUSED";
}

/** Whether a complete native container record carries `labels` (records only: nothing is started). */
export function nativeHolds(env: Env, labels: readonly string[]): Promise<boolean> {
  const paths = nativePaths(env);
  for (const id of listIds(paths)) {
    const record = readRecord(paths, id);
    if (record?.state === "created" && carries(record.labels, labels)) return Promise.resolve(true);
  }
  return Promise.resolve(false);
}
