/** A network record for the network layer's unit tests, with what a test does not care about filled in. */
import type { NetworkRecord } from "../../../../../src/runtime/native/network/records.js";

export function networkRecord(
  fields: Pick<NetworkRecord, "name" | "subnet" | "gateway"> & Partial<NetworkRecord>,
): NetworkRecord {
  return {
    id: fields.name,
    bridge: `br${fields.name}`,
    auxAddresses: {},
    internal: false,
    attachable: false,
    mtu: 1500,
    driverOpts: {},
    labels: {},
    created: "2026-12-06T00:00:00.000Z",
    state: "ready",
    ...fields,
  };
}
