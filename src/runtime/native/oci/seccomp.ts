/**
 * config.json's `linux.seccomp` as dockerd 20.10 writes it (moby `daemon/seccomp_linux.go`
 * WithSeccomp and `profiles/seccomp/seccomp_linux.go` setupSeccomp): none for a privileged container
 * or `seccomp=unconfined`; otherwise Docker's default profile, or the one `seccomp=<profile>` names,
 * reduced to what applies to this container: the host architecture's entry of the arch map, and the
 * rules whose conditions hold for its bounding capabilities, the architecture and the kernel version.
 */
import { InvalidRequestError } from "../../errors.js";
import { DEFAULT_SECCOMP_PROFILE } from "./seccomp-default.js";
import type { DockerSeccompFilter, DockerSeccompProfile, DockerSeccompSyscall } from "./seccomp-types.js";
import type { OciSeccomp, OciSeccompArg, OciSeccompSyscall } from "./types.js";

/** What `security_opt` asks for: Docker's default profile, none, or a profile (JSON text, or a file path). */
export type SeccompChoice =
  | { readonly kind: "default" }
  | { readonly kind: "unconfined" }
  | { readonly kind: "profile"; readonly value: string };

/** The last `seccomp=` (or `seccomp:`) option wins, as in moby's parseSecurityOpt. */
export function seccompChoice(securityOpt: readonly string[] = []): SeccompChoice {
  let choice: SeccompChoice = { kind: "default" };
  for (const opt of securityOpt) {
    const sep = opt.includes("=") ? "=" : opt.includes(":") ? ":" : undefined;
    if (sep === undefined) continue;
    const at = opt.indexOf(sep);
    if (opt.slice(0, at) !== "seccomp") continue;
    const value = opt.slice(at + 1);
    // An empty value leaves moby's SeccompProfile unset: the default profile.
    choice =
      value === "unconfined"
        ? { kind: "unconfined" }
        : value === ""
          ? { kind: "default" }
          : { kind: "profile", value };
  }
  return choice;
}

/** A profile given inline, as Docker's API carries it (`docker run` and Compose read the file into the option). */
export function isInlineProfile(value: string): boolean {
  return value.trimStart().startsWith("{");
}

/** Node's `process.arch` → libseccomp's name for it (moby's goToNative of GOARCH). */
const NODE_TO_NATIVE: Readonly<Record<string, string>> = {
  ia32: "x86",
  x64: "amd64",
  arm: "arm",
  arm64: "arm64",
  mips64el: "mipsel64",
  ppc: "ppc",
  ppc64: "ppc64le",
  s390: "s390",
  s390x: "s390x",
};

/** libseccomp's name → the OCI spec's (moby's nativeToSeccomp). */
const NATIVE_TO_OCI: Readonly<Record<string, string>> = {
  x86: "SCMP_ARCH_X86",
  amd64: "SCMP_ARCH_X86_64",
  arm: "SCMP_ARCH_ARM",
  arm64: "SCMP_ARCH_AARCH64",
  mips64: "SCMP_ARCH_MIPS64",
  mips64n32: "SCMP_ARCH_MIPS64N32",
  mipsel64: "SCMP_ARCH_MIPSEL64",
  mips3l64n32: "SCMP_ARCH_MIPSEL64N32",
  mipsle: "SCMP_ARCH_MIPSEL",
  ppc: "SCMP_ARCH_PPC",
  ppc64: "SCMP_ARCH_PPC64",
  ppc64le: "SCMP_ARCH_PPC64LE",
  s390: "SCMP_ARCH_S390",
  s390x: "SCMP_ARCH_S390X",
};

export interface SeccompHost {
  /** Node's `process.arch` of the host. */
  readonly arch: string;
  /** `os.release()`: only its "<kernel>.<major>" counts, as in moby's kernel check. */
  readonly kernelRelease: string;
}

interface KernelVersion {
  readonly kernel: number;
  readonly major: number;
}

/** "<kernel>.<major>" at the start of a release ("6.1.0-18-amd64", "3.12-1-amd64"), as moby's Sscanf("%d.%d"). */
function parseRelease(release: string): KernelVersion {
  const match = /^(\d+)\.(\d+)/.exec(release.trim());
  if (match === null) throw new InvalidRequestError(`failed to parse kernel version "${release}"`);
  return { kernel: Number(match[1]), major: Number(match[2]) };
}

