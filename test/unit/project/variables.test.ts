/** `config --variables` must find the variables compose-go's ExtractVariables finds, with their defaults. */
import { describe, expect, it } from "vitest";
import { extractVariables } from "../../../src/project/variables.js";

const names = (model: Parameters<typeof extractVariables>[0]) => [...extractVariables(model).values()];

describe("extractVariables", () => {
  it("reads named and braced variables with their default, alternate value and requirement", () => {
    const found = names({
      services: {
        web: {
          image: "nginx:${TAG:-latest}",
          environment: ["A=$PLAIN", "B=${REQ:?must be set}", "C=${ALT:+yes}", "D=${SOFT-x}", "E=$$ESCAPED"],
          command: ["${Q?}"],
        },
      },
    });
    expect(found).toEqual([
      { name: "TAG", defaultValue: "latest", presenceValue: "", required: false },
      { name: "PLAIN", defaultValue: "", presenceValue: "", required: false },
      { name: "REQ", defaultValue: "", presenceValue: "", required: true },
      { name: "ALT", defaultValue: "", presenceValue: "yes", required: false },
      { name: "SOFT", defaultValue: "x", presenceValue: "", required: false },
      { name: "Q", defaultValue: "", presenceValue: "", required: true },
    ]);
  });

  it("finds variables nested in a default and after the first closing brace", () => {
    const found = names({ x: "${OUTER:-${INNER:-deep}} and ${NEXT}" });
    expect(found.map((v) => [v.name, v.defaultValue])).toEqual([
      ["NEXT", ""],
      ["OUTER", "${INNER:-deep}"],
      ["INNER", "deep"],
    ]);
  });
});
