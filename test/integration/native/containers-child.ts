/**
 * A berth process of its own for the native container tests (bundled and run with node by
 * containers-recovery.test.ts): what one command does, then it exits or is killed.
 * argv[2] is JSON: `{ env, action, spec }`.
 * - `run`: creates and starts the container, prints its id, exits.
 * - `hang-create`: creates it with a user lookup that never answers (the rootfs mounted, the name
 *   claimed, the record `creating`), so the test can SIGKILL it half-way.
 */
import { createNativeContainers } from "../../../src/runtime/native/containers/containers.js";
import { nativePaths } from "../../../src/runtime/native/paths.js";
import type { ContainerSpec } from "../../../src/runtime/runtime.js";
import { testDeps } from "./containers-deps.js";

interface Order {
  readonly env: Record<string, string>;
  readonly action: "run" | "hang-create";
  readonly spec: ContainerSpec;
}

const order = JSON.parse(process.argv[2] ?? "{}") as Order;
const paths = nativePaths(order.env);
const deps = testDeps(paths);

if (order.action === "run") {
  const containers = createNativeContainers({ paths, deps });
  const { id } = await containers.create(order.spec);
  await containers.start(id);
  process.stdout.write(`${id}\n`);
} else {
  const containers = createNativeContainers({
    paths,
    deps: { ...deps, resolveUser: () => new Promise(() => undefined) },
  });
  process.stdout.write("creating\n");
  // Held open by the pending create and this timer, until the test kills the process.
  setTimeout(() => undefined, 60_000);
  await containers.create(order.spec);
}
