/**
 * runc's own log (`--log-format json`): the messages of level error or fatal, which say that runc
 * failed (warnings, e.g. about oom_score_adj in some VMs, do not).
 */
export function runcErrorMessages(log: string): string[] {
  const messages: string[] = [];
  for (const line of log.split("\n")) {
    const text = line.trim();
    if (text === "") continue;
    try {
      const entry = JSON.parse(text) as { level?: unknown; msg?: unknown };
      if ((entry.level === "error" || entry.level === "fatal") && typeof entry.msg === "string") {
        messages.push(entry.msg);
      }
    } catch {
      // Not a JSON line: runc wrote it before its logger was set up, so it is an error too.
      messages.push(text);
    }
  }
  return messages;
}
