/**
 * `security_opt: seccomp=<file>` on each runtime backend (./orchestration/backends.ts): the profile
 * the file holds is what the container runs under. The Engine API takes the profile's JSON, not a
 * path, so the client reads the file as the docker CLI and Compose v2 do; given the path, dockerd
 * failed the start ("Decoding seccomp profile failed").
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect } from "vitest";
import { RUN_ID, TEST_LABEL } from "./engine.js";
import { BACKENDS, useBackend } from "./orchestration/backends.js";
import { useLoggedStack } from "./orchestration/logged-stack.js";

/** Everything allowed but mkdir and mkdirat, which fail with EPERM; spaced out, as people write it. */
const PROFILE = {
  defaultAction: "SCMP_ACT_ALLOW",
  syscalls: [{ names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO" }],
};

describe.each(BACKENDS)("seccomp profile from a file ($name)", (backend) => {
  const suite = useBackend(backend);
  const it = suite.it;
  const project = `berth-seccomp-${backend.name}-${RUN_ID}`;
  const stack = useLoggedStack(suite, project, (dir) => {
    const profile = path.join(dir, "profile.json");
    writeFileSync(profile, JSON.stringify(PROFILE, null, 2));
    return `
services:
  app:
    image: ${suite.image}
    labels: { ${TEST_LABEL}: "${RUN_ID}" }
    security_opt: ["seccomp=${profile}"]
    command: ["sh", "-c", "mkdir /tmp/made && echo made || echo refused; echo done; sleep 300"]
networks:
  default: { labels: { ${TEST_LABEL}: "${RUN_ID}" } }
`;
  });

  it("runs the container under the profile the file holds", async () => {
    expect(stack()?.output).toContain("refused");
    expect(stack()?.output).not.toContain("made\n");
  });
});
