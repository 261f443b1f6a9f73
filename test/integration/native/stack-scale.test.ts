/**
 * Service discovery follows scaling on the native runtime, through the built CLI (the stack and
 * where it runs: ./stack-targets.ts): `up -d --scale api=3` makes `api` answer the three replicas'
 * addresses to web within a few seconds, and `--scale api=1` brings it back to the one left; then
 * `down -v` leaves nothing. With dockerd running and where no Docker Engine is there, and on Docker
 * as the reference. Needs root, runc and conmon (and `npm run build` first).
 */
import { describe, expect } from "vitest";
import { TARGETS, useStack } from "./stack-targets.js";

describe.each(TARGETS)("scaling a service of the web + api + db stack ($name)", (target) => {
  const { fixture, berthOk, settle, addressesOf, downClean, downOnFailure, run } = useStack(target);

  run("makes the service's name answer every replica, and only those left after scaling down", async () => {
    const fx = fixture();
    await downOnFailure([fx], async () => {
      await berthOk(fx, ["up", "-d"]);
      // --scale api=3: the name answers the three replicas (on web's network), then one again.
      await berthOk(fx, ["up", "-d", "--scale", "api=3"]);
      const three = await settle(fx, "web", "api", 3, Date.now(), 3_000);
      const replicas = new Set<string>();
      for (const index of [1, 2, 3]) for (const a of await addressesOf(fx, "api", index)) replicas.add(a);
      for (const address of three) expect(replicas).toContain(address);

      await berthOk(fx, ["up", "-d", "--scale", "api=1"]);
      const one = await settle(fx, "web", "api", 1, Date.now(), 3_000);
      expect(await addressesOf(fx, "api", 1)).toContain(one[0]);
    });
    await downClean(fx, true, true);
  });
});
