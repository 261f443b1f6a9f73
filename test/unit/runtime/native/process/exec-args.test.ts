import { describe, expect, it } from "vitest";
import {
  mergeEnv,
  runcExecArgs,
  startFailureExitCode,
  ttyExecProcess,
} from "../../../../../src/runtime/native/process/exec-args.js";

describe("runc exec arguments", () => {
  it("passes env, user with its groups, cwd and the command after the id", () => {
    expect(
      runcExecArgs({
        id: "c1",
        spec: { command: ["sh", "-c", "echo $A"], env: { A: "1 2", B: "x=y" }, workingDir: "/tmp" },
        user: { uid: 1000, gid: 50, additionalGids: [50, 1000] },
        privilegedCaps: [],
      }),
    ).toEqual([
      "exec",
      "--env", "A=1 2",
      "--env", "B=x=y",
      "--user", "1000:50",
      "--additional-gids", "50",
      "--additional-gids", "1000",
      "--cwd", "/tmp",
      "c1", "sh", "-c", "echo $A",
    ]); // prettier-ignore
  });

  it("detaches with -d, adds capabilities only when privileged, and leaves the user to the container", () => {
    const args = runcExecArgs({
      id: "c1",
      spec: { command: ["true"], detach: true, privileged: false, workingDir: "" },
      user: undefined,
      privilegedCaps: ["CAP_SYS_ADMIN"],
    });
    expect(args).toEqual(["exec", "--detach", "c1", "true"]);
    expect(
      runcExecArgs({
        id: "c1",
        spec: { command: ["true"], privileged: true },
        user: undefined,
        privilegedCaps: ["CAP_A", "CAP_B"],
      }),
    ).toEqual(["exec", "--cap", "CAP_A", "--cap", "CAP_B", "c1", "true"]);
  });
});

describe("TTY exec process", () => {
  const base = {
    terminal: false,
    user: { uid: 0, gid: 0, umask: 0o22 },
    args: ["sleep", "60"],
    env: ["PATH=/bin", "HOSTNAME=h"],
    cwd: "/",
    capabilities: { bounding: ["CAP_CHOWN"], effective: ["CAP_CHOWN"], permitted: ["CAP_CHOWN"] },
    rlimits: [{ type: "RLIMIT_NOFILE", hard: 1024, soft: 1024 }],
  };

  it("keeps the container's process and sets the command, terminal, TERM, env, user and cwd", () => {
    const process = ttyExecProcess(base, {
      id: "c1",
      spec: { command: ["sh"], env: { HOSTNAME: "other", X: "1" }, workingDir: "/srv" },
      user: { uid: 5, gid: 6, additionalGids: [7] },
      privilegedCaps: [],
    });
    expect(process).toEqual({
      ...base,
      terminal: true,
      args: ["sh"],
      env: ["PATH=/bin", "HOSTNAME=other", "TERM=xterm", "X=1"],
      cwd: "/srv",
      user: { umask: 0o22, uid: 5, gid: 6, additionalGids: [7] },
    });
  });

  it("keeps TERM the exec sets, and gives a privileged exec every capability given", () => {
    const process = ttyExecProcess(base, {
      id: "c1",
      spec: { command: ["sh"], env: { TERM: "vt100" }, privileged: true },
      user: undefined,
      privilegedCaps: ["CAP_A", "CAP_B"],
    });
    expect(process.env).toEqual(["PATH=/bin", "HOSTNAME=h", "TERM=vt100"]);
    expect(process.user).toEqual(base.user);
    expect(process.capabilities).toEqual({
      bounding: ["CAP_A", "CAP_B"],
      effective: ["CAP_A", "CAP_B"],
      permitted: ["CAP_A", "CAP_B"],
    });
  });

  it("sizes the exec's terminal with its own size, never the container's", () => {
    const sized = { ...base, consoleSize: { height: 10, width: 20 } };
    const input = { id: "c1", user: undefined, privilegedCaps: [] };
    const own = ttyExecProcess(sized, {
      ...input,
      spec: { command: ["sh"], consoleSize: { rows: 40, cols: 120 } },
    });
    expect(own.consoleSize).toEqual({ height: 40, width: 120 });
    const none = ttyExecProcess(sized, { ...input, spec: { command: ["sh"] } });
    expect(JSON.parse(JSON.stringify(none))).not.toHaveProperty("consoleSize");
  });

  it("merges env pairs by key, appending new ones", () => {
    expect(mergeEnv(["A=1", "B=2"], ["B=3", "C=4", "A="])).toEqual(["A=", "B=3", "C=4"]);
  });
});

describe("start failures and capabilities", () => {
  it("gives 127 for a missing command and 126 otherwise, as Docker does", () => {
    expect(
      startFailureExitCode(
        'exec failed: unable to start container process: exec: "nope": executable file not found in $PATH',
      ),
    ).toBe(127);
    expect(
      startFailureExitCode("exec failed: unable to start container process: exec: /etc: permission denied"),
    ).toBe(126);
  });
});
