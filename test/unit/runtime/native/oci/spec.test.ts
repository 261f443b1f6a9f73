/**
 * config.json must be what Docker 20.10's daemon writes for the same container. The `docker-*`
 * goldens are config.json files dockerd 20.10.24 wrote for `docker run` on this kind of host
 * (cgroup v1, no AppArmor, x86_64, kernel ≥ 4.8), with its libnetwork hook taken out (berth sets
 * none, see spec.ts) and Docker's paths and id replaced by berth's; their seccomp sections are
 * dockerd's as it wrote them (Docker's default profile for each capability set). The others are berth's own:
 * read-only, init and host-network were compared with dockerd's files for `--read-only`, `--init`
 * and `--network host` and differ only where berth means to (the init binary is catatonit; with the
 * host network Docker joins its own handle on the host namespace, `/var/run/docker/netns/default`,
 * where berth makes no network namespace, the same thing); privileged could not start under dockerd
 * here (this VM's bounding set lacks CAP_SYS_RESOURCE) and follows moby's source.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { InvalidRequestError } from "../../../../../src/runtime/errors.js";
import type { ContainerSpec } from "../../../../../src/runtime/runtime.js";
import type { ResolvedDevice } from "../../../../../src/runtime/native/oci/devices.js";
import {
  ociSpec,
  ociSpecText,
  processArgs,
  processEnv,
  specWarnings,
  type OciImageInput,
  type OciSpecInput,
} from "../../../../../src/runtime/native/oci/spec.js";

const GOLDENS = path.join(import.meta.dirname, "goldens");
const ID = "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00";
const RUN = `/run/berth/native/containers/${ID}`;
const BUSYBOX: OciImageInput = {
  env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
  cmd: ["/bin/sh"],
};

function input(spec: Partial<ContainerSpec>, extra: Partial<OciSpecInput> = {}): OciSpecInput {
  return {
    spec: { name: "demo-web-1", image: "busybox", labels: {}, ...spec },
    image: BUSYBOX,
    rootfs: `/var/lib/berth/containers/${ID}/rootfs`,
    user: { uid: 0, gid: 0, additionalGids: [0] },
    hostname: ID.slice(0, 12),
    resolvPath: `${RUN}/resolv.conf`,
    hostnamePath: `${RUN}/hostname`,
    hostsPath: `${RUN}/hosts`,
    cgroupsPath: `/berth/${ID}`,
    cgroupVersion: 1,
    memswAvailable: true,
    // The host the goldens were taken on: Docker's seccomp profile depends on both.
    arch: "x64",
    kernelRelease: "6.1.0-18-amd64",
    ...extra,
  };
}

function golden(name: string): string {
  return readFileSync(path.join(GOLDENS, name), "utf8");
}

const MYNULL: ResolvedDevice = {
  path: "/dev/mynull",
  type: "c",
  major: 1,
  minor: 3,
  fileMode: 0o666,
  uid: 0,
  gid: 0,
  permissions: "rw",
};

describe("ociSpec against dockerd 20.10's config.json", () => {
  it("writes a default container as `docker run IMAGE sleep 120` does", () => {
    const spec = ociSpec(input({ command: ["sleep", "120"] }));
    expect(ociSpecText(spec)).toBe(golden("docker-default.golden"));
  });

  it("writes every option as dockerd does (user, caps, read_only, init, tmpfs, binds, limits, sysctls, devices)", () => {
    const spec = ociSpec(
      input(
        {
          entrypoint: ["/bin/sh"],
          command: ["-c", "sleep 120"],
          user: "nobody",
          capAdd: ["NET_ADMIN"],
          capDrop: ["chown"],
          readOnlyRootfs: true,
          init: true,
          tmpfs: { "/run": "size=64m,mode=1770" },
          mounts: [
            { type: "bind", source: "/tmp/ociref-data", target: "/data", readOnly: true },
            { type: "tmpfs", target: "/cache", sizeBytes: 1_000_000, mode: 0o700 },
          ],
          resources: {
            memoryBytes: 64 * 2 ** 20,
            memoryReservationBytes: 32 * 2 ** 20,
            nanoCpus: 0.5e9,
            cpuShares: 512,
            cpusetCpus: "0",
            pidsLimit: 100,
            shmSizeBytes: 128 * 2 ** 20,
            ulimits: [{ name: "nofile", soft: 1024, hard: 2048 }],
          },
          securityOpt: ["no-new-privileges"],
          sysctls: { "net.core.somaxconn": "1024" },
          hostname: "hh",
          domainname: "example.com",
          env: { FOO: "bar" },
          tty: true,
          workingDir: "/tmp",
          groupAdd: ["1234"],
          networkMode: "none",
          devices: [{ source: "/dev/null", target: "/dev/mynull", permissions: "rw" }],
          oomScoreAdj: 100,
        },
        {
          hostname: "hh",
          user: { uid: 65534, gid: 65534, additionalGids: [65534, 1234] },
          initPath: "/usr/bin/docker-init",
          devices: [MYNULL],
        },
      ),
    );
    expect(ociSpecText(spec)).toBe(golden("docker-every-option.golden"));
  });

  it("leaves out the host's pid, ipc and uts namespaces and keeps only the added caps after drop ALL", () => {
    const spec = ociSpec(
      input({
        command: ["sleep", "120"],
        capDrop: ["ALL"],
        capAdd: ["chown", "CAP_KILL"],
        pidMode: "host",
        ipcMode: "host",
        utsMode: "host",
      }),
    );
    expect(ociSpecText(spec)).toBe(golden("docker-host-namespaces.golden"));
  });

  it("orders volumes, binds, network files and tmpfs by depth with Docker's options", () => {
    // dockerd 20.10.24 for: -v vol:/vol -v vol2:/a/b/c:ro --mount bind /a/b (private)
    // --mount tmpfs /a (1 MiB, readonly) --tmpfs /x:exec,size=1g,rw --mount bind onto /etc/hosts (readonly)
    const spec = ociSpec(
      input(
        {
          command: ["sleep", "60"],
          tmpfs: { "/x": "exec,size=1g,rw" },
          mounts: [
            { type: "volume", source: "vol", target: "/vol" },
            { type: "volume", source: "vol2", target: "/a/b/c", readOnly: true },
            { type: "bind", source: "/srv/data", target: "/a/b", propagation: "private" },
            { type: "tmpfs", target: "/a", sizeBytes: 1_048_576, readOnly: true },
            { type: "bind", source: "/srv/hosts", target: "/etc/hosts", readOnly: true },
          ],
        },
        { volumeSources: { "/vol": "/v/vol/_data", "/a/b/c": "/v/vol2/_data" } },
      ),
    );
    expect(spec.mounts.slice(7)).toEqual([
      { destination: "/vol", type: "bind", source: "/v/vol/_data", options: ["rbind"] },
      {
        destination: "/x",
        type: "tmpfs",
        source: "tmpfs",
        options: ["nosuid", "nodev", "rprivate", "exec", "size=1g", "rw"],
      },
      {
        destination: "/a",
        type: "tmpfs",
        source: "tmpfs",
        options: ["noexec", "nosuid", "nodev", "rprivate", "ro", "size=1m"],
      },
      { destination: "/a/b", type: "bind", source: "/srv/data", options: ["rbind", "private"] },
      {
        destination: "/etc/resolv.conf",
        type: "bind",
        source: `${RUN}/resolv.conf`,
        options: ["rbind", "rprivate"],
      },
      {
        destination: "/etc/hostname",
        type: "bind",
        source: `${RUN}/hostname`,
        options: ["rbind", "rprivate"],
      },
      { destination: "/etc/hosts", type: "bind", source: "/srv/hosts", options: ["rbind", "ro", "rprivate"] },
      { destination: "/a/b/c", type: "bind", source: "/v/vol2/_data", options: ["rbind", "ro"] },
    ]);
    expect(spec.linux.rootfsPropagation).toBeUndefined();
  });
});

describe("ociSpec goldens for what dockerd could not run here", () => {
  it("privileged: every capability, all devices allowed, /sys and cgroups writable, nothing masked", async () => {
    const spec = ociSpec(
      input(
        { command: ["sleep", "120"], privileged: true },
        { devices: [{ ...MYNULL, path: "/dev/null", permissions: "rwm" }] },
      ),
    );
    await expect(ociSpecText(spec)).toMatchFileSnapshot(path.join(GOLDENS, "privileged.golden"));
  });

  it("read_only: the root and the network files read-only, /dev and /proc untouched", async () => {
    const spec = ociSpec(input({ command: ["sleep", "120"], readOnlyRootfs: true }));
    await expect(ociSpecText(spec)).toMatchFileSnapshot(path.join(GOLDENS, "read-only.golden"));
  });

  it("init: the init binary bind-mounted read-only at /sbin/docker-init and put first", async () => {
    const spec = ociSpec(
      input({ command: ["sleep", "120"], init: true }, { initPath: "/usr/bin/catatonit" }),
    );
    await expect(ociSpecText(spec)).toMatchFileSnapshot(path.join(GOLDENS, "init.golden"));
  });

  it("host network: no network namespace and no network sysctls", async () => {
    const spec = ociSpec(input({ command: ["sleep", "120"], networkMode: "host" }, { hostname: "myhost" }));
    await expect(ociSpecText(spec)).toMatchFileSnapshot(path.join(GOLDENS, "host-network.golden"));
  });

  it("cgroup v2 with a joined network namespace: a cgroup namespace and the netns path", async () => {
    const spec = ociSpec(
      input(
        { command: ["sleep", "120"], networkMode: "demo_default" },
        { cgroupVersion: 2, netnsPath: "/run/netns/berth-c0ffee00c0ff" },
      ),
    );
    await expect(ociSpecText(spec)).toMatchFileSnapshot(path.join(GOLDENS, "cgroup-v2-netns.golden"));
  });
});

describe("ociSpec fields", () => {
  const caps = (spec: Partial<ContainerSpec>, uid = 0) =>
    ociSpec(input({ command: ["true"], ...spec }, { user: { uid, gid: uid, additionalGids: [uid] } })).process
      .capabilities;

  it("cap_add ALL keeps every capability 20.10 knows but the dropped ones", () => {
    const bounding = caps({ capAdd: ["ALL"], capDrop: ["net_admin", "CAP_SYS_ADMIN"] }).bounding ?? [];
    expect(bounding).toHaveLength(36);
    expect(bounding).not.toContain("CAP_NET_ADMIN");
    expect(bounding).not.toContain("CAP_SYS_ADMIN");
    expect(bounding).toContain("CAP_AUDIT_READ");
    expect(bounding).not.toContain("CAP_PERFMON");
  });

  it("cap_drop ALL with nothing added leaves no capability", () => {
    expect(caps({ capDrop: ["all"] })).toEqual({ bounding: [], effective: [], permitted: [] });
  });

  it("a non-root user gets the bounding set only", () => {
    expect(caps({}, 1000)).toEqual({ bounding: caps({}).bounding });
  });

  it("refuses an unknown capability as Docker does", () => {
    expect(() => caps({ capAdd: ["PERFMON"] })).toThrow('unknown capability: "CAP_PERFMON"');
  });

  it("entrypoint and command follow Docker's override rules", () => {
    const image: OciImageInput = { env: [], entrypoint: ["/entry.sh"], cmd: ["serve"] };
    const spec = (s: Partial<ContainerSpec>): ContainerSpec => ({ name: "x", image: "i", labels: {}, ...s });
    expect(processArgs(spec({}), image)).toEqual(["/entry.sh", "serve"]);
    expect(processArgs(spec({ command: ["run"] }), image)).toEqual(["/entry.sh", "run"]);
    // A service entrypoint drops the image's command.
    expect(processArgs(spec({ entrypoint: ["/bin/sh", "-c"] }), image)).toEqual(["/bin/sh", "-c"]);
    // An empty entrypoint drops the image's entrypoint but keeps its command.
    expect(processArgs(spec({ entrypoint: [] }), image)).toEqual(["serve"]);
    expect(() => processArgs(spec({ entrypoint: [] }), { env: [] })).toThrow("No command specified");
  });

  it("env: service over image over PATH/HOSTNAME/TERM, in Docker's order", () => {
    const spec: ContainerSpec = {
      name: "x",
      image: "i",
      labels: {},
      env: { B: "2", PATH: "/opt/bin" },
      tty: true,
    };
    const image: OciImageInput = { env: ["PATH=/usr/bin", "A=1", "B=1"] };
    expect(processEnv(spec, image, "h")).toEqual(["PATH=/opt/bin", "HOSTNAME=h", "TERM=xterm", "B=2", "A=1"]);
    expect(processEnv({ ...spec, env: {}, tty: false }, { env: [] }, "h")).toEqual([
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "HOSTNAME=h",
    ]);
  });

  it("cwd: the service's, else the image's, else /; a relative one is refused", () => {
    const cwd = (workingDir: string | undefined, imageDir?: string) =>
      ociSpec({ ...input({ command: ["true"], workingDir }), image: { ...BUSYBOX, workingDir: imageDir } })
        .process.cwd;
    expect(cwd(undefined)).toBe("/");
    expect(cwd(undefined, "/app/")).toBe("/app");
    expect(cwd("/srv//x/../y", "/app")).toBe("/srv/y");
    expect(() => cwd("rel")).toThrow(
      "the working directory 'rel' is invalid, it needs to be an absolute path",
    );
  });

  it("no-new-privileges in each of Docker's spellings; an unknown option refused", () => {
    const nnp = (securityOpt: string[]) =>
      ociSpec(input({ command: ["true"], securityOpt })).process.noNewPrivileges;
    expect(nnp(["no-new-privileges"])).toBe(true);
    expect(nnp(["no-new-privileges:true"])).toBe(true);
    expect(nnp(["no-new-privileges=1"])).toBe(true);
    expect(nnp(["no-new-privileges=false"])).toBeUndefined();
    expect(nnp(["seccomp=unconfined", "apparmor=unconfined"])).toBeUndefined();
    expect(() => nnp(["bogus=1"])).toThrow('invalid --security-opt 2: "bogus=1"');
  });

  it("memory: swap twice the limit by default, left out without swap accounting (with Docker's warning)", () => {
    const resources = { memoryBytes: 64 * 2 ** 20 };
    expect(ociSpec(input({ command: ["true"], resources })).linux.resources.memory).toEqual({
      limit: 67108864,
      swap: 134217728,
      disableOOMKiller: false,
    });
    const noSwap = input({ command: ["true"], resources }, { memswAvailable: false });
    expect(ociSpec(noSwap).linux.resources.memory).toEqual({ limit: 67108864, disableOOMKiller: false });
    expect(specWarnings(noSwap)).toEqual([
      "Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.",
    ]);
    const unlimited = { memoryBytes: 64 * 2 ** 20, memorySwapBytes: -1 };
    expect(ociSpec(input({ command: ["true"], resources: unlimited })).linux.resources.memory).toEqual({
      limit: 67108864,
      disableOOMKiller: false,
    });
  });

  it("refuses the limits Docker refuses, in its words", () => {
    const bad = (resources: ContainerSpec["resources"]) => () =>
      ociSpec(input({ command: ["true"], resources }));
    expect(bad({ memoryBytes: 1024 })).toThrow("Minimum memory limit allowed is 6MB");
    expect(bad({ memorySwapBytes: 2 ** 30 })).toThrow(
      "You should always set the Memory limit when using Memoryswap limit",
    );
    expect(bad({ nanoCpus: 1e9, cpuQuota: 50_000 })).toThrow("Nano CPUs and CPU Quota cannot both be set");
    expect(bad({ ulimits: [{ name: "nofiles", soft: 1, hard: 1 }] })).toThrow("invalid ulimit type: nofiles");
    expect(bad({ memoryBytes: 1024 })).toThrow(InvalidRequestError);
  });

  it("cpu: quota and period from cpus, explicit period and quota as given; pids 0 is unlimited", () => {
    const linux = (resources: ContainerSpec["resources"]) =>
      ociSpec(input({ command: ["true"], resources })).linux.resources;
    expect(linux({ nanoCpus: 1.5e9 }).cpu).toEqual({ shares: 0, quota: 150000, period: 100000 });
    expect(linux({ cpuQuota: 20_000, cpuPeriod: 50_000 }).cpu).toEqual({
      shares: 0,
      quota: 20000,
      period: 50000,
    });
    expect(linux({ pidsLimit: 0 }).pids).toEqual({ limit: -1 });
    expect(linux({}).pids).toBeUndefined();
  });

  it("ipc none: no /dev/shm; shm_size sets its size", () => {
    const shm = (spec: Partial<ContainerSpec>) =>
      ociSpec(input({ command: ["true"], ...spec })).mounts.find((m) => m.destination === "/dev/shm");
    expect(shm({ ipcMode: "none" })).toBeUndefined();
    expect(shm({ resources: { shmSizeBytes: 2 ** 20 } })?.options.at(-1)).toBe("size=1048576");
  });

  it("a bind asking for shared propagation makes the root shared", () => {
    const spec = ociSpec(
      input({
        command: ["true"],
        mounts: [{ type: "bind", source: "/mnt", target: "/mnt", propagation: "rshared" }],
      }),
    );
    expect(spec.linux.rootfsPropagation).toBe("shared");
    expect(spec.mounts.find((m) => m.destination === "/mnt")).toEqual({
      destination: "/mnt",
      type: "bind",
      source: "/mnt",
      options: ["rbind", "rshared"],
    });
  });

  it("refuses what it cannot build: an unresolved volume, a bad tmpfs option, another container's pid namespace, init without a binary", () => {
    const build =
      (spec: Partial<ContainerSpec>, extra: Partial<OciSpecInput> = {}) =>
      () =>
        ociSpec(input({ command: ["true"], ...spec }, extra));
    expect(build({ mounts: [{ type: "volume", source: "v", target: "/v" }] })).toThrow("/v has no host path");
    expect(build({ tmpfs: { "/t": "size=1m,bogus" } })).toThrow('Invalid tmpfs option "bogus"');
    expect(build({ pidMode: "container:abc" })).toThrow("pid mode container:abc is not supported");
    expect(build({ networkMode: "container:abc" })).toThrow("needs that container's network namespace");
    expect(build({ init: true })).toThrow("init: true needs an init binary");
    // With the host's pid namespace Docker adds no init, so none is needed.
    expect(build({ init: true, pidMode: "host" })().process.args).toEqual(["true"]);
  });

  it("reads the image config in the OCI spelling too (Env, Cmd, null for unset)", () => {
    const oci = ociSpec({
      ...input({}),
      image: {
        Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
        Cmd: ["sleep", "120"],
        Entrypoint: null,
      },
    });
    expect(ociSpecText(oci)).toBe(golden("docker-default.golden"));
  });

  it("never writes a time namespace", () => {
    for (const cgroupVersion of [1, 2] as const) {
      const types = ociSpec(input({ command: ["true"] }, { cgroupVersion })).linux.namespaces.map(
        (n) => n.type,
      );
      expect(types).not.toContain("time");
    }
  });

  it("sizes a TTY from its first moment when the caller gives its terminal's size, and only a TTY", () => {
    const size = { rows: 40, cols: 120 };
    expect(ociSpec(input({ tty: true, consoleSize: size })).process.consoleSize).toEqual({
      height: 40,
      width: 120,
    });
    expect(ociSpec(input({ tty: false, consoleSize: size })).process.consoleSize).toBeUndefined();
    expect(ociSpec(input({ tty: true })).process.consoleSize).toBeUndefined();
  });

  const FEATURES = {
    swappiness: true,
    oomKillDisable: true,
    cpuRealtime: true,
    blkioWeight: true,
    blkioWeightDevice: true,
    blkioThrottle: true,
  };
  const SDA = { "/dev/sda": { major: 8, minor: 0 } };

  it("writes oom_score_adj, swappiness, the OOM-killer switch, real-time CPU and block I/O where the host has them", () => {
    const resources = {
      memoryBytes: 64 * 2 ** 20,
      memorySwappiness: 30,
      oomKillDisable: true,
      cpuRealtimePeriod: 1_000_000,
      cpuRealtimeRuntime: 950_000,
      blkio: {
        weight: 300,
        weightDevice: [{ path: "/dev/sda", weight: 400 }],
        deviceReadBps: [{ path: "/dev/sda", rate: 1024 }],
        deviceWriteIops: [{ path: "/dev/sda", rate: 20 }],
      },
    };
    const withAll = input({ oomScoreAdj: 500, resources }, { cgroupFeatures: FEATURES, blockDevices: SDA });
    const spec = ociSpec(withAll);
    expect(spec.process.oomScoreAdj).toBe(500);
    expect(spec.linux.resources.memory).toMatchObject({ swappiness: 30, disableOOMKiller: true });
    expect(spec.linux.resources.cpu).toMatchObject({ realtimePeriod: 1_000_000, realtimeRuntime: 950_000 });
    expect(spec.linux.resources.blockIO).toEqual({
      weight: 300,
      weightDevice: [{ major: 8, minor: 0, weight: 400 }],
      throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1024 }],
      throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 20 }],
    });
    expect(specWarnings(withAll)).toEqual([]);
  });

  it("discards what the host lacks with Docker's warnings, as dockerd does on such a kernel", () => {
    const resources = {
      memorySwappiness: 30,
      oomKillDisable: true,
      cpuRealtimePeriod: 1_000_000,
      blkio: { weight: 300, deviceReadBps: [{ path: "/dev/sda", rate: 1024 }] },
    };
    const bare = input({ resources }, { blockDevices: SDA });
    const spec = ociSpec(bare);
    expect(spec.linux.resources.memory).toEqual({ disableOOMKiller: false });
    expect(spec.linux.resources.cpu).not.toHaveProperty("realtimePeriod");
    expect(spec.linux.resources.blockIO).toEqual({ weight: 0 });
    expect(specWarnings(bare)).toEqual([
      "Your kernel does not support memory swappiness capabilities or the cgroup is not mounted. Memory swappiness discarded.",
      "Your kernel does not support OomKillDisable. OomKillDisable discarded.",
      "Your kernel does not support cgroup cpu real-time period",
      "Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.",
      "Your kernel does not support Block I/O throttling or the cgroup is not mounted. Block I/O limits discarded.",
    ]);
    const noLimit = input({ resources: { oomKillDisable: true } }, { cgroupFeatures: FEATURES });
    expect(specWarnings(noLimit)).toEqual([
      "OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.",
    ]);
  });

  it("refuses out-of-range values with Docker's words", () => {
    expect(() => ociSpec(input({ oomScoreAdj: 1001 }))).toThrow(
      "Invalid value 1001, range for oom score adj is [-1000, 1000]",
    );
    expect(() => ociSpec(input({ resources: { memorySwappiness: 101 } }))).toThrow(
      "Invalid value: 101, valid memory swappiness range is 0-100",
    );
    expect(() => ociSpec(input({ resources: { blkio: { weight: 5 } } }))).toThrow(
      "Range of blkio weight is from 10 to 1000",
    );
    expect(() => ociSpec(input({ resources: { deviceCgroupRules: ["c 1:3"] } }))).toThrow(
      "invalid device cgroup format 'c 1:3'",
    );
  });

  it("adds device cgroup rules after the default ones, a * leaving the number out", () => {
    const spec = ociSpec(input({ resources: { deviceCgroupRules: ["c 1:3 mr", "b *:* rwm"] } }));
    expect(spec.linux.resources.devices.slice(-2)).toEqual([
      { allow: true, type: "c", major: 1, minor: 3, access: "mr" },
      { allow: true, type: "b", access: "rwm" },
    ]);
  });

  it("takes the cgroup namespace asked for, annotations, and no masked paths for systempaths=unconfined", () => {
    const types = (extra: Partial<ContainerSpec>, version: 1 | 2) =>
      ociSpec(input(extra, { cgroupVersion: version })).linux.namespaces.map((n) => n.type);
    expect(types({ cgroupnsMode: "private" }, 1)).toContain("cgroup");
    expect(types({ cgroupnsMode: "host" }, 2)).not.toContain("cgroup");
    expect(types({}, 1)).not.toContain("cgroup");
    expect(types({}, 2)).toContain("cgroup");
    expect(ociSpec(input({ annotations: { a: "1" } })).annotations).toEqual({ a: "1" });
    expect(ociSpec(input({})).annotations).toBeUndefined();
    const unmasked = ociSpec(input({ unmaskedPaths: true })).linux;
    expect(unmasked.maskedPaths).toBeUndefined();
    expect(unmasked.readonlyPaths).toBeUndefined();
    expect(ociSpec(input({})).linux.maskedPaths?.length).toBeGreaterThan(0);
  });

  it("refuses what only another engine honours: a user namespace, another runtime, storage options, a volume plugin", () => {
    expect(() => ociSpec(input({ usernsMode: "private" }))).toThrow("invalid USER mode: private");
    expect(ociSpec(input({ usernsMode: "host", runtime: "runc", volumeDriver: "local" })).ociVersion).toBe(
      "1.0.2-dev",
    );
    expect(() => ociSpec(input({ runtime: "runsc" }))).toThrow("unknown or invalid runtime name: runsc");
    expect(() => ociSpec(input({ storageOpt: { size: "1G" } }))).toThrow(/--storage-opt is supported only/);
    expect(() => ociSpec(input({ volumeDriver: "nfs" }))).toThrow('plugin "nfs" not found');
    expect(() => ociSpec(input({ cgroupnsMode: "shared" }))).toThrow("invalid cgroup namespace mode: shared");
  });
});
