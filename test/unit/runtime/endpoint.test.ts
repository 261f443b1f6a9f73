/**
 * berth must find the engine where the docker CLI finds it: an explicit host, else DOCKER_HOST,
 * else the default socket; TLS as the Go client turns it on; and an address it cannot use is an
 * EngineUnavailable error that names it (without any password in it).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { describeEndpoint, resolveEndpoint } from "../../../src/runtime/docker/endpoint.js";
import { EngineUnavailableError } from "../../../src/runtime/errors.js";

const certs = mkdtempSync(join(tmpdir(), "berth-certs-"));
for (const file of ["ca.pem", "cert.pem", "key.pem"]) writeFileSync(join(certs, file), `${file}\n`);
afterAll(() => rmSync(certs, { recursive: true, force: true }));

function failure(run: () => unknown): EngineUnavailableError {
  try {
    run();
  } catch (err) {
    if (err instanceof EngineUnavailableError) return err;
    throw err;
  }
  throw new Error("expected an EngineUnavailableError");
}

describe("resolveEndpoint", () => {
  it("takes the default socket, DOCKER_HOST, or an explicit host, in that order of precedence", () => {
    expect(resolveEndpoint({})).toEqual({ kind: "unix", socketPath: "/var/run/docker.sock" });
    expect(resolveEndpoint({ DOCKER_HOST: "" })).toEqual({
      kind: "unix",
      socketPath: "/var/run/docker.sock",
    });
    expect(resolveEndpoint({ DOCKER_HOST: "unix:///run/d.sock" })).toEqual({
      kind: "unix",
      socketPath: "/run/d.sock",
    });
    expect(resolveEndpoint({ DOCKER_HOST: "unix:///run/d.sock" }, "tcp://h:1")).toEqual({
      kind: "tcp",
      host: "h",
      port: 1,
    });
  });

  it("reads tcp addresses with the plain and TLS default ports, and IPv6 hosts", () => {
    expect(resolveEndpoint({ DOCKER_HOST: "tcp://10.0.0.5" })).toEqual({
      kind: "tcp",
      host: "10.0.0.5",
      port: 2375,
    });
    expect(resolveEndpoint({ DOCKER_HOST: "TCP://[::1]:2380" })).toEqual({
      kind: "tcp",
      host: "::1",
      port: 2380,
    });
    expect(resolveEndpoint({ DOCKER_HOST: "http://h:8080" })).toEqual({ kind: "tcp", host: "h", port: 8080 });
  });

  it("turns TLS on with DOCKER_CERT_PATH, and verifies only with DOCKER_TLS_VERIFY", () => {
    const tls = resolveEndpoint({ DOCKER_HOST: "tcp://h", DOCKER_CERT_PATH: certs });
    expect(tls).toMatchObject({ kind: "tcp", host: "h", port: 2376, tls: { verify: false } });
    expect(tls.kind === "tcp" && tls.tls?.ca.toString()).toBe("ca.pem\n");
    const verified = resolveEndpoint({
      DOCKER_HOST: "tcp://h:9",
      DOCKER_CERT_PATH: certs,
      DOCKER_TLS_VERIFY: "1",
    });
    expect(verified).toMatchObject({ port: 9, tls: { verify: true } });
    // https:// asks for TLS by itself; the files then come from ~/.docker.
    const home = join(certs, "home");
    expect(failure(() => resolveEndpoint({ DOCKER_HOST: "https://h", HOME: home })).message).toContain(
      `cannot read the TLS file ${join(home, ".docker", "ca.pem")}`,
    );
  });

  it("refuses what it cannot use, naming the address without its password", () => {
    expect(failure(() => resolveEndpoint({ DOCKER_HOST: "unix://" })).message).toBe(
      "cannot connect to the Docker engine at unix://: the unix socket path is empty",
    );
    expect(failure(() => resolveEndpoint({ DOCKER_HOST: "ssh://me:secret@host" })).message).toBe(
      "cannot connect to the Docker engine at ssh://host: ssh:// engine addresses are not supported; forward the socket instead",
    );
    expect(failure(() => resolveEndpoint({ DOCKER_HOST: "npipe:////./pipe/docker" })).message).toContain(
      "the address must be unix:///path or tcp://host:port",
    );
    const missing = failure(() =>
      resolveEndpoint({
        DOCKER_HOST: "tcp://h",
        DOCKER_TLS_VERIFY: "1",
        DOCKER_CERT_PATH: join(certs, "none"),
      }),
    );
    expect(missing.message).toBe(
      `cannot connect to the Docker engine at tcp://h:2376: cannot read the TLS file ${join(certs, "none", "ca.pem")}`,
    );
    expect(missing.hint).toBe("is dockerd running? set DOCKER_HOST to the engine's address");
  });

  it("describes an endpoint for messages", () => {
    expect(describeEndpoint({ kind: "unix", socketPath: "/s" })).toBe("unix:///s");
    expect(describeEndpoint({ kind: "tcp", host: "::1", port: 2375 })).toBe("tcp://[::1]:2375");
  });
});
