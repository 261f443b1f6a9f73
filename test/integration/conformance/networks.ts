/** Networks: create, inspect, list, connect with aliases, DNS between containers, disconnect, remove. */
import { describe, expect } from "vitest";
import { ConflictError, NotFoundError } from "../../../src/runtime/errors.js";
import { RUN_ID } from "../engine.js";
import { type Harness, LABEL_TERM, LABELS, rejection } from "./harness.js";

/**
 * A running container on a new internal network (no route out, so nothing is forwarded to the host's
 * resolvers), connected with an alias.
 */
async function aliasedServer(h: Harness) {
  const name = h.unique("net");
  const { id: networkId } = await h.runtime.networks.create({ name, labels: LABELS, internal: true });
  h.made.networks.push(networkId);
  const alias = `db-${RUN_ID}`;
  const server = await h.sleeper();
  await h.runtime.networks.connect(name, server, { aliases: [alias] });
  return { name, networkId, alias, server };
}

export function networkCases(h: Harness): void {
  // A describe without cases fails: none is registered for a backend without networks.
  if (!h.has("networks")) return;
  describe("networks", () => {
    h.case(
      "creates, inspects and lists by label and exact name, and refuses a duplicate",
      ["networks"],
      async () => {
        const { runtime } = h;
        const name = h.unique("net");
        const { id } = await runtime.networks.create({ name, labels: LABELS, driver: "bridge" });
        h.made.networks.push(id);
        const info = await runtime.networks.inspect(name);
        expect(info?.id).toBe(id);
        expect(info?.name).toBe(name);
        expect(info?.driver).toBe("bridge");
        expect(info?.internal).toBe(false);
        expect(info?.labels).toEqual(LABELS);
        expect(info?.ipam.pools.length).toBeGreaterThan(0);
        expect((await runtime.networks.inspect(id))?.name).toBe(name);
        expect((await runtime.networks.list({ labels: [LABEL_TERM] })).map((n) => n.id)).toContain(id);
        expect((await runtime.networks.list({ name })).map((n) => n.id)).toEqual([id]);
        // Engines match names by substring; the Runtime does not.
        expect(await runtime.networks.list({ name: name.slice(0, -2) })).toEqual([]);
        expect(await rejection(runtime.networks.create({ name, labels: LABELS }))).toBeInstanceOf(
          ConflictError,
        );
        expect((await runtime.networks.list({ name })).length).toBe(1);
      },
    );

    h.case(
      "connects with aliases, refuses removal in use, disconnects and removes",
      ["networks"],
      async () => {
        const { runtime } = h;
        const { name, networkId, alias, server } = await aliasedServer(h);
        const endpoint = (await runtime.containers.inspect(server))?.networks[name];
        expect(endpoint?.networkId).toBe(networkId);
        expect(endpoint?.aliases).toContain(alias);
        expect(endpoint?.ipAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
        const networkInfo = await runtime.networks.inspect(name);
        expect(networkInfo?.internal).toBe(true);
        expect(Object.keys(networkInfo?.containers ?? {})).toEqual([server]);
        expect(networkInfo?.containers[server]?.ipv4Address).toContain(endpoint?.ipAddress);

        // In use: the engine refuses to remove the network.
        expect(await rejection(runtime.networks.remove(name))).toBeInstanceOf(ConflictError);
        await runtime.networks.disconnect(name, server);
        expect((await runtime.containers.inspect(server))?.networks[name]).toBeUndefined();
        expect((await runtime.networks.inspect(name))?.containers).toEqual({});
        await runtime.networks.remove(name);
        expect(await runtime.networks.inspect(name)).toBeUndefined();
        expect(await rejection(runtime.networks.remove(name))).toBeInstanceOf(NotFoundError);
        expect(await rejection(runtime.networks.connect(name, server))).toBeInstanceOf(NotFoundError);
      },
    );

    h.case(
      "a container on the network resolves another's alias and reaches it",
      ["processes", "networks"],
      async () => {
        const { runtime } = h;
        // No DNS search domains: the lookup stays on the runtime's DNS.
        const { name, alias, server } = await aliasedServer(h);
        const ip = (await runtime.containers.inspect(server))?.networks[name]?.ipAddress ?? "";
        // `ping -c1 -W2` proves the address answered is reachable.
        const client = await h.run(["sh", "-c", `nslookup ${alias} && ping -c1 -W2 ${alias}`], {
          networkMode: name,
          dnsSearch: ["."],
        });
        expect(client.exitCode, [...client.stdout, ...client.stderr].join("\n")).toBe(0);
        expect(client.stdout.join("\n")).toContain(ip);
        // The client joined at create, by its networkMode, without being connected by hand.
        expect(Object.keys((await runtime.containers.inspect(client.id))?.networks ?? {})).toEqual([name]);
      },
      30_000,
    );
  });
}
