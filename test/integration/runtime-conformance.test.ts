/**
 * Every Runtime backend against the one conformance suite (./conformance/). A backend is one entry
 * below: its name, how to make it, and what it can do (`features`); a case needing a feature the
 * backend lacks is not registered for it.
 *
 * Docker runs every case against the real engine (skipped without one, failing under CI=true: see
 * ./engine.ts). The in-memory fake of the unit tests runs no processes: it is held to the bookkeeping
 * cases (lifecycle and states, labels and list filters, networks and volumes, copy, events, waits,
 * typed errors), so the fake the engine's unit tests lean on behaves as a real backend does.
 */
import { describe } from "vitest";
import { runtimeBackend } from "../../src/runtime/backends.js";
import { FakeRuntime } from "../fake-runtime.js";
import { conformanceSuite, type ConformanceBackend } from "./conformance/suite.js";
import { registryAnswers, REGISTRY } from "./conformance/images.js";
import { describeEngine } from "./engine.js";

const docker: ConformanceBackend = {
  name: "docker",
  // Made as the CLI makes it, from the registry of backends.
  create: () => runtimeBackend("docker").create(process.env),
  features: new Set(["processes", "registry"]),
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
  features: new Set(["registry"]),
};

describe("runtime conformance: fake", () => conformanceSuite(fake));
