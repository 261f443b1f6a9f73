import { describe, expect, it } from "vitest";
import { activeServices, allProfiles, requestedProfiles } from "../../../src/project/profiles.js";

const services = {
  app: {},
  admin: { profiles: ["debug"] },
  seed: { profiles: ["tools", "debug"] },
  lint: { profiles: ["ci"] },
};
const active = (profiles: string[], named: string[] = []) =>
  [...activeServices(services, { profiles, services: named })].sort();

describe("profiles", () => {
  it("keeps services without profiles always active", () => {
    expect(active([])).toEqual(["app"]);
  });
  it("activates a service when any of its profiles is enabled", () => {
    expect(active(["debug"])).toEqual(["admin", "app", "seed"]);
    expect(active(["tools"])).toEqual(["app", "seed"]);
  });
  it("enables every profile with *", () => {
    expect(active(["*"])).toEqual(["admin", "app", "lint", "seed"]);
  });
  it("enables all profiles of a service named on the command line", () => {
    expect(active([], ["seed"])).toEqual(["admin", "app", "seed"]);
  });
  it("prefers --profile flags over COMPOSE_PROFILES", () => {
    const env = (n: string) => (n === "COMPOSE_PROFILES" ? "a, b,,c" : undefined);
    expect(requestedProfiles([], env)).toEqual(["a", "b", "c"]);
    expect(requestedProfiles(["x"], env)).toEqual(["x"]);
  });
  it("lists every declared profile once, sorted", () => {
    expect(allProfiles(services)).toEqual(["ci", "debug", "tools"]);
  });
});
