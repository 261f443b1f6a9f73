/**
 * The runtime conformance suite: what every Runtime backend must do, registered for one backend.
 * Each test makes objects under unique names and the label `berth.test=<run id>`, removes them after
 * itself, and the last test checks that nothing with the run label is left. Every wait is bounded.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ensureTestImage } from "../images.js";
import { containerCases } from "./containers.js";
import { copyCases } from "./copy-events.js";
import { Harness, LABEL_TERM, type ConformanceBackend } from "./harness.js";
import { imageCases } from "./images.js";
import { networkCases } from "./networks.js";
import { logCases } from "./streams.js";
import { volumeCases } from "./volumes.js";

export type { Feature, ConformanceBackend } from "./harness.js";

/** The cases for `backend`, in a `describe` of its name (call inside a describe that may skip). */
export function conformanceSuite(backend: ConformanceBackend): void {
  const h = new Harness(backend);

  beforeAll(async () => {
    const runtime = await backend.create();
    h.open(runtime, await ensureTestImage(runtime, AbortSignal.timeout(60_000)));
  }, 90_000);

  afterEach(async () => {
    expect(await h.removeMade(), "cleanup after the test").toEqual([]);
  }, 60_000);

  afterAll(async () => {
    // A failed test may have left objects its cleanup missed: sweep by label so the next run starts
    // clean (the leak test below has already reported them).
    await h.sweep();
    await h.runtime.close();
  }, 60_000);

  imageCases(h);
  networkCases(h);
  volumeCases(h);
  containerCases(h);
  logCases(h);
  copyCases(h);

  describe("leaks", () => {
    it("leaves no container, network, volume or image with the run label", async () => {
      expect(await h.leftovers(), `objects labelled ${LABEL_TERM} left behind`).toEqual([]);
    });
  });
}
