/**
 * berth must find registry credentials where the Docker CLI finds them: `credHelpers[host]`, then
 * `credsStore`, then `auths` (base64 `user:password`, or an identity token), with Docker Hub under
 * its legacy address; helpers run as `docker-credential-<name> get` with the address on stdin. No
 * error ever repeats a secret.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  dockerConfigPath,
  helperFor,
  inlineCredentials,
  lookupCredentials,
  parseDockerConfig,
  readDockerConfig,
} from "../../../../../src/runtime/native/registry/credentials.js";

const dir = mkdtempSync(join(tmpdir(), "berth-creds-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const b64 = (s: string): string => Buffer.from(s, "utf8").toString("base64");
const FILE = "/home/u/.docker/config.json";

/** A credential helper on a private PATH: prints what it was asked for into a file, answers by host. */
function helper(name: string, script: string): void {
  const file = join(dir, `docker-credential-${name}`);
  writeFileSync(file, `#!/bin/sh\n${script}\n`);
  chmodSync(file, 0o755);
}
helper(
  "fake",
  `read server
printf '%s' "$server" > "${dir}/asked"
case "$server" in
  https://index.docker.io/v1/) echo '{"ServerURL":"x","Username":"hubuser","Secret":"hub-secret"}' ;;
  tok.example) echo '{"ServerURL":"x","Username":"<token>","Secret":"refresh-secret"}' ;;
  *) echo 'credentials not found in native keychain'; exit 1 ;;
esac`,
);
helper("broken", `read server\necho "keychain locked"\nexit 3`);
const env = { PATH: `${dir}:/usr/bin:/bin` };

describe("config.json", () => {
  it("is $DOCKER_CONFIG/config.json, else ~/.docker/config.json", () => {
    expect(dockerConfigPath({ DOCKER_CONFIG: "/cfg", HOME: "/home/u" })).toBe("/cfg/config.json");
    expect(dockerConfigPath({ HOME: "/home/u" })).toBe("/home/u/.docker/config.json");
  });

  it("decodes auths entries: base64 user:password (the password may hold colons), and identity tokens", () => {
    const config = parseDockerConfig(
      JSON.stringify({
        auths: {
          "https://index.docker.io/v1/": { auth: b64("hubuser:hub:pass") },
          "reg.example:5000": { auth: b64("u:p") },
          "https://legacy.example/v1/": { auth: b64("lu:lp") },
          "tok.example": { identitytoken: "refresh" },
        },
      }),
      FILE,
    );
    expect(inlineCredentials(config, "docker.io")).toEqual({
      username: "hubuser",
      password: "hub:pass",
      identityToken: undefined,
    });
    expect(inlineCredentials(config, "reg.example:5000")).toMatchObject({ username: "u", password: "p" });
    // A key written as a URL matches its host, as the CLI's ConvertToHostname does.
    expect(inlineCredentials(config, "legacy.example")).toMatchObject({ username: "lu", password: "lp" });
    expect(inlineCredentials(config, "tok.example")).toEqual({
      username: undefined,
      password: undefined,
      identityToken: "refresh",
    });
    expect(inlineCredentials(config, "other.example")).toBeUndefined();
  });

  it("refuses an auth value that is not user:password without repeating it", () => {
    const config = parseDockerConfig(
      JSON.stringify({ auths: { "r.example": { auth: b64("nocolonsecret") } } }),
      FILE,
    );
    expect(() => inlineCredentials(config, "r.example", FILE)).toThrow(/is not base64 of user:password$/);
    try {
      inlineCredentials(config, "r.example", FILE);
    } catch (error) {
      expect(String(error)).not.toContain("nocolonsecret");
      expect(String(error)).not.toContain(b64("nocolonsecret"));
    }
  });

  it("is empty when the file is missing, and an error naming the file when it is not JSON", async () => {
    expect(await readDockerConfig(join(dir, "missing.json"))).toEqual({
      auths: {},
      credsStore: undefined,
      credHelpers: {},
    });
    writeFileSync(join(dir, "bad.json"), "{ nope");
    await expect(readDockerConfig(join(dir, "bad.json"))).rejects.toThrow(
      `${join(dir, "bad.json")}: not valid JSON`,
    );
  });
});

describe("credential helpers", () => {
  const config = parseDockerConfig(
    JSON.stringify({
      credsStore: "fake",
      credHelpers: { "gcr.example": "broken", "none.example": "missing" },
      auths: { "plain.example": { auth: b64("a:b") } },
    }),
    FILE,
  );

  it("chooses credHelpers[host], else credsStore", () => {
    expect(helperFor(config, "gcr.example")).toBe("broken");
    expect(helperFor(config, "docker.io")).toBe("fake");
    expect(helperFor(parseDockerConfig("{}", FILE), "docker.io")).toBeUndefined();
  });

  it("asks the helper with Docker Hub's legacy address and reads Username/Secret", async () => {
    expect(await lookupCredentials(config, "docker.io", env, FILE)).toEqual({
      username: "hubuser",
      password: "hub-secret",
    });
    const { readFileSync } = await import("node:fs");
    expect(readFileSync(join(dir, "asked"), "utf8")).toBe("https://index.docker.io/v1/");
  });

  it("reads Username <token> as an identity token", async () => {
    expect(await lookupCredentials(config, "tok.example", env, FILE)).toEqual({
      identityToken: "refresh-secret",
    });
  });

  it("treats 'credentials not found' as anonymous, even when auths has an entry (the store is the helper)", async () => {
    expect(await lookupCredentials(config, "plain.example", env, FILE)).toBeUndefined();
  });

  it("names a helper that fails or is missing", async () => {
    await expect(lookupCredentials(config, "gcr.example", env, FILE)).rejects.toThrow(
      "credential helper docker-credential-broken failed (exit 3): keychain locked",
    );
    await expect(lookupCredentials(config, "none.example", env, FILE)).rejects.toThrow(
      "credential helper docker-credential-missing not found on PATH",
    );
  });
});
