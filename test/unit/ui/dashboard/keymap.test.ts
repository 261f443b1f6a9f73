import { describe, expect, it } from "vitest";
import { commandsFor, FOOTER_KEYS, KEY_HELP } from "../../../../src/ui/dashboard/keymap.js";
import { initialView, type ViewState } from "../../../../src/ui/dashboard/view.js";

const normal = initialView();
const editing: ViewState = { ...normal, search: { ...normal.search, editing: true } };
const confirming: ViewState = { ...normal, overlay: "confirm-down" };

describe("key map", () => {
  it("maps every action key to its action on the stack", () => {
    const acts = [..."rs+=-xRedq"].map((key) => commandsFor(key, {}, normal));
    expect(acts.map((c) => (c[0]?.kind === "act" ? c[0].action : "?"))).toEqual([
      "restart",
      "toggle",
      "scale-up",
      "scale-up",
      "scale-down",
      "recreate",
      "rebuild",
      "exec",
      "detach",
      "quit",
    ]);
  });

  it("asks before down: D opens the confirmation, y confirms, n or esc cancels, other keys do nothing", () => {
    expect(commandsFor("D", {}, normal)).toEqual([
      { kind: "view", action: { type: "overlay", overlay: "confirm-down" } },
    ]);
    expect(commandsFor("y", {}, confirming)).toEqual([
      { kind: "view", action: { type: "close" } },
      { kind: "act", action: "down" },
    ]);
    expect(commandsFor("n", {}, confirming)).toEqual([{ kind: "view", action: { type: "close" } }]);
    expect(commandsFor("", { escape: true }, confirming)).toEqual([
      { kind: "view", action: { type: "close" } },
    ]);
    expect(commandsFor("r", {}, confirming)).toEqual([]);
  });

  it("makes Ctrl-C the interrupt in every mode", () => {
    for (const state of [normal, editing, confirming]) {
      expect(commandsFor("c", { ctrl: true }, state)).toEqual([{ kind: "interrupt" }]);
    }
  });

  it("types into the search prompt: letters are text there, not actions", () => {
    expect(commandsFor("rq", {}, editing)).toEqual([
      { kind: "view", action: { type: "search-input", text: "rq" } },
    ]);
    expect(commandsFor("", { return: true }, editing)).toEqual([
      { kind: "view", action: { type: "search-submit" } },
    ]);
    expect(commandsFor("", { backspace: true }, editing)).toEqual([
      { kind: "view", action: { type: "search-backspace" } },
    ]);
    expect(commandsFor("", { escape: true }, editing)).toEqual([
      { kind: "view", action: { type: "search-cancel" } },
    ]);
  });

  it("moves, pages, follows and switches panes with the named keys", () => {
    const view = (input: string, key: Parameters<typeof commandsFor>[1]) =>
      commandsFor(input, key, normal).map((c) => (c.kind === "view" ? c.action.type : c.kind));
    expect(view("", { upArrow: true })).toEqual(["move"]);
    expect(view("j", {})).toEqual(["move"]);
    expect(view("", { pageUp: true })).toEqual(["page"]);
    expect(view("", { end: true })).toEqual(["follow"]);
    expect(view("", { home: true })).toEqual(["top"]);
    expect(view("", { tab: true })).toEqual(["focus-next"]);
    expect(view("", { return: true })).toEqual(["focus-logs"]);
    expect(view("", { rightArrow: true })).toEqual(["expand"]);
    expect(view("/", {})).toEqual(["search-start"]);
    expect(view("ntwcgp?", {})).toEqual([
      "search-next",
      "toggle",
      "toggle",
      "toggle",
      "overlay",
      "overlay",
      "overlay",
    ]);
  });

  it("treats a run of characters as one key each, carrying the mode along", () => {
    expect(commandsFor("jjz", {}, normal)).toHaveLength(2);
    expect(commandsFor("x", { ctrl: true }, normal)).toEqual([]);
    const kinds = (input: string) =>
      commandsFor(input, {}, normal).map((c) =>
        c.kind === "view" ? c.action.type : c.kind === "act" ? c.action : c.kind,
      );
    // After `/` the letters are the query, not actions; enter submits it.
    expect(kinds("/rx\r")).toEqual(["search-start", "search-input", "search-input", "search-submit"]);
    expect(kinds("Dy")).toEqual(["overlay", "close", "down"]);
    expect(kinds("j\x03")).toEqual(["move", "interrupt"]);
  });

  it("lists every key in the help table, and the footer from it", () => {
    const listed = KEY_HELP.map((k) => k.keys).join(" ");
    for (const key of [
      "r",
      "s",
      "+ -",
      "x",
      "R",
      "e",
      "d",
      "D",
      "q",
      "/",
      "n N",
      "t",
      "w",
      "c",
      "g",
      "?",
      "p",
      "tab",
      "enter",
    ]) {
      expect(listed).toContain(key);
    }
    expect(FOOTER_KEYS).toContain("q quit");
  });
});

describe("README's key table", () => {
  it("lists every key of the key map, as the help overlay does", async () => {
    const { readFileSync } = await import("node:fs");
    const readme = readFileSync(new URL("../../../../README.md", import.meta.url), "utf8");
    const rows = readme.split("\n").filter((line) => line.startsWith("| `"));
    for (const help of KEY_HELP) {
      const keys = help.keys
        .split(/\s{2,}/)
        .map((k) => `\`${k}\``)
        .join(", ");
      expect(rows.some((row) => row.startsWith(`| ${keys} `) && row.includes(`| ${help.what} `))).toBe(true);
    }
  });
});
