/**
 * `berth ps` against things that are not a working engine, as a user meets them: a socket that
 * takes the connection and never answers, and one that answers something other than HTTP. Each
 * must end with one clear sentence and status 1, not hang or print "internal error".
 */
import { describe, expect, it } from "vitest";
import { unixServersPerTest } from "../unix-server.js";
import { berth } from "./cli.js";

const serve = unixServersPerTest();

describe("an engine that does not answer", () => {
  it("fails `ps` after COMPOSE_HTTP_TIMEOUT seconds, saying the engine did not answer", async () => {
    const socketPath = await serve(() => undefined);
    const started = Date.now();
    const result = await berth(["-p", "quiet", "ps"], {
      env: { DOCKER_HOST: `unix://${socketPath}`, COMPOSE_HTTP_TIMEOUT: "1" },
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`the Docker engine at unix://${socketPath} did not answer`);
    expect(result.stderr).toContain("in 1 s");
    expect(result.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
  });

  it("says a socket that answers something other than HTTP is not a Docker engine", async () => {
    const socketPath = await serve((socket) => {
      socket.once("data", () => socket.end("220 mail.example ESMTP ready\r\n"));
    });
    const result = await berth(["-p", "quiet", "ps"], { env: { DOCKER_HOST: `unix://${socketPath}` } });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`unix://${socketPath} is not a Docker engine`);
    expect(result.stderr).not.toMatch(/internal error|Parse Error:/);
  });
});
