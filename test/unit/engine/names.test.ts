/** Container names and numbers as Docker Compose v2 gives them, and the label filters it lists by. */
import { describe, expect, it } from "vitest";
import {
  COMPOSE_VERSION,
  containersFilter,
  isOneOff,
  projectFilter,
  serviceFilter,
} from "../../../src/engine/labels.js";
import {
  containerName,
  containerNumber,
  defaultContainerName,
  defaultImageName,
  nextContainerNumber,
  oneOffName,
  replacedName,
  replacedSlot,
  replacementName,
} from "../../../src/engine/names.js";
import type { Project } from "../../../src/project/model.js";

const project: Project = {
  name: "shop",
  workingDir: "/srv/shop",
  services: { web: { image: "nginx" }, db: { image: "postgres", container_name: "shop-db" } },
  networks: {},
  volumes: {},
  secrets: {},
  configs: {},
  models: {},
};

describe("names", () => {
  it("joins project, service and number with -", () => {
    expect(defaultContainerName("shop", "web", 2)).toBe("shop-web-2");
    expect(containerName(project, "web", 3)).toBe("shop-web-3");
  });

  it("honours container_name, and names services outside the project by default", () => {
    expect(containerName(project, "db", 1)).toBe("shop-db");
    expect(containerName(project, "gone", 1)).toBe("shop-gone-1");
  });

  it("labels a replacement with the slot it takes, as Compose 2.x does: container_name, else service-n", () => {
    expect(replacedSlot(project, "web", 2)).toBe("web-2");
    expect(replacedSlot(project, "db", 1)).toBe("shop-db");
  });

  it("names one-offs and replacements", () => {
    expect(oneOffName("shop", "web", "a1b2c3d4e5f6a7b8c9d0")).toBe("shop-web-run-a1b2c3d4e5f6");
    expect(replacementName("2c457ba8998f77aa", "shop-web-1")).toBe("2c457ba8998f_shop-web-1");
  });

  it("finds the final name in a replacement's temporary name, however often prefixed", () => {
    expect(replacedName("2c457ba8998f_shop-web-1")).toBe("shop-web-1");
    expect(replacedName("2c457ba8998f_2c457ba8998f_shop-web-1")).toBe("shop-web-1");
    expect(replacedName("shop-web-1")).toBeUndefined();
  });
});

describe("container numbers", () => {
  it("parses the container-number label", () => {
    expect(containerNumber({ "com.docker.compose.container-number": "4" })).toBe(4);
    expect(containerNumber({ "com.docker.compose.container-number": "-1" })).toBe(-1);
    expect(containerNumber({ "com.docker.compose.container-number": "x" })).toBeUndefined();
    expect(containerNumber({})).toBeUndefined();
  });

  it("picks the next number after the highest in use, skipping bad labels", () => {
    const n = (v: string) => ({ "com.docker.compose.container-number": v });
    expect(nextContainerNumber([])).toBe(1);
    expect(nextContainerNumber([n("1"), n("3"), n("oops"), {}])).toBe(4);
  });
});

describe("label filters", () => {
  it("selects a project and a service", () => {
    expect(projectFilter("shop")).toEqual(["com.docker.compose.project=shop"]);
    expect(serviceFilter("shop", "web")).toEqual([
      "com.docker.compose.project=shop",
      "com.docker.compose.service=web",
    ]);
  });

  it("lists containers as Compose does: project, config-hash present, one-off selection", () => {
    expect(containersFilter("shop")).toEqual([
      "com.docker.compose.project=shop",
      "com.docker.compose.config-hash",
    ]);
    expect(containersFilter("shop", { service: "web", oneOff: "exclude" })).toEqual([
      "com.docker.compose.project=shop",
      "com.docker.compose.service=web",
      "com.docker.compose.config-hash",
      "com.docker.compose.oneoff=False",
    ]);
    expect(containersFilter("shop", { oneOff: "only" })).toContain("com.docker.compose.oneoff=True");
  });

  it("counts a container as one-off only when its label says something other than False", () => {
    expect(isOneOff({ "com.docker.compose.oneoff": "True" })).toBe(true);
    expect(isOneOff({ "com.docker.compose.oneoff": "False" })).toBe(false);
    expect(isOneOff({})).toBe(false);
  });
});

describe("defaultImageName", () => {
  it("is <project>-<service> in lowercase, since the engine refuses capitals in a repository name", () => {
    expect(defaultImageName("shop", "web")).toBe("shop-web");
    expect(defaultImageName("shop", "Web_API")).toBe("shop-web_api");
  });
});

describe("com.docker.compose.version", () => {
  it("is a Compose release number, which docker-compose v1 compares with 1.21.0 as a version", () => {
    const parts = /^(\d+)\.(\d+)\.(\d+)$/.exec(COMPOSE_VERSION)?.slice(1).map(Number);
    expect(parts, COMPOSE_VERSION).toBeDefined();
    const [major = 0, minor = 0] = parts ?? [];
    // Below 1.21.0, v1 would treat berth's containers as its own legacy ones.
    expect(major > 1 || (major === 1 && minor >= 21)).toBe(true);
  });
});
