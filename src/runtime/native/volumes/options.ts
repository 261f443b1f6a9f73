/**
 * The local driver's `driver_opts` (`type`, `device`, `o`), checked as moby's volume/local does
 * (validOpts and mandatoryOpts), and the `mount` arguments they stand for. Pure.
 */
import { InvalidRequestError } from "../../errors.js";

/** What a volume is mounted from at first use; undefined options mean a plain directory. */
export interface MountOptions {
  /** `mount -t`: `none` with `o: bind` for a bind, `tmpfs`, or any filesystem type. */
  readonly type: string;
  readonly device: string;
  /** `mount -o`, as given (e.g. `bind`, `size=64m,uid=1000`); empty when none. */
  readonly o: string;
}

const VALID = new Set(["type", "device", "o", "size"]);
/** Each option present requires these (moby's mandatoryOpts). */
const REQUIRES: ReadonlyArray<readonly [string, readonly string[]]> = [
  ["device", ["type"]],
  ["type", ["device"]],
  ["o", ["device", "type"]],
];

/**
 * The mount `opts` describe, or undefined for none; an InvalidRequestError with Docker's message
 * (`create NAME: invalid option: "x"`, `missing required option: "device"`) otherwise.
 */
export function parseDriverOpts(
  name: string,
  opts: Readonly<Record<string, string>> | undefined,
): MountOptions | undefined {
  if (opts === undefined || Object.keys(opts).length === 0) return undefined;
  const fail = (problem: string): never => {
    throw new InvalidRequestError(`create ${name}: ${problem}`);
  };
  for (const key of Object.keys(opts).sort()) {
    if (!VALID.has(key)) fail(`invalid option: ${JSON.stringify(key)}`);
  }
  // `size` is an XFS project quota in Docker; without quota support (as here) it refuses it.
  if (opts["size"] !== undefined) fail("quota size requested but no quota support");
  for (const [key, required] of REQUIRES) {
    if (opts[key] === undefined) continue;
    for (const other of required) {
      if (opts[other] === undefined) fail(`missing required option: ${JSON.stringify(other)}`);
    }
  }
  const type = opts["type"] ?? "";
  const device = opts["device"] ?? "";
  if (device === "") fail("missing device in volume options");
  const o = opts["o"] ?? "";
  if (isBind(o) && !device.startsWith("/")) fail(`bind device must be an absolute path: ${device}`);
  return { type, device, o };
}

/** Whether `o` asks for a bind (`bind` or `rbind` among its comma-separated options). */
export function isBind(o: string): boolean {
  return o.split(",").some((opt) => opt === "bind" || opt === "rbind");
}

/** The argument array for `mount` (never a shell string: the device and options are user data). */
export function mountArgs(options: MountOptions, target: string): string[] {
  const args = ["-t", options.type === "" ? "none" : options.type];
  if (options.o !== "") args.push("-o", options.o);
  args.push("--", options.device, target);
  return args;
}
