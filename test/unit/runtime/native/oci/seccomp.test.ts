/**
 * `linux.seccomp` must be what dockerd 20.10.24 writes. The JSON files in goldens/seccomp/ are the
 * seccomp sections of config.json files dockerd wrote on this host (x86_64, kernel 6.x) for
 * `docker run --cap-add SYS_ADMIN`, for `--cap-add SYS_PTRACE --cap-add SYS_MODULE --cap-add SYSLOG
 * --cap-add SYS_NICE --cap-add SYS_TIME --cap-add DAC_READ_SEARCH`, and for
 * `--cap-add SYS_ADMIN --security-opt seccomp=custom-profile.json` (Docker's default profile plus
 * rules with `name`, `errnoRet: 0`, `valueTwo`, kernel and capability conditions, an unknown field);
 * the default profile and `cap_drop: ALL` are in the spec goldens.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { InvalidRequestError } from "../../../../../src/runtime/errors.js";
import { containerCapabilities } from "../../../../../src/runtime/native/oci/capabilities.js";
import {
  containerSeccomp,
  parseSeccompProfile,
  seccompChoice,
  type SeccompInput,
} from "../../../../../src/runtime/native/oci/seccomp.js";
import { readSeccompProfile } from "../../../../../src/runtime/native/oci/seccomp-file.js";

const GOLDENS = path.join(import.meta.dirname, "goldens", "seccomp");
const X86_64 = { arch: "x64", kernelRelease: "6.1.0-18-amd64" };

function golden(name: string): unknown {
  return JSON.parse(readFileSync(path.join(GOLDENS, name), "utf8"));
}

function seccomp(extra: Partial<SeccompInput> & { capAdd?: string[]; capDrop?: string[] } = {}) {
  const { capAdd, capDrop, ...rest } = extra;
  return containerSeccomp({
    privileged: false,
    bounding: containerCapabilities(capAdd, capDrop, false, undefined),
    host: X86_64,
    ...rest,
  });
}

function names(result: ReturnType<typeof seccomp>): string[] {
  return (result?.syscalls ?? []).flatMap((s) => s.names);
}

describe("containerSeccomp against dockerd 20.10", () => {
  it("with CAP_SYS_ADMIN allows mount, unshare, setns… and drops the clone flags rule and clone3's ENOSYS", () => {
    const result = seccomp({ capAdd: ["SYS_ADMIN"] });
    expect(JSON.stringify(result)).toBe(JSON.stringify(golden("docker-sys-admin.json")));
    expect(names(result)).toEqual(expect.arrayContaining(["mount", "umount2", "unshare", "setns"]));
    expect(result?.syscalls?.some((s) => s.names.includes("clone") && s.args !== undefined)).toBe(false);
  });

  it("without CAP_SYS_ADMIN keeps clone to flags without namespaces and clone3 at ENOSYS", () => {
    const result = seccomp();
    expect(names(result)).not.toContain("unshare");
    expect(result?.syscalls).toContainEqual({
      names: ["clone"],
      action: "SCMP_ACT_ALLOW",
      args: [{ index: 0, value: 2114060288, op: "SCMP_CMP_MASKED_EQ" }],
    });
    expect(result?.syscalls).toContainEqual({ names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: 38 });
  });

  it("allows what each added capability unlocks (ptrace, modules, syslog, nice, time, open_by_handle_at)", () => {
    const result = seccomp({
      capAdd: ["SYS_PTRACE", "SYS_MODULE", "SYSLOG", "SYS_NICE", "SYS_TIME", "DAC_READ_SEARCH"],
    });
    expect(JSON.stringify(result)).toBe(JSON.stringify(golden("docker-more-caps.json")));
  });

  it("drops the chroot rule with CAP_SYS_CHROOT dropped", () => {
    expect(names(seccomp())).toContain("chroot");
    expect(names(seccomp({ capDrop: ["SYS_CHROOT"] }))).not.toContain("chroot");
  });

  it("writes none for seccomp=unconfined (either spelling) and for a privileged container", () => {
    expect(seccomp({ securityOpt: ["seccomp=unconfined"] })).toBeUndefined();
    expect(seccomp({ securityOpt: ["seccomp:unconfined"] })).toBeUndefined();
    expect(seccomp({ privileged: true })).toBeUndefined();
    expect(
      seccomp({ privileged: true, securityOpt: ['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}'] }),
    ).toBeUndefined();
  });

  it("converts a profile file as moby's LoadProfile does", () => {
    const text = readFileSync(path.join(GOLDENS, "custom-profile.json"), "utf8");
    const fromFile = seccomp({ capAdd: ["SYS_ADMIN"], securityOpt: ["seccomp=/p.json"], profileText: text });
    expect(JSON.stringify(fromFile)).toBe(JSON.stringify(golden("docker-custom-profile.json")));
    // Inline, as Docker's API carries it.
    const inline = seccomp({ capAdd: ["SYS_ADMIN"], securityOpt: [`seccomp=${text}`] });
    expect(inline).toEqual(fromFile);
  });

  it("takes the host architecture's entry of the arch map and its arch-only rules", () => {
    const arm = seccomp({ host: { arch: "arm64", kernelRelease: "6.1.0" } });
    expect(arm?.architectures).toEqual(["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]);
    expect(names(arm)).toContain("arm_fadvise64_64");
    expect(names(arm)).not.toContain("arch_prctl");
    const x86 = seccomp();
    expect(x86?.architectures).toEqual(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]);
    expect(names(x86)).toEqual(expect.arrayContaining(["arch_prctl", "modify_ldt"]));
    expect(names(x86)).not.toContain("arm_fadvise64_64");
  });

  it("allows ptrace without CAP_SYS_PTRACE only from kernel 4.8", () => {
    expect(names(seccomp({ host: { arch: "x64", kernelRelease: "4.8.0" } }))).toContain("ptrace");
    expect(names(seccomp({ host: { arch: "x64", kernelRelease: "4.4.0-210-generic" } }))).not.toContain(
      "ptrace",
    );
  });

  it("keeps the personality values Docker allows", () => {
    const values = (seccomp()?.syscalls ?? [])
      .filter((s) => s.names[0] === "personality")
      .map((s) => s.args?.[0]?.value);
    expect(values).toEqual([0, 8, 131072, 131080, 4294967295]);
  });
});

describe("seccomp profiles Docker refuses", () => {
  const refused = (profile: string): unknown => {
    try {
      seccomp({ securityOpt: [`seccomp=${profile}`] });
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidRequestError);
      return (error as Error).message;
    }
    return undefined;
  };

  it("names the decoding failure", () => {
    expect(refused("{not json")).toMatch(/^Decoding seccomp profile failed: /);
    expect(refused('{"syscalls": {}}')).toMatch(/^Decoding seccomp profile failed: syscalls must be a list/);
    expect(refused('{"syscalls": [{"includes": {"minKernel": "4"}}]}')).toMatch(/invalid kernel version/);
  });

  it("refuses architectures with archMap, and name with names", () => {
    expect(
      refused(
        '{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86"],"archMap":[{"architecture":"SCMP_ARCH_X86_64"}]}',
      ),
    ).toBe(
      "'architectures' and 'archMap' were specified in the seccomp profile, use either 'architectures' or 'archMap'",
    );
    expect(
      refused(
        '{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"name":"a","names":["b"],"action":"SCMP_ACT_ALLOW"}]}',
      ),
    ).toBe("'name' and 'names' were specified in the seccomp profile, use either 'name' or 'names'");
  });

  it("treats a profile with no default action and no rules as no profile", () => {
    expect(seccomp({ securityOpt: ["seccomp={}"] })).toBeUndefined();
    expect(parseSeccompProfile("null")).toEqual({ defaultAction: "" });
  });

  it("needs a named file's text read first", () => {
    expect(() => seccomp({ securityOpt: ["seccomp=/etc/profile.json"] })).toThrow(
      "the seccomp profile /etc/profile.json was not read",
    );
  });
});

describe("seccompChoice and readSeccompProfile", () => {
  it("takes the last seccomp option", () => {
    expect(seccompChoice([])).toEqual({ kind: "default" });
    expect(seccompChoice(["seccomp=unconfined", "no-new-privileges", "seccomp=/a.json"])).toEqual({
      kind: "profile",
      value: "/a.json",
    });
    expect(seccompChoice(["seccomp=/a.json", "seccomp:unconfined"])).toEqual({ kind: "unconfined" });
    expect(seccompChoice(["seccomp=unconfined", "seccomp="])).toEqual({ kind: "default" });
  });

  it("reads a named file, not an inline profile, and names a missing one", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "berth-seccomp-"));
    try {
      const file = path.join(dir, "p.json");
      writeFileSync(file, '{"defaultAction":"SCMP_ACT_ALLOW"}');
      expect(await readSeccompProfile([`seccomp=${file}`])).toBe('{"defaultAction":"SCMP_ACT_ALLOW"}');
      expect(await readSeccompProfile(['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}'])).toBeUndefined();
      expect(await readSeccompProfile(["seccomp=unconfined"])).toBeUndefined();
      expect(await readSeccompProfile(undefined)).toBeUndefined();
      await expect(readSeccompProfile([`seccomp=${dir}/missing.json`])).rejects.toThrow(
        `opening seccomp profile (${dir}/missing.json) failed: `,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
