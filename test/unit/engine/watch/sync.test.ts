/** What a sync sends: the archive's entries and content, and which container paths are deleted instead. */
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import tar from "tar-stream";
import { describe, expect, it } from "vitest";
import { archiveEntries, packEntries, splitChanges } from "../../../../src/engine/watch/sync.js";
import { initialFiles } from "../../../../src/engine/watch/watcher.js";
import { NO_PATHS, patternMatcher } from "../../../../src/engine/watch/ignore.js";
import { tempDir } from "../../../file-tree.js";

function tree(): string {
  const dir = tempDir("watch-sync");
  mkdirSync(path.join(dir, "src", "sub"), { recursive: true });
  writeFileSync(path.join(dir, "src", "a.txt"), "a\n");
  writeFileSync(path.join(dir, "src", "sub", "b.txt"), "b\n");
  symlinkSync("a.txt", path.join(dir, "src", "link"));
  return dir;
}

async function read(archive: NodeJS.ReadableStream): Promise<Record<string, string>> {
  const extract = tar.extract();
  const out: Record<string, string> = {};
  const done = (async () => {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      const h = entry.header;
      out[h.name] =
        h.type === "file"
          ? Buffer.concat(chunks).toString()
          : `<${h.type}${h.linkname ? ` ${h.linkname}` : ""}>`;
    }
  })();
  archive.pipe(extract);
  await done;
  return out;
}

describe("a sync's archive", () => {
  it("holds each changed path under its container path, a directory with what is in it, links as links", async () => {
    const dir = tree();
    const entries = await archiveEntries([
      { hostPath: path.join(dir, "src", "sub"), containerPath: "/app/sub" },
      { hostPath: path.join(dir, "src", "link"), containerPath: "/app/link" },
      { hostPath: path.join(dir, "src", "a.txt"), containerPath: "/app/a.txt" },
      { hostPath: path.join(dir, "src", "sub", "b.txt"), containerPath: "/app/sub/b.txt" },
    ]);
    // A name met twice is written once.
    expect(entries.map((e) => e.name)).toEqual(["app/sub", "app/link", "app/a.txt", "app/sub/b.txt"]);
    expect(await read(packEntries(entries))).toEqual({
      "app/sub": "<directory>",
      "app/sub/b.txt": "b\n",
      "app/link": "<symlink a.txt>",
      "app/a.txt": "a\n",
    });
  });

  it("sends what still exists and deletes in the container what is gone from the host", async () => {
    const dir = tree();
    const { copy, remove } = await splitChanges([
      { hostPath: path.join(dir, "src", "a.txt"), containerPath: "/app/a.txt" },
      { hostPath: path.join(dir, "src", "gone.txt"), containerPath: "/app/gone.txt" },
      { hostPath: path.join(dir, "src", "gone", "deeper"), containerPath: "/app/gone/deeper" },
    ]);
    expect(copy.map((m) => m.containerPath)).toEqual(["/app/a.txt"]);
    expect(remove).toEqual(["/app/gone.txt", "/app/gone/deeper"]);
  });
});

describe("initial_sync", () => {
  it("lists every file of the path, its ignores left out and ignored directories not entered", async () => {
    const dir = tree();
    mkdirSync(path.join(dir, "src", "node_modules", "x"), { recursive: true });
    writeFileSync(path.join(dir, "src", "node_modules", "x", "i.js"), "");
    writeFileSync(path.join(dir, "src", "a.txt~"), "");
    const base = {
      service: "web",
      action: "sync" as const,
      path: path.join(dir, "src"),
      target: "/app",
      exec: undefined,
      initialSync: true,
      include: undefined,
    };
    const files = await initialFiles({
      ...base,
      ignore: patternMatcher(path.join(dir, "src"), ["node_modules", "*~"]),
    });
    expect(files.map((f) => f.containerPath).sort()).toEqual(["/app/a.txt", "/app/link", "/app/sub/b.txt"]);
    const single = await initialFiles({
      ...base,
      path: path.join(dir, "src", "a.txt"),
      target: "/etc/a",
      ignore: NO_PATHS,
    });
    expect(single).toEqual([{ hostPath: path.join(dir, "src", "a.txt"), containerPath: "/etc/a" }]);
  });
});
