/**
 * berth must read a registry's `WWW-Authenticate` challenges as RFC 7235 writes them, as Docker
 * Hub, distribution and token servers send them, and prefer Bearer over Basic.
 */
import { describe, expect, it } from "vitest";
import { parseChallenges, pickChallenge } from "../../../../../src/runtime/native/registry/challenge.js";

describe("parseChallenges", () => {
  it("reads Docker Hub's Bearer challenge", () => {
    expect(
      parseChallenges(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"',
      ),
    ).toEqual([
      {
        scheme: "bearer",
        params: {
          realm: "https://auth.docker.io/token",
          service: "registry.docker.io",
          scope: "repository:library/busybox:pull",
        },
      },
    ]);
  });

  it("reads distribution's htpasswd Basic challenge", () => {
    expect(parseChallenges('Basic realm="basic-realm"')).toEqual([
      { scheme: "basic", params: { realm: "basic-realm" } },
    ]);
  });

  it("lower-cases scheme and parameter names, keeps values, and allows spaces, tokens and escapes", () => {
    expect(parseChallenges('BEARER Realm = "a\\"b" , Service=svc,error="insufficient_scope"')).toEqual([
      { scheme: "bearer", params: { realm: 'a"b', service: "svc", error: "insufficient_scope" } },
    ]);
  });

  it("splits several challenges in one value, and reads several header values", () => {
    const one = parseChallenges('Basic realm="r1", Bearer realm="https://t/token",service="s"');
    expect(one.map((c) => c.scheme)).toEqual(["basic", "bearer"]);
    expect(one[1]?.params).toEqual({ realm: "https://t/token", service: "s" });
    expect(parseChallenges(['Basic realm="a"', 'Bearer realm="b"']).map((c) => c.params["realm"])).toEqual([
      "a",
      "b",
    ]);
  });

  it("reads a scheme with no parameters, and nothing from an empty or absent header", () => {
    expect(parseChallenges("Negotiate")).toEqual([{ scheme: "negotiate", params: {} }]);
    expect(parseChallenges("")).toEqual([]);
    expect(parseChallenges(undefined)).toEqual([]);
  });

  it("keeps commas inside quoted scopes (several actions)", () => {
    expect(parseChallenges('Bearer realm="r",scope="repository:a/b:pull,push"')[0]?.params["scope"]).toBe(
      "repository:a/b:pull,push",
    );
  });
});

describe("pickChallenge", () => {
  it("prefers Bearer, then Basic, and answers nothing else", () => {
    expect(pickChallenge(parseChallenges('Basic realm="x", Bearer realm="y"'))?.scheme).toBe("bearer");
    expect(pickChallenge(parseChallenges('Basic realm="x"'))?.scheme).toBe("basic");
    expect(pickChallenge(parseChallenges("Negotiate"))).toBeUndefined();
  });
});
