/**
 * The host settings Compose passes through to the engine (oom_score_adj, mem_swappiness,
 * oom_kill_disable, device_cgroup_rules, cgroup, blkio_config, security_opt systempaths=unconfined),
 * on each runtime backend (./orchestration/backends.ts): seen from inside the running container, in
 * its own /proc and cgroup files. On Docker, also as Compose sends them, field by field in the
 * engine's inspect answer (and its named volume as Compose creates one: no driver options at all).
 */
import { readdirSync } from "node:fs";
import { describe, expect } from "vitest";
import { RUN_ID, TEST_LABEL } from "./engine.js";
import { BACKENDS, useBackend, withFeatures } from "./orchestration/backends.js";
import { engineJson, useLoggedStack } from "./orchestration/logged-stack.js";

/** The host's first real disk (a throttle needs a whole device): `vda` on these VMs. */
const DISK = readdirSync("/sys/block").find((name) => !/^(loop|ram|zram|dm-|sr|md)/.test(name));

const SCRIPT = [
  "echo oom=$(cat /proc/self/oom_score_adj)",
  "echo swappiness=$(cat /sys/fs/cgroup/memory/memory.swappiness)",
  "grep oom_kill_disable /sys/fs/cgroup/memory/memory.oom_control",
  "grep -c 'b 7:\\* rm' /sys/fs/cgroup/devices/devices.list | sed 's/^/loop-rule=/'",
  "grep ':memory:' /proc/self/cgroup | sed 's/^[0-9]*:memory:/memory-cgroup=/'",
  "echo throttle=$(cat /sys/fs/cgroup/blkio/blkio.throttle.read_bps_device)",
  "grep -c ' /proc/kcore ' /proc/mounts | sed 's/^/kcore-masks=/'",
  "echo done",
  "sleep 300",
].join("; ");

interface Inspect {
  readonly HostConfig: Readonly<Record<string, unknown>>;
}

describe.each(BACKENDS)("host settings ($name)", (backend) => {
  const suite = useBackend(backend);
  const it = suite.it;
  const project = `berth-hostcfg-${backend.name}-${RUN_ID}`;
  const stack = useLoggedStack(
    suite,
    project,
    () => `
services:
  app:
    image: ${suite.image}
    labels: { ${TEST_LABEL}: "${RUN_ID}" }
    command: ["sh", "-c", ${JSON.stringify(SCRIPT)}]
    mem_limit: 64m
    oom_score_adj: 321
    mem_swappiness: 17
    oom_kill_disable: true
    device_cgroup_rules: ["b 7:* rm"]
    cgroup: private
    security_opt: ["systempaths=unconfined"]
    blkio_config:
      device_read_bps: [{ path: /dev/${DISK ?? "missing"}, rate: 10mb }]
    volumes: [data:/data]
volumes:
  data: { labels: { ${TEST_LABEL}: "${RUN_ID}" } }
networks:
  default: { labels: { ${TEST_LABEL}: "${RUN_ID}" } }
`,
  );

  it("runs the container with them, as its own /proc and cgroup files show", async () => {
    expect(DISK, "a disk under /sys/block to throttle").toBeDefined();
    const output = stack()?.output ?? "";
    expect(output).toMatch(/^oom=321$/m);
    expect(output).toMatch(/^swappiness=17$/m);
    expect(output).toMatch(/^oom_kill_disable 1$/m);
    expect(output).toMatch(/^loop-rule=1$/m);
    // Its own cgroup namespace: its cgroup is the namespace's root.
    expect(output).toMatch(/^memory-cgroup=\/$/m);
    expect(output).toMatch(/^throttle=\d+:0 10485760$/m);
    // Unconfined system paths: /proc/kcore is not covered by /dev/null.
    expect(output).toMatch(/^kcore-masks=0$/m);
  });

  // The engine's own inspect JSON is what it reads.
  if (withFeatures(backend, "engine-api"))
    it("sends them as Compose's getCreateConfigs does", async () => {
      const inspect = await engineJson<Inspect>(`/containers/${project}-app-1/json`);
      expect(inspect.HostConfig).toMatchObject({
        OomScoreAdj: 321,
        MemorySwappiness: 17,
        OomKillDisable: true,
        DeviceCgroupRules: ["b 7:* rm"],
        CgroupnsMode: "private",
        // No ports: an empty map, as both Compose versions send it.
        PortBindings: {},
        MaskedPaths: [],
        ReadonlyPaths: [],
        BlkioDeviceReadBps: [{ Path: `/dev/${DISK ?? "missing"}`, Rate: 10 * 1024 * 1024 }],
      });
      // Compose sends a nil DriverOpts, which the engine keeps as null (an empty map shows as {}).
      const volume = await engineJson<{ Options: unknown }>(`/volumes/${project}_data`);
      expect(volume.Options).toBeNull();
    });
});
