/** Image references normalised as Docker's distribution/reference does. */
import { describe, expect, it } from "vitest";
import { familiarTagged, parseImageReference } from "../../../../../src/runtime/native/images/reference.js";

describe("image references", () => {
  it("a one-part name is docker.io/library, shown familiar, tagged latest by default", () => {
    const ref = parseImageReference("busybox");
    expect([ref.domain, ref.path, ref.familiarName, familiarTagged(ref)]).toEqual([
      "docker.io",
      "library/busybox",
      "busybox",
      "busybox:latest",
    ]);
    expect(familiarTagged(parseImageReference("docker.io/library/busybox:1.36"))).toBe("busybox:1.36");
    expect(familiarTagged(parseImageReference("index.docker.io/berth-test/busybox"))).toBe(
      "berth-test/busybox:latest",
    );
  });

  it("a first part with '.' or ':' or localhost is a registry", () => {
    const ref = parseImageReference("127.0.0.1:5000/app:1");
    expect([ref.domain, ref.path, ref.tag, familiarTagged(ref)]).toEqual([
      "127.0.0.1:5000",
      "app",
      "1",
      "127.0.0.1:5000/app:1",
    ]);
    expect(parseImageReference("localhost/a/b").domain).toBe("localhost");
    expect(parseImageReference("team/app").domain).toBe("docker.io");
  });

  it("a digest pins the image and names no tag", () => {
    const digest = `sha256:${"a".repeat(64)}`;
    const ref = parseImageReference(`busybox@${digest}`);
    expect([ref.digest, ref.tag, familiarTagged(ref)]).toEqual([digest, undefined, undefined]);
  });

  it("refuses what Docker refuses", () => {
    for (const bad of ["Busybox", "busybox@sha256:12", "a:b:c", "", "busybox:"]) {
      expect(() => parseImageReference(bad), bad).toThrow(/invalid reference format/);
    }
  });
});
