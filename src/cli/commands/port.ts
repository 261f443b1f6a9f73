/**
 * `berth port SERVICE PRIVATE_PORT`: the public address of a port binding, as `docker compose
 * port` prints it (`0.0.0.0:32768`); the replica with `--index`, one-off containers included.
 */
import { EngineError } from "../../engine/errors.js";
import { serviceContainer } from "../../engine/service-containers.js";
import { UsageError } from "../../errors.js";
import type { GlobalOptions } from "../global-options.js";
import type { PortFlags } from "../options/flags.js";
import { loadOrName } from "../load-for-cli.js";
import { withRuntime } from "../runtime-for-cli.js";
import { parseIndex } from "./index-flag.js";

export async function runPort(
  globals: GlobalOptions,
  operands: readonly string[],
  flags: PortFlags,
): Promise<number> {
  if (operands.length !== 2)
    throw new UsageError(`"port" requires exactly 2 arguments: SERVICE PRIVATE_PORT`);
  const [service = "", privatePort = ""] = operands;
  if (!/^\d+$/.test(privatePort) || Number(privatePort) > 65535)
    throw new UsageError(`invalid port "${privatePort}": expected a number from 0 to 65535`);
  const port = Number(privatePort);
  const protocol = (flags.protocol ?? "tcp").toLowerCase();
  const index = parseIndex(flags.index);
  const target = await loadOrName(globals, [service]);
  const container = await withRuntime({ ...globals, project: target.name }, (runtime) =>
    serviceContainer(runtime, target.name, service, { oneOff: "include", index }),
  );
  // Only a published binding has an address; an exposed port alone is not one.
  const binding = container.ports.find(
    (p) =>
      p.containerPort === port && p.protocol === protocol && p.hostPort !== undefined && p.hostPort !== "",
  );
  if (binding === undefined) {
    const known = container.ports.map((p) => `${p.containerPort}/${p.protocol}`).join(", ");
    throw new EngineError(`no port ${port}/${protocol} for container ${container.name}: ${known}`, {
      service,
    });
  }
  process.stdout.write(`${binding.hostIp ?? ""}:${binding.hostPort ?? ""}\n`);
  return 0;
}
