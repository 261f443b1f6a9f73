import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Builds src/project/schema/compose-validator.generated.js when it is missing or stale.
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 20_000,
    pool: "forks",
    // The CLI tests make their images and stacks on the Docker Engine, where berth's default
    // (`auto`) would pick the native runtime on a root Linux host: they run berth on Docker. Native
    // runs through test/integration (the orchestration backends name their runtime) and
    // test/e2e/runtime-auto.test.ts; tests with a clean environment set BERTH_RUNTIME themselves.
    env: { BERTH_RUNTIME: "docker" },
  },
});
