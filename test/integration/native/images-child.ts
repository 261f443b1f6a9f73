/**
 * A berth process of its own for images-kill.test.ts (bundled and run with node): pulls argv[3]
 * into the store of the environment in argv[2] (JSON), from a registry with no daemon.json or
 * config.json, so the test can SIGKILL it half-way.
 */
import { openImageStore } from "../../../src/runtime/native/images/image-store.js";
import { nativePaths } from "../../../src/runtime/native/paths.js";

const env = JSON.parse(process.argv[2] ?? "{}") as Record<string, string>;
const reference = process.argv[3] ?? "";
const store = openImageStore(nativePaths(env), {
  registry: { daemonConfigPath: "/nonexistent/daemon.json", dockerConfigPath: "/nonexistent/config.json" },
});
await store.pull(reference);
process.stdout.write("pulled\n");
