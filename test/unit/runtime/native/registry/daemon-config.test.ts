/**
 * berth must apply daemon.json's `insecure-registries` and `registry-mirrors` as dockerd does:
 * loopback always insecure, names matched exactly, CIDRs matched against the registry's addresses,
 * insecure registries tried over HTTPS without verification then HTTP, and mirrors tried first for
 * Docker Hub pulls only.
 */
import { describe, expect, it } from "vitest";
import { InvalidRequestError } from "../../../../../src/runtime/errors.js";
import {
  EMPTY_DAEMON_CONFIG,
  endpointsFor,
  isInsecure,
  parseDaemonConfig,
} from "../../../../../src/runtime/native/registry/daemon-config.js";

const noLookup = (): Promise<string[]> => Promise.resolve([]);
const FILE = "/etc/docker/daemon.json";

describe("parseDaemonConfig", () => {
  it("reads mirrors and insecure registries, dropping schemes from insecure entries as dockerd does", () => {
    const config = parseDaemonConfig(
      JSON.stringify({
        "registry-mirrors": ["https://mirror.example.com/", "http://10.0.0.5:5000"],
        "insecure-registries": ["myreg:5000", "http://other.example", "10.1.0.0/16", "fd00::/8"],
        "log-driver": "json-file",
      }),
      FILE,
    );
    expect(config.mirrors).toEqual(["https://mirror.example.com", "http://10.0.0.5:5000"]);
    expect(config.insecureNames).toEqual(["myreg:5000", "other.example"]);
    expect(config.insecureCidrs).toEqual(["127.0.0.0/8", "::1/128", "10.1.0.0/16", "fd00::/8"]);
  });

  it("refuses what dockerd refuses, naming the file", () => {
    expect(() => parseDaemonConfig("{", FILE)).toThrow(/^\/etc\/docker\/daemon\.json: not valid JSON/);
    expect(() => parseDaemonConfig('{"registry-mirrors":["https://m.example/path"]}', FILE)).toThrow(
      '/etc/docker/daemon.json: invalid mirror: path, query, or fragment at end of the URI "https://m.example/path"',
    );
    expect(() => parseDaemonConfig('{"registry-mirrors":["ftp://m.example"]}', FILE)).toThrow(
      /unsupported scheme "ftp"/,
    );
    expect(() => parseDaemonConfig('{"insecure-registries":"x"}', FILE)).toThrow(InvalidRequestError);
  });
});

describe("isInsecure", () => {
  const config = parseDaemonConfig(
    JSON.stringify({ "insecure-registries": ["myreg:5000", "10.1.0.0/16"] }),
    FILE,
  );

  it("treats loopback and localhost as insecure without any configuration", async () => {
    for (const domain of ["127.0.0.1:5000", "127.1.2.3", "localhost", "localhost:5000", "[::1]:5000"]) {
      expect(await isInsecure(domain, EMPTY_DAEMON_CONFIG, noLookup), domain).toBe(true);
    }
    expect(await isInsecure("10.1.2.3:5000", EMPTY_DAEMON_CONFIG, noLookup)).toBe(false);
  });

  it("matches names exactly (with their port) and addresses against CIDRs", async () => {
    expect(await isInsecure("myreg:5000", config, noLookup)).toBe(true);
    expect(await isInsecure("myreg:5001", config, noLookup)).toBe(false);
    expect(await isInsecure("myreg", config, noLookup)).toBe(false);
    expect(await isInsecure("10.1.200.7:443", config, noLookup)).toBe(true);
    expect(await isInsecure("10.2.0.1", config, noLookup)).toBe(false);
  });

  it("resolves a host name and checks its addresses against the CIDRs, as moby does", async () => {
    const lookup = (host: string): Promise<string[]> =>
      Promise.resolve(host === "build.lan" ? ["10.1.0.9"] : []);
    expect(await isInsecure("build.lan:5000", config, lookup)).toBe(true);
    expect(await isInsecure("public.example:5000", config, lookup)).toBe(false);
  });
});

describe("endpointsFor", () => {
  const config = parseDaemonConfig(
    JSON.stringify({
      "registry-mirrors": ["https://mirror.example.com", "http://10.0.0.5:5000", "https://10.1.0.9"],
      "insecure-registries": ["10.1.0.0/16"],
    }),
    FILE,
  );

  it("tries each mirror in order, then Docker Hub, for Hub pulls", async () => {
    expect(await endpointsFor("docker.io", config, "pull", noLookup)).toEqual([
      { url: "https://mirror.example.com", skipVerify: false, mirror: true, registry: "mirror.example.com" },
      { url: "http://10.0.0.5:5000", skipVerify: false, mirror: true, registry: "10.0.0.5:5000" },
      { url: "https://10.1.0.9", skipVerify: true, mirror: true, registry: "10.1.0.9" },
      { url: "https://registry-1.docker.io", skipVerify: false, mirror: false, registry: "docker.io" },
    ]);
  });

  it("never pushes to a mirror, and never uses mirrors for other registries", async () => {
    expect(await endpointsFor("docker.io", config, "push", noLookup)).toEqual([
      { url: "https://registry-1.docker.io", skipVerify: false, mirror: false, registry: "docker.io" },
    ]);
    expect(await endpointsFor("ghcr.io", config, "pull", noLookup)).toEqual([
      { url: "https://ghcr.io", skipVerify: false, mirror: false, registry: "ghcr.io" },
    ]);
  });

  it("tries an insecure registry over HTTPS without verification, then over plain HTTP", async () => {
    expect(await endpointsFor("127.0.0.1:5000", EMPTY_DAEMON_CONFIG, "push", noLookup)).toEqual([
      { url: "https://127.0.0.1:5000", skipVerify: true, mirror: false, registry: "127.0.0.1:5000" },
      { url: "http://127.0.0.1:5000", skipVerify: false, mirror: false, registry: "127.0.0.1:5000" },
    ]);
  });
});
