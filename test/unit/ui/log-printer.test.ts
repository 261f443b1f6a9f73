/**
 * The log printer must print container output as Compose does: `name  | line`, padded to the longest
 * name, a fixed colour per service, each line whole in one write.
 */
import { describe, expect, it } from "vitest";
import { formatTimestamp, LogPrinter } from "../../../src/ui/plain/log-printer.js";
import { recorder } from "./recorder.js";

const web1 = { name: "webapp-web-1", service: "web" };
const web2 = { name: "webapp-web-2", service: "web" };
const db1 = { name: "webapp-db-1", service: "db" };
const line = (text: string, stream: "stdout" | "stderr" = "stdout", time?: Date) => ({
  line: text,
  stream,
  time,
});

function printer(options: Partial<ConstructorParameters<typeof LogPrinter>[0]> = {}) {
  const out = recorder();
  const err = recorder();
  const p = new LogPrinter({
    out,
    err,
    color: false,
    prefix: true,
    timestamps: false,
    services: ["db", "web"],
    ...options,
  });
  return { p, out, err };
}

describe("log printer prefixes", () => {
  it("pads every prefix to one more than the longest registered name, then ' | '", () => {
    const { p, out } = printer();
    p.register(web1);
    p.register(db1);
    p.print(web1, line("listening on :80"));
    p.print(db1, line("ready"));
    expect(out.text()).toBe("webapp-web-1  | listening on :80\nwebapp-db-1   | ready\n");
  });

  it("widens later prefixes when a longer name appears (a scaled replica)", () => {
    const { p, out } = printer();
    p.print(db1, line("a"));
    p.print({ name: "webapp-worker-10", service: "worker" }, line("b"));
    p.print(db1, line("c"));
    expect(out.text()).toBe("webapp-db-1  | a\nwebapp-worker-10  | b\nwebapp-db-1       | c\n");
  });

  it("--no-log-prefix prints the bare line", () => {
    const { p, out } = printer({ prefix: false });
    p.print(web1, line("hello"));
    expect(out.text()).toBe("hello\n");
  });

  it("-t puts the line's time, RFC 3339 with nanoseconds, after the prefix", () => {
    const { p, out } = printer({ timestamps: true });
    p.print(web1, line("hello", "stdout", new Date("2024-05-01T10:00:00.123Z")));
    expect(out.text()).toBe("webapp-web-1  | 2024-05-01T10:00:00.123000000Z hello\n");
    expect(formatTimestamp(new Date("2024-05-01T10:00:00Z"))).toBe("2024-05-01T10:00:00.000000000Z");
  });

  it("-t prints the engine's timestamp text as it came, nanoseconds and all (docker compose logs -t)", () => {
    const { p, out } = printer({ timestamps: true });
    const time = new Date("2024-05-01T10:00:00.123Z");
    p.print(web1, { line: "hello", stream: "stdout", time, timestamp: "2024-05-01T10:00:00.123456789Z" });
    p.print(web1, { line: "", stream: "stdout", time, timestamp: "2024-05-01T10:00:00.123456780Z" });
    expect(out.text()).toBe(
      "webapp-web-1  | 2024-05-01T10:00:00.123456789Z hello\nwebapp-web-1  | 2024-05-01T10:00:00.123456780Z \n",
    );
  });

  it("sends container stderr to err and stdout to out", () => {
    const { p, out, err } = printer();
    p.print(web1, line("to out"));
    p.print(web1, line("to err", "stderr"));
    expect(out.text()).toBe("webapp-web-1  | to out\n");
    expect(err.text()).toBe("webapp-web-1  | to err\n");
  });

  it("reports a container's exit without the bar", () => {
    const { p, out } = printer();
    p.status(web1, "exited with code 0");
    expect(out.text()).toBe("webapp-web-1 exited with code 0\n");
  });
});

describe("log printer lines", () => {
  it("writes each line whole, prefix and newline included, in a single write", () => {
    const { p, out } = printer();
    for (let i = 0; i < 50; i++) p.print(i % 2 ? web1 : db1, line(`line ${i} ${"x".repeat(i * 100)}`));
    expect(out.writes).toHaveLength(50);
    for (const write of out.writes) {
      expect(write).toMatch(/^webapp-(web|db)-1 +\| line \d+ x*\n$/);
    }
  });

  it("never merges two lines, and splits a line carrying newlines into whole prefixed lines", () => {
    const { p, out } = printer();
    p.print(web1, line("first\nsecond"));
    expect(out.text()).toBe("webapp-web-1  | first\nwebapp-web-1  | second\n");
  });

  it("drops a TTY's carriage return before the newline", () => {
    const { p, out } = printer();
    p.print(web1, line("tty line\r"));
    expect(out.text()).toBe("webapp-web-1  | tty line\n");
  });

  it("prints nothing once muted", () => {
    const { p, out } = printer();
    p.mute();
    p.print(web1, line("lost"));
    p.status(web1, "exited with code 0");
    expect(out.writes).toEqual([]);
  });
});

describe("log printer colours", () => {
  it("prints no escape codes with colour off (--no-color, NO_COLOR, not a terminal)", () => {
    const { p, out } = printer();
    p.print(web1, line("plain"));
    p.status(web1, "exited with code 0");
    expect(out.text()).not.toContain("\x1b[");
  });

  it("colours each service from the palette in the project's service order, replicas alike", () => {
    const { p, out } = printer({ color: true, services: ["db", "web", "worker"] });
    p.register(web1);
    p.print(web1, line("w1"));
    p.print(web2, line("w2"));
    p.print(db1, line("d"));
    const [w1, w2, d] = out.writes;
    expect(d?.startsWith("\x1b[36m")).toBe(true); // db: first service, cyan
    expect(w1?.startsWith("\x1b[33m")).toBe(true); // web: second service, yellow
    expect(w2?.startsWith("\x1b[33m")).toBe(true); // a replica keeps its service's colour
    // Only the prefix is coloured; the container's own text is left as it is.
    expect(w1).toBe("\x1b[33mwebapp-web-1  | \x1b[39mw1\n");
  });

  it("gives a service the same colour whatever order its containers print in", () => {
    const first = printer({ color: true });
    first.p.print(web1, line("a"));
    const second = printer({ color: true });
    second.p.print(db1, line("b"));
    second.p.print(web1, line("a"));
    expect(first.out.writes[0]?.slice(0, 5)).toBe(second.out.writes[1]?.slice(0, 5));
  });
});

describe("watch lines (up --watch)", () => {
  it("put ' ⦿ ' where container lines have ' | ', under the same padding", () => {
    const { p, out } = printer();
    p.register(web1);
    p.print(web1, line("hi"));
    p.watch("Watch enabled");
    expect(out.text()).toBe("webapp-web-1  | hi\n              ⦿ Watch enabled\n");
  });

  it("have no prefix with --no-log-prefix, Compose's bright green with colour, and are muted with the rest", () => {
    const bare = printer({ prefix: false });
    bare.p.watch("Watch enabled");
    expect(bare.out.text()).toBe("Watch enabled\n");
    const coloured = printer({ color: true });
    coloured.p.register(web1);
    coloured.p.watch("x");
    expect(coloured.out.text()).toBe(`\u001b[92m${" ".repeat(13)} ⦿ \u001b[39mx\n`);
    const muted = printer();
    muted.p.mute();
    muted.p.watch("x");
    expect(muted.out.text()).toBe("");
  });
});
