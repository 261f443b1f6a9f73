/** One container record for the unit tests of what reads and writes records (fields as berth writes them). */
import type { ContainerRecord } from "../../../../src/runtime/native/containers/records.js";

export function containerRecord(id: string, changes: Partial<ContainerRecord> = {}): ContainerRecord {
  return {
    version: 1,
    id,
    name: "web",
    state: "created",
    spec: { name: "web", image: "busybox", labels: {} },
    image: "busybox",
    imageId: "sha256:x",
    imageConfig: {},
    layerDirs: [],
    labels: {},
    hostname: "web",
    user: { uid: 0, gid: 0, additionalGids: [] },
    created: "2026-01-01T00:00:00.000Z",
    oomKilled: false,
    restartCount: 0,
    ...changes,
  };
}
