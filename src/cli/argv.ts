/**
 * The arguments as the user typed them. bin/berth.js, run as a program, passes them to Node after
 * `ENCODED_ARGV_MARKER`, each prefixed by "+", so that Node itself reads none of them (Node 20
 * reads `--env-file` anywhere in its argv); run as `node bin/berth.js`, they arrive as typed.
 */
export const ENCODED_ARGV_MARKER = "+berth-argv";

/** `process.argv` with the launcher's encoding undone (a copy; unchanged when not encoded). */
export function decodeArgv(argv: readonly string[]): string[] {
  if (argv[2] !== ENCODED_ARGV_MARKER) return [...argv];
  const out = argv.slice(0, 2);
  for (let i = 3; i < argv.length; i++) {
    const arg = argv[i] as string;
    out.push(arg.startsWith("+") ? arg.slice(1) : arg);
  }
  return out;
}
