/**
 * Steps of single operations (operations.ts) whose reports depend on what the runtime hands back,
 * against the fake runtime.
 */
import { describe, expect, it } from "vitest";
import { recordingSink } from "../../../src/engine/events.js";
import { execute } from "../../../src/engine/execute.js";
import { PlanBuilder } from "../../../src/engine/plan.js";
import type { BuildSpec, OnProgress } from "../../../src/runtime/runtime.js";
import { FakeRuntime } from "../../fake-runtime.js";

describe("BuildImage", () => {
  it("reports the build steps the runtime hands over as steps, and no other output line", async () => {
    const runtime = new FakeRuntime();
    Object.assign(runtime.images, {
      build: (_spec: BuildSpec, onProgress?: OnProgress) => {
        onProgress?.({
          status: "Step 1/2 : FROM scratch",
          step: { step: 1, total: 2, text: "FROM scratch" },
        });
        onProgress?.({ status: " ---> 0123abcd" });
        // A line the build printed that only looks like a step.
        onProgress?.({ status: "Step 9/9 : printed by make" });
        onProgress?.({ status: "[2/2] RUN make", step: { step: 2, total: 2, text: "RUN make" } });
        return Promise.resolve({ id: "sha256:feed" });
      },
    });
    const plan = new PlanBuilder();
    plan.add(
      "image:demo-web",
      { kind: "BuildImage", reference: "demo-web", spec: { context: "/srv/demo", tags: ["demo-web"] } },
      "image not found",
    );
    const sink = recordingSink();
    await execute(runtime, plan.build(), sink, { project: "demo" });
    expect(sink.events.map((e) => [e.status, e.text])).toEqual([
      ["Building", undefined],
      ["Building", "Step 1/2 : FROM scratch"],
      ["Building", "Step 2/2 : RUN make"],
      ["Built", undefined],
    ]);
  });
});
