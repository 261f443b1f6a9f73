/**
 * The two JSON files the registry client reads (the CLI's config.json, dockerd's daemon.json): a
 * missing file means defaults, anything else that goes wrong is an error naming the file.
 */
import { readFile } from "node:fs/promises";
import { InvalidRequestError } from "../../errors.js";
import { errnoCode } from "../../../errno.js";

/** The file's text, or undefined when it does not exist. */
export async function readOptionalFile(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    const code = errnoCode(error);
    if (code === "ENOENT") return undefined;
    throw new InvalidRequestError(`${file}: cannot read (${code ?? "error"})`);
  }
}

/** The top-level object of a JSON file's text (`{}` for any other JSON value). */
export function parseJsonObject(text: string, file: string): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new InvalidRequestError(`${file}: not valid JSON (${(error as Error).message})`);
  }
  return typeof raw === "object" && raw !== null && !Array.isArray(raw)
    ? (raw as Record<string, unknown>)
    : {};
}