/** A profile's "<kernel>.<major>" (moby KernelVersion.UnmarshalJSON): exactly two numbers, not 0.0. */
function parseMinKernel(text: string): KernelVersion | undefined {
  if (text === "") return undefined;
  const invalid = new InvalidRequestError(
    `Decoding seccomp profile failed: invalid kernel version: "${text}", expected "<kernel>.<major>"`,
  );
  const parts = text.split(".");
  if (parts.length !== 2 || !parts.every((p) => /^\d{1,3}$/.test(p))) throw invalid;
  const version = { kernel: Number(parts[0]), major: Number(parts[1]) };
  if (version.kernel > 255 || version.major > 255) throw invalid;
  if (version.kernel === 0 && version.major === 0) throw invalid;
  return version;
}

function kernelAtLeast(host: KernelVersion, min: KernelVersion): boolean {
  return host.kernel > min.kernel || (host.kernel === min.kernel && host.major >= min.major);
}

/**
 * moby's LoadProfile: Docker's JSON profile, checked for the shape its Go structs accept. Fields Go
 * does not know are ignored, as encoding/json does.
 */
export function parseSeccompProfile(text: string): DockerSeccompProfile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidRequestError(`Decoding seccomp profile failed: ${(error as Error).message}`);
  }
  const fail = (what: string): never => {
    throw new InvalidRequestError(`Decoding seccomp profile failed: ${what}`);
  };
  if (value === null) return { defaultAction: "" };
  if (typeof value !== "object" || Array.isArray(value)) return fail("the profile is not a JSON object");
  const profile = value as Record<string, unknown>;
  const strings = (v: unknown, field: string): readonly string[] | undefined => {
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || !v.every((s) => typeof s === "string"))
      return fail(`${field} must be a list of strings`);
    return v as string[];
  };
  const string = (v: unknown, field: string): string | undefined => {
    if (v === undefined || v === null) return undefined;
    return typeof v === "string" ? v : fail(`${field} must be a string`);
  };
  const list = (v: unknown, field: string): readonly unknown[] => {
    if (v === undefined || v === null) return [];
    return Array.isArray(v) ? v : fail(`${field} must be a list`);
  };
  const object = (v: unknown, field: string): Record<string, unknown> => {
    if (v === undefined || v === null) return {};
    return typeof v === "object" && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : fail(`${field} must be an object`);
  };
  const filter = (v: unknown, field: string): DockerSeccompFilter => {
    const f = object(v, field);
    const minKernel = string(f.minKernel, `${field}.minKernel`);
    if (minKernel !== undefined) parseMinKernel(minKernel);
    return {
      caps: strings(f.caps, `${field}.caps`),
      arches: strings(f.arches, `${field}.arches`),
      minKernel,
    };
  };
  const uint = (v: unknown, field: string): number | undefined => {
    if (v === undefined || v === null) return undefined;
    return typeof v === "number" && Number.isInteger(v) && v >= 0
      ? v
      : fail(`${field} must be a non-negative integer`);
  };
  return {
    defaultAction: string(profile.defaultAction, "defaultAction") ?? "",
    architectures: strings(profile.architectures, "architectures"),
    archMap: list(profile.archMap, "archMap").map((entry, i) => {
      const a = object(entry, `archMap[${i}]`);
      return {
        architecture: string(a.architecture, `archMap[${i}].architecture`) ?? "",
        subArchitectures: strings(a.subArchitectures, `archMap[${i}].subArchitectures`),
      };
    }),
    syscalls: list(profile.syscalls, "syscalls").map((entry, i): DockerSeccompSyscall => {
      const field = `syscalls[${i}]`;
      const s = object(entry, field);
      return {
        name: string(s.name, `${field}.name`),
        names: strings(s.names, `${field}.names`),
        action: string(s.action, `${field}.action`) ?? "",
        errnoRet: uint(s.errnoRet, `${field}.errnoRet`),
        args: list(s.args, `${field}.args`).map((raw, j): OciSeccompArg => {
          const a = object(raw, `${field}.args[${j}]`);
          const valueTwo = uint(a.valueTwo, `${field}.args[${j}].valueTwo`) ?? 0;
          return {
            index: uint(a.index, `${field}.args[${j}].index`) ?? 0,
            value: uint(a.value, `${field}.args[${j}].value`) ?? 0,
            ...(valueTwo !== 0 ? { valueTwo } : {}),
            op: string(a.op, `${field}.args[${j}].op`) ?? "",
          };
        }),
        includes: filter(s.includes, `${field}.includes`),
        excludes: filter(s.excludes, `${field}.excludes`),
      };
    }),
  };
}

