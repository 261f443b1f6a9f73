/**
 * A whole Compose stack on the native runtime, through the built CLI as a user runs it (the stack and
 * where it runs: ./stack-targets.ts): api reaches db by service name and by alias, web answers on a
 * published port from 127.0.0.1, db's `internal` network has no route out, db's named volume
 * survives `down` + `up` and goes with `down -v`, two projects with the same service names never
 * see each other — with dockerd running and where no Docker Engine is there, and on Docker as the
 * reference. After each `down` nothing of the project is left on the host (links, namespaces,
 * mounts, nft/iptables rules, processes, allocations, DNS entries). Needs root, runc and conmon (and
 * `npm run build` first).
 */
import { describe, expect } from "vitest";
import { describeRun, poll } from "./stack-harness.js";
import { answers, fetchLocal, hostAddress, listener, TARGETS, useStack } from "./stack-targets.js";

describe.each(TARGETS)("a web + api + db stack ($name)", (target) => {
  const {
    fixture,
    berthOk,
    exec,
    fetchFrom,
    resolve,
    addressesOf,
    hasDefaultRoute,
    downClean,
    downOnFailure,
    run,
  } = useStack(target);

  run("reaches db by name and alias, publishes web on 127.0.0.1, keeps the internal network in", async () => {
    const fx = fixture();
    await downOnFailure([fx], async () => {
      await berthOk(fx, ["up", "-d"]);
      // api reaches db by its service name and by its alias, on db's network.
      const dbAddresses = await addressesOf(fx, "db");
      for (const name of ["db", "database"]) {
        expect(await resolve(fx, "api", name), `api's answers for ${name}`).toEqual(dbAddresses);
        const got = await fetchFrom(fx, "api", `http://${name}:5432/`);
        expect(got.stdout, describeRun(["exec", "api", "wget", name], got)).toBe("db-ok\n");
      }

      // web answers on its published port, from 127.0.0.1.
      const port = await berthOk(fx, ["port", "web", "80"]);
      const hostPort = Number(/:(\d+)\s*$/m.exec(port.stdout)?.[1]);
      expect(hostPort, port.stdout).toBeGreaterThan(0);
      let body = "";
      await poll(5_000, async () => {
        body = await fetchLocal(hostPort).catch((error: unknown) => String(error));
        return body === "web-ok\n";
      });
      expect(body).toBe("web-ok\n");

      // db's network is internal: no default route, so no address beyond it is reachable (this
      // host's own, which api, on a network with a way out, reaches). Docker gives internal
      // networks no default route since 25.0 (moby#46603), as podman does; 20.10 still gives one
      // (and then lets the host's own addresses be reached), so the reference skips this part.
      expect(await hasDefaultRoute(fx, "api")).toBe(true);
      if (target.native) {
        expect(await hasDefaultRoute(fx, "db")).toBe(false);
        const server = await listener();
        try {
          const address = hostAddress();
          const fromApi = await exec(fx, "api", ["nc", "-w", "3", address, String(server.port)]);
          expect(fromApi.exitCode, describeRun(["exec", "api", "nc", address], fromApi)).toBe(0);
          expect(server.accepted()).toBe(1);
          const fromDb = await exec(fx, "db", ["nc", "-w", "3", address, String(server.port)]);
          expect(fromDb.exitCode, describeRun(["exec", "db", "nc", address], fromDb)).not.toBe(0);
          expect(server.accepted()).toBe(1);
        } finally {
          await server.close();
        }
      }
    });
    await downClean(fx, true, true);
  });

  run("keeps db's named volume across down + up and removes it with down -v", async () => {
    const fx = fixture();
    await downOnFailure([fx], async () => {
      await berthOk(fx, ["up", "-d"]);
      const wrote = await exec(fx, "db", ["sh", "-c", "echo kept > /data/file"]);
      expect(wrote.exitCode, describeRun(["exec", "db", "write"], wrote)).toBe(0);
      await downClean(fx, false, true);

      await berthOk(fx, ["up", "-d"]);
      const read = await exec(fx, "db", ["cat", "/data/file"]);
      expect(read.stdout, describeRun(["exec", "db", "cat"], read)).toBe("kept\n");
      await downClean(fx, true, true);

      // A new volume after down -v: empty.
      await berthOk(fx, ["up", "-d"]);
      const fresh = await exec(fx, "db", ["ls", "/data"]);
      expect(fresh.stdout).toBe("");
      await downClean(fx, true, true);
    });
  });

  run("keeps two projects with the same service names apart", async () => {
    const one = fixture();
    const two = fixture();
    await downOnFailure([two, one], async () => {
      await berthOk(one, ["up", "-d"]);
      await berthOk(two, ["up", "-d"]);
      const [dbOne, dbTwo, webOne, webTwo] = await Promise.all([
        addressesOf(one, "db"),
        addressesOf(two, "db"),
        addressesOf(one, "web"),
        addressesOf(two, "web"),
      ]);
      // Each project's names answer its own containers only.
      expect(await resolve(one, "api", "db")).toEqual(dbOne);
      expect(await resolve(two, "api", "db")).toEqual(dbTwo);
      expect(await resolve(one, "api", "web")).toEqual(webOne);
      expect(await resolve(one, "api", `${one.project}-db-1`)).toEqual(dbOne);
      const across = await exec(one, "api", ["nslookup", `${two.project}-db-1`]);
      // (native answers NXDOMAIN at once; Docker forwards the name to `dns:`, where nobody answers.)
      expect(answers(across.stdout), describeRun(["exec", "api", "nslookup"], across)).toEqual([]);
      expect(across.exitCode).not.toBe(0);

      // Nor does traffic cross: one's api reaches its own web, not the other's.
      const ownWeb = webOne[0] ?? "";
      const otherWeb = webTwo[0] ?? "";
      const own = await fetchFrom(one, "api", `http://${ownWeb}/`);
      expect(own.stdout, describeRun(["exec", "api", "wget", ownWeb], own)).toBe("web-ok\n");
      const other = await fetchFrom(one, "api", `http://${otherWeb}/`);
      expect(other.exitCode, describeRun(["exec", "api", "wget", otherWeb], other)).not.toBe(0);
      expect(other.stdout).toBe("");

      await downClean(two, true, false);
      // one is untouched by two's down.
      expect(await resolve(one, "api", "db")).toEqual(dbOne);
      const still = await fetchFrom(one, "api", "http://db:5432/");
      expect(still.stdout, describeRun(["exec", "api", "wget db"], still)).toBe("db-ok\n");
    });
    await downClean(one, true, true);
  });
});
