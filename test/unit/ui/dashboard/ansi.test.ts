import { describe, expect, it } from "vitest";
import {
  charWidth,
  fit,
  sanitize,
  stripAnsi,
  truncate,
  visibleWidth,
  wrapRows,
} from "../../../../src/ui/dashboard/ansi.js";

const RED = "\x1b[31m";
const RESET = "\x1b[0m";

describe("sanitize", () => {
  it("keeps SGR colours only when asked, and drops every other escape sequence", () => {
    const line = `${RED}error${RESET} \x1b[2J\x1b[H\x1b]0;title\x07moved\x1b[10;5Hhere`;
    expect(sanitize(line, true)).toBe(`${RED}error${RESET} movedhere`);
    expect(sanitize(line, false)).toBe("error movedhere");
  });

  it("drops control characters (carriage returns, bells, lone escapes) and expands tabs to stops of eight", () => {
    expect(sanitize("a\rb\x07c\x1bd", false)).toBe("abcd");
    expect(sanitize("ab\tc\td", false)).toBe("ab      c       d");
  });
});

describe("widths", () => {
  it("counts wide characters as two columns, combining marks as none, escapes as none", () => {
    expect(charWidth("a".codePointAt(0) ?? 0)).toBe(1);
    expect(charWidth("日".codePointAt(0) ?? 0)).toBe(2);
    expect(charWidth(0x301)).toBe(0);
    expect(visibleWidth(`${RED}日本${RESET}x`)).toBe(5);
    expect(stripAnsi(`${RED}red${RESET}`)).toBe("red");
  });
});

describe("wrapRows and truncate", () => {
  it("wraps at the width and carries an open colour into the next row", () => {
    expect(wrapRows("abcdefgh", 3)).toEqual(["abc", "def", "gh"]);
    expect(wrapRows(`${RED}abcdef${RESET}`, 4)).toEqual([`${RED}abcd${RESET}`, `${RED}ef${RESET}`]);
    expect(wrapRows("", 5)).toEqual([""]);
  });

  it("never splits a wide character across rows", () => {
    expect(wrapRows("a日本", 2)).toEqual(["a", "日", "本"]);
  });

  it("cuts with an ellipsis and pads to an exact width", () => {
    expect(truncate("abcdef", 4)).toBe("abc…");
    expect(truncate("abc", 4)).toBe("abc");
    expect(fit("ab", 4)).toBe("ab  ");
    expect(visibleWidth(fit(`${RED}abcdef${RESET}`, 4))).toBe(4);
  });
});
