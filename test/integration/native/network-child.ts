/**
 * A berth process of its own for network.test.ts (bundled and run with node), in the state of the
 * environment in argv[2] (JSON): `setup ID NETWORK` sets a container up and prints its endpoints
 * as JSON; `create NETWORK` creates a network. The test races several of them, or SIGKILLs one.
 */
import { openNetworkLayer } from "../../../src/runtime/native/network/index.js";
import { nativePaths } from "../../../src/runtime/native/paths.js";

const env = JSON.parse(process.argv[2] ?? "{}") as Record<string, string>;
const layer = openNetworkLayer(nativePaths(env));
if (process.argv[3] === "create") {
  await layer.createNetwork({ name: process.argv[4] ?? "", labels: {} });
} else {
  const id = process.argv[4] ?? "";
  const network = process.argv[5] ?? "";
  const result = await layer.setupContainer({ id, networks: { [network]: {} } });
  process.stdout.write(`${JSON.stringify(result.endpoints)}\n`);
}
