/**
 * The supervisor's process (bundled as dist/bin/berth-supervisor.js; started by ensureSupervisor,
 * never by hand). The state roots come from BERTH_ROOT / BERTH_RUN_ROOT; containers are restarted
 * through the native container lifecycle with the native runtime's own parts (image store, config
 * generation), so a restart makes exactly what a `berth start` makes.
 */
import { nativeContainerDeps } from "../container-deps.js";
import { createNativeContainers } from "../containers/containers.js";
import { openImageStore } from "../images/index.js";
import { createNativeVolumes } from "../native-volumes.js";
import { openNetworkLayer } from "../network/index.js";
import { nativePaths } from "../paths.js";
import { superviseProcess } from "./process-main.js";

const paths = nativePaths(process.env);
// Its volumes too: a restart mounts them again, an auto-removal releases them (and its anonymous
// ones). And the network layer: an exit it collects frees the published ports, a restart binds
// them again, an auto-removal takes the container's namespace and veths.
const deps = {
  ...nativeContainerDeps(openImageStore(paths)),
  volumes: createNativeVolumes(paths),
  networks: openNetworkLayer(paths),
};
await superviseProcess(paths, createNativeContainers({ paths, deps }));
