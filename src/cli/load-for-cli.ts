/** Turns the global flags into LoadOptions: the one place the CLI meets the loader. */
import { loadProject, type LoadedProject, type LoadOptions } from "../project/load.js";
import type { GlobalOptions } from "./global-options.js";

export async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const warned = new Set<string>();

/** Each distinct warning once, in Compose's log style (an unset variable used ten times warns once). */
export function warnToStderr(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  process.stderr.write(`WARN[0000] ${message}\n`);
}

export function loadFromFlags(
  globals: GlobalOptions,
  extra: Partial<
    Pick<
      LoadOptions,
      "services" | "skipInterpolation" | "skipNormalization" | "skipPathResolution" | "skipConsistency"
    >
  > = {},
): Promise<LoadedProject> {
  return loadProject({
    cwd: process.cwd(),
    files: globals.files,
    projectName: globals.projectName,
    projectDirectory: globals.projectDirectory,
    envFiles: globals.envFiles,
    profiles: globals.profiles,
    env: process.env,
    readStdin,
    onWarning: warnToStderr,
    ...extra,
  });
}
