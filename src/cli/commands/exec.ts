/**
 * `berth exec SERVICE COMMAND...`: a command in a service's running container, through the
 * runtime's exec, as `docker compose exec` runs it. A TTY when stdin is a terminal (unless `-T`),
 * stdin piped through and half-closed at its end, the window size kept in step, and the command's
 * exit code as berth's. Works with `-p` and no compose file, and on a project another tool started.
 */
import { UsageError } from "../../errors.js";
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from "../../ui/terminal/detach-keys.js";
import { joinTerminal, terminalSizeOf } from "../../ui/terminal/join.js";
import { serviceContainer } from "../../engine/service-containers.js";
import { parsePositive } from "../flags.js";
import type { GlobalOptions } from "../global-options.js";
import { loadOrName } from "../load-for-cli.js";
import type { ExecFlags } from "../options/flags.js";
import { withRuntime } from "../runtime-for-cli.js";

export async function runExec(globals: GlobalOptions, operands: string[], flags: ExecFlags): Promise<number> {
  const [service, ...command] = operands;
  if (service === undefined || command.length === 0) {
    throw new UsageError('"exec" requires at least 2 arguments: SERVICE COMMAND [ARGS...]');
  }
  const index = parsePositive(flags.index, "--index");
  const env = parseEnv(flags.env ?? [], process.env);
  const project = await loadOrName(globals, [service]);
  // A TTY only for a terminal: piped input must arrive byte for byte, and output stay apart.
  const tty =
    flags.tty !== false && flags.TTY !== false && flags.detach !== true && process.stdin.isTTY === true;

  return withRuntime({ ...globals, project: project.name }, async (runtime) => {
    const container = await serviceContainer(runtime, project.name, service, { index, oneOff: "include" });
    const session = await runtime.containers.exec(container.id, {
      command,
      env,
      user: flags.user,
      workingDir: flags.workdir,
      privileged: flags.privileged === true,
      tty,
      consoleSize: tty ? terminalSizeOf(process.stdout) : undefined,
      stdin: flags.detach !== true,
      detach: flags.detach === true,
    });
    if (flags.detach === true) return 0;
    // Docker's default detach keys leave a TTY exec running; berth then exits 0, as Compose does.
    const end = await joinTerminal(
      session,
      { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
      { tty, detachKeys: parseDetachKeys(DEFAULT_DETACH_KEYS) },
    );
    return end === "detached" ? 0 : session.exitCode();
  });
}

/** `-e KEY=VALUE` as given; `-e KEY` takes KEY from berth's environment, and is dropped if unset (as Docker). */
export function parseEnv(
  entries: readonly string[],
  environment: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of entries) {
    const eq = entry.indexOf("=");
    if (eq === 0) throw new UsageError(`invalid environment variable: ${entry}`);
    if (eq > 0) {
      env[entry.slice(0, eq)] = entry.slice(eq + 1);
      continue;
    }
    const value = environment[entry];
    if (value !== undefined) env[entry] = value;
  }
  return env;
}
