/**
 * `docker import --change` instructions applied to an image's container config, as Docker's
 * builder dispatches them (`moby@20.10:builder/dockerfile/dispatchers.go`): CMD, ENTRYPOINT, ENV,
 * EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR. Shell forms run through `/bin/sh -c`;
 * ENTRYPOINT clears an inherited CMD unless a CMD came earlier in the same changes.
 */
import path from "node:path";
import { InvalidRequestError } from "../../errors.js";
import type { OciContainerConfig } from "./config.js";

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Words of a shell-form argument: whitespace-separated, with '…', "…" and backslash escapes. */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote !== undefined) {
      if (ch === quote) quote = undefined;
      else if (ch === "\\" && quote === '"' && i + 1 < text.length) word += text[++i];
      else word += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === "\\" && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote !== undefined) throw new InvalidRequestError(`unterminated quote in ${JSON.stringify(text)}`);
  if (inWord) words.push(word);
  return words;
}

/** The JSON array form, or undefined when the text is not one (then it is the shell form). */
function jsonArray(text: string): string[] | undefined {
  if (!text.startsWith("[")) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) && value.every((item) => typeof item === "string") ? value : undefined;
  } catch {
    return undefined;
  }
}

function commandForm(text: string, shell: readonly string[]): string[] {
  return jsonArray(text) ?? [...shell, text];
}

/** `k=v k2="v 2"`, or the legacy `k v w` (one pair, the rest of the line as the value). */
function pairs(instruction: string, text: string): [string, string][] {
  const words = splitWords(text);
  if (words.length === 0) throw new InvalidRequestError(`${instruction} needs at least one argument`);
  if (!words[0]!.includes("=")) {
    const [key, ...rest] = text.trim().split(/\s+/);
    if (rest.length === 0)
      throw new InvalidRequestError(`${instruction} ${key ?? ""} must have two arguments`);
    return [[key!, splitWords(text.trim().slice(key!.length)).join(" ")]];
  }
  return words.map((word) => {
    const eq = word.indexOf("=");
    if (eq <= 0) throw new InvalidRequestError(`${instruction} ${JSON.stringify(word)} is not key=value`);
    return [word.slice(0, eq), word.slice(eq + 1)];
  });
}

/** `80`, `80/udp`, `8000-8002/tcp` → Docker's `port/proto` keys. */
function exposed(words: readonly string[]): string[] {
  const keys: string[] = [];
  for (const word of words) {
    const [ports = "", proto = "tcp"] = word.split("/");
    const range = /^(\d+)(?:-(\d+))?$/.exec(ports);
    if (!range) throw new InvalidRequestError(`EXPOSE ${JSON.stringify(word)} is not a port`);
    const first = Number(range[1]);
    const last = range[2] === undefined ? first : Number(range[2]);
    if (last < first || last - first > 65535)
      throw new InvalidRequestError(`EXPOSE ${JSON.stringify(word)} is not a port range`);
    for (let port = first; port <= last; port++) keys.push(`${port}/${proto.toLowerCase()}`);
  }
  return keys;
}

const INSTRUCTIONS = new Set([
  "CMD",
  "ENTRYPOINT",
  "ENV",
  "EXPOSE",
  "LABEL",
  "ONBUILD",
  "STOPSIGNAL",
  "USER",
  "VOLUME",
  "WORKDIR",
]);

/** The config with each change applied in order; throws InvalidRequestError naming a bad one. */
export function applyChanges(base: OciContainerConfig, changes: readonly string[]): OciContainerConfig {
  const config: Mutable<OciContainerConfig> = { ...base };
  let cmdSet = false;
  for (const change of changes) {
    const trimmed = change.trim();
    if (trimmed === "") continue;
    const space = trimmed.search(/\s/);
    const instruction = (space < 0 ? trimmed : trimmed.slice(0, space)).toUpperCase();
    const rest = space < 0 ? "" : trimmed.slice(space).trim();
    if (!INSTRUCTIONS.has(instruction)) {
      throw new InvalidRequestError(
        `${instruction} is not a valid change command (valid: ${[...INSTRUCTIONS].join(", ")})`,
      );
    }
    const shell = config.Shell ?? ["/bin/sh", "-c"];
    switch (instruction) {
      case "CMD":
        config.Cmd = commandForm(rest, shell);
        cmdSet = true;
        break;
      case "ENTRYPOINT":
        config.Entrypoint = rest === "" ? null : commandForm(rest, shell);
        if (!cmdSet) config.Cmd = null;
        break;
      case "ENV": {
        const env = [...(config.Env ?? [])];
        for (const [key, value] of pairs("ENV", rest)) {
          const at = env.findIndex((entry) => entry.split("=")[0] === key);
          if (at >= 0) env[at] = `${key}=${value}`;
          else env.push(`${key}=${value}`);
        }
        config.Env = env;
        break;
      }
      case "LABEL":
        config.Labels = { ...(config.Labels ?? {}), ...Object.fromEntries(pairs("LABEL", rest)) };
        break;
      case "EXPOSE":
        config.ExposedPorts = {
          ...(config.ExposedPorts ?? {}),
          ...Object.fromEntries(exposed(splitWords(rest)).map((k) => [k, {}])),
        };
        break;
      case "VOLUME": {
        const volumes = jsonArray(rest) ?? splitWords(rest);
        if (volumes.length === 0)
          throw new InvalidRequestError("VOLUME specified can not be an empty string");
        config.Volumes = { ...(config.Volumes ?? {}), ...Object.fromEntries(volumes.map((v) => [v, {}])) };
        break;
      }
      case "WORKDIR":
        if (rest === "") throw new InvalidRequestError("WORKDIR needs a path");
        config.WorkingDir = path.posix.resolve("/", config.WorkingDir ?? "/", rest);
        break;
      case "USER":
        if (rest === "") throw new InvalidRequestError("USER needs a user");
        config.User = rest;
        break;
      case "STOPSIGNAL":
        if (!/^(SIG)?[A-Z0-9+-]+$|^\d+$/i.test(rest))
          throw new InvalidRequestError(`STOPSIGNAL ${JSON.stringify(rest)} is not a signal`);
        config.StopSignal = rest;
        break;
      case "ONBUILD":
        config.OnBuild = [...(config.OnBuild ?? []), rest];
        break;
    }
  }
  return config;
}
