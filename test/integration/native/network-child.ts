/**
 * A berth process of its own for network.test.ts (bundled and run with node): sets up the
 * container argv[3] on the network argv[4] in the state of the environment in argv[2] (JSON), and
 * prints its endpoints as JSON, so the test can race several of them.
 */
import { openNetworkLayer } from "../../../src/runtime/native/network/index.js";
import { nativePaths } from "../../../src/runtime/native/paths.js";

const env = JSON.parse(process.argv[2] ?? "{}") as Record<string, string>;
const id = process.argv[3] ?? "";
const network = process.argv[4] ?? "";
const layer = openNetworkLayer(nativePaths(env));
const result = await layer.setupContainer({ id, networks: { [network]: {} } });
process.stdout.write(`${JSON.stringify(result.endpoints)}\n`);
