/** The classic builder's step lines become structured steps on the Docker backend's build progress. */
import { describe, expect, it } from "vitest";
import { buildStepOf } from "../../../src/runtime/docker/images.js";

describe("buildStepOf", () => {
  it("reads which step of how many, and the instruction as written", () => {
    expect(buildStepOf("Step 2/5 : RUN make  ")).toEqual({ step: 2, total: 5, text: "RUN make  " });
    expect(buildStepOf('Step 12/12 : CMD ["sh"]')).toEqual({ step: 12, total: 12, text: 'CMD ["sh"]' });
  });

  it("leaves every other line alone", () => {
    for (const line of [
      " ---> 0123abcd",
      "Successfully built feed",
      "Step 2 : RUN make",
      "step 1/2 : FROM x",
    ]) {
      expect(buildStepOf(line)).toBeUndefined();
    }
  });
});
