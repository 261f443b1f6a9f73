import { describe, expect, it } from "vitest";
import { detachMatcher, parseDetachKeys } from "../../../../src/ui/terminal/detach-keys.js";

const bytes = (...values: number[]) => Uint8Array.from(values);

describe("parseDetachKeys", () => {
  it("reads Docker's key names: ctrl-<key> and single characters", () => {
    expect(parseDetachKeys("ctrl-p,ctrl-q")).toEqual(bytes(0x10, 0x11));
    expect(parseDetachKeys("ctrl-@,ctrl-_,ctrl-[,x")).toEqual(bytes(0x00, 0x1f, 0x1b, 0x78));
    expect(parseDetachKeys("CTRL-A")).toEqual(bytes(0x01));
  });

  it("refuses what is not a key, naming the whole value", () => {
    expect(() => parseDetachKeys("ctrl-1")).toThrow("invalid detach keys (ctrl-1) provided");
    expect(() => parseDetachKeys("")).toThrow("invalid detach keys () provided");
    expect(() => parseDetachKeys("ab")).toThrow("invalid detach keys (ab) provided");
  });
});

describe("detachMatcher", () => {
  const keys = bytes(0x10, 0x11);

  it("detaches on the whole sequence, passing on what came before it", () => {
    expect(detachMatcher(keys).feed(bytes(0x61, 0x10, 0x11, 0x62))).toEqual({
      pass: bytes(0x61),
      detach: true,
    });
  });

  it("holds a partial sequence back across chunks, and detaches when it completes", () => {
    const matcher = detachMatcher(keys);
    expect(matcher.feed(bytes(0x61, 0x10))).toEqual({ pass: bytes(0x61), detach: false });
    expect(matcher.feed(bytes(0x11))).toEqual({ pass: bytes(), detach: true });
  });

  it("passes a broken sequence on, in order, so a lone ctrl-p reaches the process", () => {
    const matcher = detachMatcher(keys);
    expect(matcher.feed(bytes(0x10))).toEqual({ pass: bytes(), detach: false });
    expect(matcher.feed(bytes(0x62))).toEqual({ pass: bytes(0x10, 0x62), detach: false });
    // ctrl-p ctrl-p ctrl-q: the first is passed on, the last two detach.
    expect(detachMatcher(keys).feed(bytes(0x10, 0x10, 0x11))).toEqual({ pass: bytes(0x10), detach: true });
  });
});
