/**
 * Every Runtime backend against the one conformance suite (./conformance/). A backend is one entry
 * below: its name, how to make it, and what it can do (`features`); a case needing a feature the
 * backend lacks is not registered for it.
 *
 * Docker runs every case against the real engine (skipped without one, failing under CI=true: see
 * ./engine.ts). The in-memory fake of the unit tests runs no processes: it is held to the bookkeeping
 * cases (lifecycle and states, labels and list filters, networks and volumes, copy, events, waits,
 * typed errors), so the fake the engine's unit tests lean on behaves as a real backend does.
 *
 * Native runs as root with runc and conmon (skipped elsewhere, failing under CI=true), its state in
 * a temporary BERTH_ROOT/BERTH_RUN_ROOT under /var/tmp removed after; every case but build's.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, it } from "vitest";
import { nativeMissing, runtimeBackend } from "../../src/runtime/backends.js";
import { FakeRuntime } from "../fake-runtime.js";
import { conformanceSuite, type ConformanceBackend } from "./conformance/suite.js";
import { registryAnswers, REGISTRY } from "./conformance/images.js";
import { describeEngine, IN_CI } from "./engine.js";

const docker: ConformanceBackend = {
  name: "docker",
  // Made as the CLI makes it, from the registry of backends.
  create: () => runtimeBackend("docker").create(process.env),
  features: new Set(["processes", "registry", "networks", "volumes", "build"]),
  unavailable: async (feature) =>
    feature === "registry" && !(await registryAnswers())
      ? `no registry answers on http://${REGISTRY}/v2/`
      : undefined,
};

describeEngine("runtime conformance: docker", () => conformanceSuite(docker));

const fake: ConformanceBackend = {
  name: "fake",
  create: () => new FakeRuntime(),
  // Its registry is in memory: push and pull round-trip within one FakeRuntime.
  features: new Set(["registry", "networks", "volumes", "build"]),
};

describe("runtime conformance: fake", () => conformanceSuite(fake));

const nativeReason = nativeMissing({
  platform: process.platform,
  uid: process.getuid?.(),
  exists: existsSync,
});
if (nativeReason === undefined) {
  describe("runtime conformance: native", () => {
    // Made when the suite makes its runtime, so a run that filters these cases out leaves no directory.
    let dir: string | undefined;
    // Registered first, so it runs after the suite's own afterAll has removed what it made.
    afterAll(() => {
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    });
    conformanceSuite({
      name: "native",
      create: () => {
        dir = mkdtempSync("/var/tmp/berth-conformance-");
        const env = { BERTH_ROOT: path.join(dir, "root"), BERTH_RUN_ROOT: path.join(dir, "run") };
        // The embedded DNS server it starts answers the containers' names only, never asking outside.
        process.env["BERTH_DNS_FORWARD"] = "0";
        return runtimeBackend("native").create({ ...process.env, ...env });
      },
      features: new Set(["processes", "registry", "networks", "volumes", "build"]),
      unavailable: async (feature) =>
        feature === "registry" && !(await registryAnswers())
          ? `no registry answers on http://${REGISTRY}/v2/`
          : undefined,
    });
  });
} else if (IN_CI) {
  describe("runtime conformance: native", () => {
    it("has root, runc and conmon to run with", () => {
      throw new Error(`CI=true and the native runtime cannot run: ${nativeReason}`);
    });
  });
} else {
  console.warn(`native conformance skipped: ${nativeReason}`);
  describe.skip("runtime conformance: native", () =>
    conformanceSuite({ name: "native", create: () => new FakeRuntime(), features: new Set() }));
}
