import { describe, expect, it } from "vitest";
import {
  ALL_CAPABILITIES,
  capabilitiesIn,
  containerCapabilities,
  DEFAULT_CAPABILITIES,
} from "../../../../../src/runtime/native/oci/capabilities.js";

describe("containerCapabilities", () => {
  const bounding = ALL_CAPABILITIES.filter((c) => c !== "CAP_SYS_RESOURCE");

  it("gives a privileged container every capability the host's bounding set holds", () => {
    expect(containerCapabilities([], [], true)).toEqual(ALL_CAPABILITIES);
    expect(containerCapabilities([], [], true, bounding)).toEqual(bounding);
  });

  it("keeps add ALL inside the bounding set too, and leaves the default set as it is", () => {
    expect(containerCapabilities(["ALL"], ["NET_RAW"], false, bounding)).toEqual(
      bounding.filter((c) => c !== "CAP_NET_RAW"),
    );
    expect(containerCapabilities([], [], false, bounding)).toEqual(DEFAULT_CAPABILITIES);
  });

  it("reads a CapBnd mask in kernel order", () => {
    expect(capabilitiesIn("5", ["CAP_A", "CAP_B", "CAP_C", "CAP_D"])).toEqual(["CAP_A", "CAP_C"]);
    expect(capabilitiesIn("000001fffeffffff")).toEqual(bounding);
  });
});
