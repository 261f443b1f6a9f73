import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Builds src/project/schema/compose-validator.generated.js when it is missing or stale.
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 20_000,
    pool: "forks",
  },
});