/** moby's setupSeccomp: the profile reduced to this container on this host. */
export function applySeccompProfile(
  profile: DockerSeccompProfile,
  bounding: readonly string[],
  host: SeccompHost,
): OciSeccomp | undefined {
  const syscalls = profile.syscalls ?? [];
  // No default action and no rules: the profile disables seccomp.
  if (profile.defaultAction === "" && syscalls.length === 0) return undefined;
  const archMap = profile.archMap ?? [];
  if ((profile.architectures ?? []).length > 0 && archMap.length > 0) {
    throw new InvalidRequestError(
      "'architectures' and 'archMap' were specified in the seccomp profile, use either 'architectures' or 'archMap'",
    );
  }
  const native = NODE_TO_NATIVE[host.arch] ?? host.arch;
  const ociArch = NATIVE_TO_OCI[native];
  const architectures = [...(profile.architectures ?? [])];
  const entry = ociArch === undefined ? undefined : archMap.find((a) => a.architecture === ociArch);
  if (entry !== undefined) architectures.push(entry.architecture, ...(entry.subArchitectures ?? []));

  let kernel: KernelVersion | undefined;
  const kernelAtLeastMin = (min: string | undefined): boolean | undefined => {
    const version = min === undefined ? undefined : parseMinKernel(min);
    if (version === undefined) return undefined;
    kernel ??= parseRelease(host.kernelRelease);
    return kernelAtLeast(kernel, version);
  };
  const has = (cap: string): boolean => bounding.includes(cap);

  const out: OciSeccompSyscall[] = [];
  for (const call of syscalls) {
    const ex = call.excludes ?? {};
    const inc = call.includes ?? {};
    if ((ex.arches ?? []).includes(native)) continue;
    if ((ex.caps ?? []).some(has)) continue;
    if (kernelAtLeastMin(ex.minKernel) === true) continue;
    if ((inc.arches ?? []).length > 0 && !(inc.arches ?? []).includes(native)) continue;
    if (!(inc.caps ?? []).every(has)) continue;
    if (kernelAtLeastMin(inc.minKernel) === false) continue;
    if ((call.name ?? "") !== "" && (call.names ?? []).length > 0) {
      throw new InvalidRequestError(
        "'name' and 'names' were specified in the seccomp profile, use either 'name' or 'names'",
      );
    }
    const args = call.args ?? [];
    out.push({
      names: call.name !== undefined && call.name !== "" ? [call.name] : [...(call.names ?? [])],
      action: call.action,
      ...(call.errnoRet !== undefined ? { errnoRet: call.errnoRet } : {}),
      ...(args.length > 0 ? { args } : {}),
    });
  }
  return {
    defaultAction: profile.defaultAction,
    ...(architectures.length > 0 ? { architectures } : {}),
    ...(out.length > 0 ? { syscalls: out } : {}),
  };
}

export interface SeccompInput {
  readonly securityOpt?: readonly string[] | undefined;
  readonly privileged: boolean;
  /** The container's final bounding set (after cap_add/cap_drop). */
  readonly bounding: readonly string[];
  readonly host: SeccompHost;
  /** The text of the file a `seccomp=<path>` option names, read by the caller (`readSeccompProfile`). */
  readonly profileText?: string | undefined;
}

/** WithSeccomp: none when privileged or unconfined, the named profile, else Docker's default. */
export function containerSeccomp(input: SeccompInput): OciSeccomp | undefined {
  const choice = seccompChoice(input.securityOpt);
  if (choice.kind === "unconfined" || input.privileged) return undefined;
  if (choice.kind === "default")
    return applySeccompProfile(DEFAULT_SECCOMP_PROFILE, input.bounding, input.host);
  const text = isInlineProfile(choice.value) ? choice.value : input.profileText;
  if (text === undefined) {
    throw new InvalidRequestError(`the seccomp profile ${choice.value} was not read`);
  }
  return applySeccompProfile(parseSeccompProfile(text), input.bounding, input.host);
}
