import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { INTERPOLATION_CASTS, OUTPUT_FORMATS, SERVICE_FIELD_ORDER } from "../../../src/project/fields.js";

// The field table against the schema: a key added to the schema's service without its field would
// pass validation and then be dropped by decoding without a word.
const schema = JSON.parse(
  readFileSync(new URL("../../../schemas/compose-spec.json", import.meta.url), "utf8"),
) as {
  definitions: { service: { properties: Record<string, unknown> } };
};

/** In the schema, not yet in the model: `config` leaves it out. */
const NOT_IN_MODEL = ["pull_refresh_after"];
/** compose-go's legacy fields: in its struct (and so in the model), refused by the schema. */
const LEGACY_FIELDS = ["dockerfile", "log_driver", "log_opt", "net", "volume_driver"];

describe("the field table", () => {
  it("has a field for every service key of the schema", () => {
    const keys = Object.keys(schema.definitions.service.properties).filter((k) => !NOT_IN_MODEL.includes(k));
    expect(keys.filter((key) => !SERVICE_FIELD_ORDER.includes(key))).toEqual([]);
  });

  it("has no service field the schema does not know, but compose-go's legacy ones", () => {
    const keys = Object.keys(schema.definitions.service.properties);
    expect(SERVICE_FIELD_ORDER.filter((key) => !keys.includes(key))).toEqual(LEGACY_FIELDS);
  });

  it("derives print formats from the field types, at every depth", () => {
    expect(OUTPUT_FORMATS["services.*.healthcheck.interval"]).toBe("duration");
    expect(OUTPUT_FORMATS["services.*.volumes.[].tmpfs.size"]).toBe("bytes");
    expect(OUTPUT_FORMATS["services.*.build.secrets.[].mode"]).toBe("filemode");
    // a tmpfs mode is an integer, printed as one
    expect(OUTPUT_FORMATS["services.*.volumes.[].tmpfs.mode"]).toBeUndefined();
  });

  it("takes casts from the field, not its type (compose-go casts secret modes, not build secret modes)", () => {
    expect(INTERPOLATION_CASTS["services.*.secrets.[].mode"]).toBe("int");
    expect(INTERPOLATION_CASTS["services.*.build.secrets.[].mode"]).toBeUndefined();
    expect(INTERPOLATION_CASTS["services.*.ulimits.*.soft"]).toBe("int");
    expect(INTERPOLATION_CASTS["services.*.build.ulimits.*.soft"]).toBeUndefined();
  });
});
