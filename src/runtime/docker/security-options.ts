/**
 * `security_opt: seccomp=<file>`: the Engine API takes the profile itself, not a path (dockerd
 * fails the start with "Decoding seccomp profile failed"), so the client reads the file and sends
 * its compacted JSON, as the docker CLI and Compose v2 do (a relative path is the caller's cwd).
 * `unconfined`, an empty value and a profile already inline go as written.
 */
import { readFile } from "node:fs/promises";
import { InvalidRequestError } from "../errors.js";

export async function withSeccompProfilesRead(
  options: readonly string[] | undefined,
): Promise<readonly string[] | undefined> {
  if (options === undefined) return undefined;
  return Promise.all(options.map(readSeccompOption));
}

async function readSeccompOption(option: string): Promise<string> {
  // The legacy `seccomp:path` spelling is the CLI's too.
  const sep = option.includes("=") ? "=" : option.includes(":") ? ":" : undefined;
  if (sep === undefined) return option;
  const at = option.indexOf(sep);
  const path = option.slice(at + 1);
  if (option.slice(0, at) !== "seccomp" || path === "unconfined" || path === "") return option;
  if (path.trimStart().startsWith("{")) return option;
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new InvalidRequestError(`opening seccomp profile (${path}) failed: ${(error as Error).message}`);
  }
  try {
    JSON.parse(text);
  } catch (error) {
    throw new InvalidRequestError(
      `compacting json for seccomp profile (${path}) failed: ${(error as Error).message}`,
    );
  }
  return `seccomp=${compactJson(text)}`;
}

/**
 * Valid JSON without the whitespace between tokens (Go's json.Compact): done on the text, not by
 * a parse and stringify, so a syscall argument beyond 2^53 keeps every digit.
 */
export function compactJson(text: string): string {
  let out = "";
  let inString = false;
  let escaped = false;
  for (const char of text) {
    if (inString) {
      out += char;
      if (escaped) escaped = false;
      else if (char === "\\") escaped = true;
      else if (char === '"') inString = false;
    } else if (char === '"') {
      inString = true;
      out += char;
    } else if (char !== " " && char !== "\t" && char !== "\n" && char !== "\r") out += char;
  }
  return out;
}
