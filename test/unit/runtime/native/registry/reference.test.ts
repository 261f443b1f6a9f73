/**
 * berth must read image references exactly as Docker does. The tables are distribution/reference's
 * own (normalize_test.go: TestValidateReferenceName, TestValidateRemoteName, TestParseRepositoryInfo,
 * TestParseReferenceWithTagAndDigest; reference_test.go: TestReferenceParse), run through the
 * normalising parse Docker uses for pull and push.
 */
import { describe, expect, it } from "vitest";
import { InvalidRequestError } from "../../../../../src/runtime/errors.js";
import {
  canonicalString,
  familiarName,
  familiarString,
  parseReference,
  referenceTarget,
} from "../../../../../src/runtime/native/registry/reference.js";

const FFF = "sha256:" + "f".repeat(64);

function errorOf(text: string): string {
  try {
    parseReference(text);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRequestError);
    return (error as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused`);
}

describe("parseReference: names distribution/reference accepts and refuses", () => {
  it.each([
    "docker/docker",
    "library/debian",
    "debian",
    "localhost/library/debian",
    "localhost/debian",
    "LOCALDOMAIN/library/debian",
    "LOCALDOMAIN/debian",
    "docker.io/docker/docker",
    "docker.io/library/debian",
    "docker.io/debian",
    "index.docker.io/docker/docker",
    "index.docker.io/library/debian",
    "index.docker.io/debian",
    "127.0.0.1:5000/docker/docker",
    "127.0.0.1:5000/library/debian",
    "127.0.0.1:5000/debian",
    "192.168.0.1",
    "192.168.0.1:80",
    "192.168.0.1:8/debian",
    "192.168.0.2:25000/debian",
    "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
    "[fc00::1]:5000/docker",
    "[fc00::1]:5000/docker/docker",
    "[fc00:1:2:3:4:5:6:7]:5000/library/debian",
    "docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
    "Docker/docker",
    "DOCKER/docker",
    // TestValidateRemoteName
    "docker-rules/docker",
    "docker---rules/docker",
    "doc/docker",
    "d/docker",
    "jess/t",
    "dock__er/docker",
  ])("accepts %s", (name) => {
    expect(() => parseReference(name)).not.toThrow();
  });

  it.each([
    "https://github.com/docker/docker",
    "docker/Docker",
    "-docker",
    "-docker/docker",
    "-docker.io/docker/docker",
    "docker///docker",
    "docker.io/docker/Docker",
    "docker.io/docker///docker",
    "[fc00::1]",
    "[fc00::1]:5000",
    "fc00::1:5000/debian",
    "[fe80::1%eth0]:5000/debian",
    "[2001:db8:3:4::192.0.2.33]:5000/debian",
    "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
    // TestValidateRemoteName
    "docker-/docker",
    "-docker-/docker",
    "____/____",
    "_docker/_docker",
    "dock..er/docker",
    "dock_.er/docker",
    "dock-.er/docker",
    "docker/",
    "this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255/docker",
  ])("refuses %s", (name) => {
    expect(() => parseReference(name)).toThrow(InvalidRequestError);
  });
});

describe("parseReference: normalisation (TestParseRepositoryInfo)", () => {
  const cases: { remote: string; familiar: string; full: string; ambiguous: string; domain: string }[] = [
    {
      remote: "fooo",
      familiar: "localhost/fooo",
      full: "localhost/fooo",
      ambiguous: "localhost/fooo",
      domain: "localhost",
    },
    {
      remote: "fooo/bar",
      familiar: "localhost/fooo/bar",
      full: "localhost/fooo/bar",
      ambiguous: "",
      domain: "localhost",
    },
    {
      remote: "fooo",
      familiar: "LOCALDOMAIN/fooo",
      full: "LOCALDOMAIN/fooo",
      ambiguous: "",
      domain: "LOCALDOMAIN",
    },
    {
      remote: "fooo/bar",
      familiar: "LOCALDOMAIN/fooo/bar",
      full: "LOCALDOMAIN/fooo/bar",
      ambiguous: "",
      domain: "LOCALDOMAIN",
    },
    {
      remote: "fooo/bar",
      familiar: "fooo/bar",
      full: "docker.io/fooo/bar",
      ambiguous: "index.docker.io/fooo/bar",
      domain: "docker.io",
    },
    {
      remote: "library/ubuntu",
      familiar: "ubuntu",
      full: "docker.io/library/ubuntu",
      ambiguous: "library/ubuntu",
      domain: "docker.io",
    },
    {
      remote: "nonlibrary/ubuntu",
      familiar: "nonlibrary/ubuntu",
      full: "docker.io/nonlibrary/ubuntu",
      ambiguous: "",
      domain: "docker.io",
    },
    {
      remote: "other/library",
      familiar: "other/library",
      full: "docker.io/other/library",
      ambiguous: "",
      domain: "docker.io",
    },
    {
      remote: "private/moonbase",
      familiar: "127.0.0.1:8000/private/moonbase",
      full: "127.0.0.1:8000/private/moonbase",
      ambiguous: "",
      domain: "127.0.0.1:8000",
    },
    {
      remote: "privatebase",
      familiar: "127.0.0.1:8000/privatebase",
      full: "127.0.0.1:8000/privatebase",
      ambiguous: "",
      domain: "127.0.0.1:8000",
    },
    {
      remote: "private/moonbase",
      familiar: "example.com/private/moonbase",
      full: "example.com/private/moonbase",
      ambiguous: "",
      domain: "example.com",
    },
    {
      remote: "privatebase",
      familiar: "example.com/privatebase",
      full: "example.com/privatebase",
      ambiguous: "",
      domain: "example.com",
    },
    {
      remote: "private/moonbase",
      familiar: "example.com:8000/private/moonbase",
      full: "example.com:8000/private/moonbase",
      ambiguous: "",
      domain: "example.com:8000",
    },
    {
      remote: "privatebasee",
      familiar: "example.com:8000/privatebasee",
      full: "example.com:8000/privatebasee",
      ambiguous: "",
      domain: "example.com:8000",
    },
    {
      remote: "library/ubuntu-12.04-base",
      familiar: "ubuntu-12.04-base",
      full: "docker.io/library/ubuntu-12.04-base",
      ambiguous: "index.docker.io/library/ubuntu-12.04-base",
      domain: "docker.io",
    },
    {
      remote: "library/foo",
      familiar: "foo",
      full: "docker.io/library/foo",
      ambiguous: "docker.io/foo",
      domain: "docker.io",
    },
    {
      remote: "library/foo/bar",
      familiar: "library/foo/bar",
      full: "docker.io/library/foo/bar",
      ambiguous: "",
      domain: "docker.io",
    },
    {
      remote: "store/foo/bar",
      familiar: "store/foo/bar",
      full: "docker.io/store/foo/bar",
      ambiguous: "",
      domain: "docker.io",
    },
    { remote: "bar", familiar: "Foo/bar", full: "Foo/bar", ambiguous: "", domain: "Foo" },
    { remote: "bar", familiar: "FOO/bar", full: "FOO/bar", ambiguous: "", domain: "FOO" },
  ];
  for (const c of cases) {
    for (const input of [c.familiar, c.full, c.ambiguous].filter((s) => s !== "")) {
      it(`${input} → ${c.full}`, () => {
        const ref = parseReference(input);
        expect(ref.domain).toBe(c.domain);
        expect(ref.path).toBe(c.remote);
        expect(ref.name).toBe(c.full);
        expect(familiarName(ref)).toBe(c.familiar);
        // No tag and no digest: latest.
        expect(ref.tag).toBe("latest");
        expect(ref.digest).toBeUndefined();
      });
    }
  }

  it("sends Docker Hub names to registry-1.docker.io and others to the host they name", () => {
    expect(parseReference("busybox").apiHost).toBe("registry-1.docker.io");
    expect(parseReference("index.docker.io/user/app").apiHost).toBe("registry-1.docker.io");
    expect(parseReference("127.0.0.1:5000/app").apiHost).toBe("127.0.0.1:5000");
    expect(parseReference("[::1]:5000/app").apiHost).toBe("[::1]:5000");
  });
});

describe("parseReference: tags and digests (TestReferenceParse, TestParseReferenceWithTagAndDigest)", () => {
  it.each([
    ["test_com", "docker.io", "library/test_com", "latest", undefined],
    ["test.com:tag", "docker.io", "library/test.com", "tag", undefined],
    ["test.com:5000", "docker.io", "library/test.com", "5000", undefined],
    ["test.com/repo:tag", "test.com", "repo", "tag", undefined],
    ["test:5000/repo", "test:5000", "repo", "latest", undefined],
    ["test:5000/repo:tag", "test:5000", "repo", "tag", undefined],
    [`test:5000/repo@${FFF}`, "test:5000", "repo", undefined, FFF],
    [`test:5000/repo:tag@${FFF}`, "test:5000", "repo", "tag", FFF],
    ["lowercase:Uppercase", "docker.io", "library/lowercase", "Uppercase", undefined],
    [
      `${"a/".repeat(127)}a:tag-puts-this-over-max`,
      "docker.io",
      `${"a/".repeat(127)}a`,
      "tag-puts-this-over-max",
      undefined,
    ],
    ["sub-dom1.foo.com/bar/baz/quux", "sub-dom1.foo.com", "bar/baz/quux", "latest", undefined],
    [
      "sub-dom1.foo.com/bar/baz/quux:some-long-tag",
      "sub-dom1.foo.com",
      "bar/baz/quux",
      "some-long-tag",
      undefined,
    ],
    [
      "b.gcr.io/test.example.com/my-app:test.example.com",
      "b.gcr.io",
      "test.example.com/my-app",
      "test.example.com",
      undefined,
    ],
    ["xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com", "myimage", "xn--n3h.com", undefined],
    [`xn--7o8h.com/myimage:xn--7o8h.com@${FFF}`, "xn--7o8h.com", "myimage", "xn--7o8h.com", FFF],
    ["foo_bar.com:8080", "docker.io", "library/foo_bar.com", "8080", undefined],
    ["foo/foo_bar.com:8080", "docker.io", "foo/foo_bar.com", "8080", undefined],
    ["192.168.1.1", "docker.io", "library/192.168.1.1", "latest", undefined],
    ["192.168.1.1:tag", "docker.io", "library/192.168.1.1", "tag", undefined],
    ["192.168.1.1:5000", "docker.io", "library/192.168.1.1", "5000", undefined],
    ["192.168.1.1/repo", "192.168.1.1", "repo", "latest", undefined],
    ["192.168.1.1:5000/repo", "192.168.1.1:5000", "repo", "latest", undefined],
    ["192.168.1.1:5000/repo:5050", "192.168.1.1:5000", "repo", "5050", undefined],
    ["[2001:db8::1]/repo", "[2001:db8::1]", "repo", "latest", undefined],
    ["[2001:db8:1:2:3:4:5:6]/repo:tag", "[2001:db8:1:2:3:4:5:6]", "repo", "tag", undefined],
    ["[2001:db8::1]:5000/repo", "[2001:db8::1]:5000", "repo", "latest", undefined],
    ["[2001:db8::1]:5000/repo:tag", "[2001:db8::1]:5000", "repo", "tag", undefined],
    [`[2001:db8::1]:5000/repo@${FFF}`, "[2001:db8::1]:5000", "repo", undefined, FFF],
    [`[2001:db8::1]:5000/repo:tag@${FFF}`, "[2001:db8::1]:5000", "repo", "tag", FFF],
    ["[2001:db8::]:5000/repo", "[2001:db8::]:5000", "repo", "latest", undefined],
    ["[::1]:5000/repo", "[::1]:5000", "repo", "latest", undefined],
    [`example.com/${"a".repeat(255)}:tag`, "example.com", "a".repeat(255), "tag", undefined],
  ])("%s", (input, domain, path, tag, digest) => {
    const ref = parseReference(input);
    expect({ domain: ref.domain, path: ref.path, tag: ref.tag, digest: ref.digest }).toEqual({
      domain,
      path,
      tag,
      digest,
    });
  });

  it("keeps a tag and a digest together and fetches by the digest", () => {
    const short = "busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa";
    const ref = parseReference(short);
    expect(canonicalString(ref)).toBe(`docker.io/library/${short}`);
    expect(familiarString(ref)).toBe(short);
    expect(referenceTarget(ref)).toBe(
      "sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa",
    );
    expect(referenceTarget(parseReference("busybox"))).toBe("latest");
  });
});

describe("parseReference: errors worded as Docker words them", () => {
  it.each([
    ["", "invalid reference format"],
    [":justtag", "invalid reference format"],
    [`@${FFF}`, "invalid reference format"],
    ["aa/asdf$$^/aa", "invalid reference format"],
    ["[2001:db8::1]", "invalid reference format"],
    ["[2001:db8::1]:5000", "invalid reference format"],
    ["[2001:db8::1]:tag", "invalid reference format"],
    ["[fe80::1%eth0]:5000/repo", "invalid reference format"],
    ["[fe80::1%@invalidzone]:5000/repo", "invalid reference format"],
    ["Uppercase:tag", "invalid reference format: repository name (library/Uppercase) must be lowercase"],
    [
      "test:5000/Uppercase/lowercase:tag",
      "invalid reference format: repository name (Uppercase/lowercase) must be lowercase",
    ],
    [`domain/${"a".repeat(256)}:tag`, "repository name must not be more than 255 characters"],
    ["repo@sha256:ffffffffffffffffffffffffffffffffff", "invalid checksum digest length"],
    [`validname@invaliddigest:${"f".repeat(64)}`, "unsupported digest algorithm"],
    [
      "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
      "invalid repository name (1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a), cannot specify 64-byte hexadecimal strings",
    ],
  ])("%j → %s", (input, message) => {
    expect(errorOf(input)).toBe(message);
  });

  it("accepts sha512 digests, which registries and the Docker engine register (the library's test leaves it out)", () => {
    const digest = `sha512:${"f".repeat(128)}`;
    expect(parseReference(`validname@${digest}`).digest).toBe(digest);
  });
});
