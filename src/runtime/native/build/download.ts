/**
 * ADD of an http(s) URL, as the classic builder downloads one (moby builder/dockerfile/copy.go
 * downloadSource): a status of 400 or more fails the step; the file is named by the URL path's
 * last element, else by Content-Disposition's filename; its mode is 0600 and its time the
 * Last-Modified header's (the Unix epoch when there is none). The file is never unpacked.
 */
import { createWriteStream } from "node:fs";
import { utimes } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { RuntimeError } from "../../errors.js";

export function isUrl(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

/** getFilenameForDownload: the URL path's base name, else Content-Disposition's, else "". */
export function filenameFor(urlPath: string, contentDisposition: string | null): string {
  if (urlPath !== "" && !urlPath.endsWith("/")) {
    const base = path.posix.basename(decodeURIComponent(urlPath));
    if (base !== "") return base;
  }
  const match = /(?:^|;)\s*filename\s*=\s*(?:"([^"]*)"|([^;\s]*))/i.exec(contentDisposition ?? "");
  const name = match?.[1] ?? match?.[2] ?? "";
  if (name !== "" && !name.endsWith("/")) return path.posix.basename(name);
  return "";
}

export interface Downloaded {
  /** The directory holding the file. */
  readonly dir: string;
  /** Its name there (`__unnamed__` when none could be told). */
  readonly name: string;
  /** Whether a name was told (Docker refuses an unnamed file copied into a directory). */
  readonly named: boolean;
}

/** Downloads `url` into `dir`. */
export async function download(url: string, dir: string, signal?: AbortSignal): Promise<Downloaded> {
  const res = await fetch(url, { signal: signal ?? null, redirect: "follow" });
  if (res.status >= 400) {
    const body = (await res.text().catch(() => "")).trim();
    throw new RuntimeError(`failed to GET ${url} with status ${res.status} ${res.statusText}: ${body}`);
  }
  const told = filenameFor(new URL(url).pathname, res.headers.get("content-disposition"));
  const name = told === "" ? "__unnamed__" : told;
  const file = path.join(dir, name);
  const body = res.body ? Readable.fromWeb(res.body) : Readable.from([]);
  await pipeline(body, createWriteStream(file, { mode: 0o600, flags: "wx" }));
  const lastModified = Date.parse(res.headers.get("last-modified") ?? "");
  const mtime = Number.isNaN(lastModified) ? new Date(0) : new Date(lastModified);
  await utimes(file, mtime, mtime);
  return { dir, name, named: told !== "" };
}
