/**
 * The few processes the network layer runs, each fed a whole script on stdin: `ip -batch`,
 * `ip -n NS -batch`, `nft -f -`, `iptables -S` and `iptables-restore --noflush`. Argument arrays
 * only; a failure is a RuntimeError quoting the tool's own message.
 */
import { execa } from "execa";
import { RuntimeError } from "../../errors.js";

export interface CommandResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function run(file: string, args: readonly string[], input: string | undefined): Promise<CommandResult> {
  let result;
  try {
    result = await execa(file, args, {
      ...(input === undefined ? {} : { input }),
      reject: false,
      timeout: 30_000,
      stripFinalNewline: false,
    });
  } catch (error) {
    throw new RuntimeError(`could not run ${file}: ${(error as Error).message}`);
  }
  if (result.failed && result.exitCode === undefined)
    throw new RuntimeError(`could not run ${file}: ${result.shortMessage}`, {
      hint: file === "ip" || file === "nft" ? "install iproute2 and nftables" : undefined,
    });
  return { exitCode: result.exitCode ?? 1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

function failure(what: string, result: CommandResult): RuntimeError {
  const detail = result.stderr.trim().split("\n").slice(0, 6).join("; ");
  return new RuntimeError(`${what} failed: ${detail || `exit code ${result.exitCode}`}`);
}

/** `ip [-n NS] -batch -` with `lines`; throws on the first failing line. */
export async function ipBatch(lines: readonly string[], netns?: string): Promise<void> {
  if (lines.length === 0) return;
  const args = netns === undefined ? ["-batch", "-"] : ["-n", netns, "-batch", "-"];
  const result = await run("ip", args, `${lines.join("\n")}\n`);
  if (result.exitCode !== 0)
    throw failure(netns === undefined ? "ip -batch" : `ip -n ${netns} -batch`, result);
}

/** `nft -f -`: the script is one transaction, applied whole or not at all. */
export async function nftLoad(script: string): Promise<void> {
  const result = await run("nft", ["-f", "-"], script);
  if (result.exitCode !== 0) throw failure("nft -f", result);
}

/** `iptables -S` of the filter table, or undefined where iptables is missing or has no filter table. */
export async function iptablesRules(): Promise<string | undefined> {
  let result: CommandResult;
  try {
    result = await run("iptables", ["-w", "5", "-t", "filter", "-S"], undefined);
  } catch {
    return undefined;
  }
  return result.exitCode === 0 ? result.stdout : undefined;
}

export async function iptablesRestore(text: string): Promise<void> {
  const result = await run("iptables-restore", ["--noflush"], text);
  if (result.exitCode !== 0) throw failure("iptables-restore", result);
}
