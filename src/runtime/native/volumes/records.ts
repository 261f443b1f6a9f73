/**
 * A volume's record, `volumes/<name>/volume.json` beside its `_data`: what Docker keeps in its
 * metadata.db and opts.json. Written whole by rename, so a reader sees the old or the new one.
 */
import { readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { tempName } from "../images/temp-files.js";

export const RECORD_FILE = "volume.json";
export const DATA_DIR = "_data";

export interface VolumeRecord {
  readonly name: string;
  readonly driver: "local";
  readonly labels: Readonly<Record<string, string>>;
  readonly options: Readonly<Record<string, string>>;
  /** ISO time. */
  readonly created: string;
}

export async function readRecord(dir: string): Promise<VolumeRecord | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(dir, RECORD_FILE), "utf8");
  } catch {
    return undefined;
  }
  const value: unknown = JSON.parse(text);
  return isRecord(value) ? value : undefined;
}

export async function writeRecord(dir: string, record: VolumeRecord): Promise<void> {
  const temp = tempName(dir);
  await writeFile(temp, `${JSON.stringify(record)}\n`, { mode: 0o600 });
  await rename(temp, path.join(dir, RECORD_FILE));
}

function isRecord(value: unknown): value is VolumeRecord {
  if (typeof value !== "object" || value === null) return false;
  const r = value as Record<string, unknown>;
  return (
    typeof r["name"] === "string" &&
    r["driver"] === "local" &&
    typeof r["labels"] === "object" &&
    typeof r["options"] === "object" &&
    typeof r["created"] === "string"
  );
}
