/** Volumes: create, inspect, list, data kept across containers, removal refused in use, remove. */
import { describe, expect } from "vitest";
import { ConflictError, NotFoundError } from "../../../src/runtime/errors.js";
import { type Harness, LABEL_TERM, LABELS, rejection, tarStream, untar } from "./harness.js";

export function volumeCases(h: Harness): void {
  // A describe without cases fails: none is registered for a backend without volumes.
  if (!h.has("volumes")) return;
  describe("volumes", () => {
    h.case(
      "creates with labels, inspects, lists, refuses removal in use, and removes",
      ["volumes"],
      async () => {
        const { runtime } = h;
        const name = h.unique("vol");
        h.made.volumes.push(name);
        const created = await runtime.volumes.create({ name, labels: LABELS });
        expect(created.name).toBe(name);
        expect(created.driver).toBe("local");
        expect(created.labels).toEqual(LABELS);
        const info = await runtime.volumes.inspect(name);
        expect(info?.mountpoint).toContain(name);
        expect((await runtime.volumes.list({ labels: [LABEL_TERM] })).map((v) => v.name)).toContain(name);
        expect((await runtime.volumes.list({ name })).map((v) => v.name)).toEqual([name]);

        // Any container holding it, even one never started, keeps it.
        const user = await h.createContainer({ mounts: [{ type: "volume", source: name, target: "/data" }] });
        expect(await rejection(runtime.volumes.remove(name))).toBeInstanceOf(ConflictError);
        await runtime.containers.remove(user);
        await runtime.volumes.remove(name);
        expect(await runtime.volumes.inspect(name)).toBeUndefined();
        expect(await rejection(runtime.volumes.remove(name))).toBeInstanceOf(NotFoundError);
      },
    );

    h.case("keeps files copied in through one container for the next one", ["volumes"], async () => {
      const { runtime } = h;
      const name = h.unique("vol");
      h.made.volumes.push(name);
      await runtime.volumes.create({ name, labels: LABELS });
      const writer = await h.createContainer({ mounts: [{ type: "volume", source: name, target: "/data" }] });
      await runtime.containers.copyTo(writer, "/data", await tarStream({ "file.txt": "persisted\n" }));
      await runtime.containers.remove(writer);
      const reader = await h.createContainer({
        mounts: [{ type: "volume", source: name, target: "/mnt", readOnly: true }],
      });
      const files = await untar(await runtime.containers.copyFrom(reader, "/mnt/file.txt"));
      expect(Object.fromEntries(files)).toEqual({ "file.txt": "persisted\n" });
    });

    h.case(
      "keeps data a process wrote for the next container's process",
      ["processes", "volumes"],
      async () => {
        const { runtime } = h;
        const name = h.unique("vol");
        h.made.volumes.push(name);
        await runtime.volumes.create({ name, labels: LABELS });
        const writer = await h.run(["sh", "-c", "echo persisted > /data/file"], {
          mounts: [{ type: "volume", source: name, target: "/data" }],
        });
        expect(writer.exitCode).toBe(0);
        const reader = await h.run(["cat", "/data/file"], {
          mounts: [{ type: "volume", source: name, target: "/data", readOnly: true }],
        });
        expect(reader.stdout).toEqual(["persisted"]);
      },
    );
  });
}
