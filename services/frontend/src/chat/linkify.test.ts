import { describe, expect, it } from "vitest";
import { linkify } from "./linkify";

describe("linkify", () => {
  it("keeps plain text as one text segment", () => {
    expect(linkify("hello <b>world</b>")).toEqual([{ kind: "text", text: "hello <b>world</b>" }]);
  });

  it("turns http and https URLs into links and leaves sentence punctuation outside", () => {
    expect(linkify("see https://example.com/a?b=1, and http://x.org.")).toEqual([
      { kind: "text", text: "see " },
      { kind: "link", text: "https://example.com/a?b=1", href: "https://example.com/a?b=1" },
      { kind: "text", text: ", and " },
      { kind: "link", text: "http://x.org", href: "http://x.org/" },
      { kind: "text", text: "." },
    ]);
  });

  it("never links other schemes", () => {
    for (const text of ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "vbscript:x", "file:///etc/passwd"]) {
      expect(linkify(text)).toEqual([{ kind: "text", text }]);
    }
  });

  it("does not let markup ride along in a URL", () => {
    const segments = linkify('https://a.example/"><img src=x onerror=alert(1)>');
    expect(segments[0]).toEqual({ kind: "link", text: "https://a.example/", href: "https://a.example/" });
    expect(segments.slice(1)).toEqual([{ kind: "text", text: '"><img src=x onerror=alert(1)>' }]);
  });
});

describe("mentions", () => {
  it("finds @name with a name's characters, not inside e-mail addresses or links", () => {
    expect(linkify("hi @bob_2, see ann@example.com and https://x.org/@zed")).toEqual([
      { kind: "text", text: "hi " },
      { kind: "mention", text: "@bob_2", name: "bob_2" },
      { kind: "text", text: ", see ann@example.com and " },
      { kind: "link", text: "https://x.org/@zed", href: "https://x.org/@zed" },
    ]);
  });

  it("leaves a sentence's full stop out of the name", () => {
    expect(linkify("thanks @bob.")).toEqual([
      { kind: "text", text: "thanks " },
      { kind: "mention", text: "@bob", name: "bob" },
      { kind: "text", text: "." },
    ]);
    expect(linkify("@a.b.")).toEqual([
      { kind: "mention", text: "@a.b", name: "a.b" },
      { kind: "text", text: "." },
    ]);
  });

  it("needs 3 to 32 name characters", () => {
    expect(linkify("@al and @" + "x".repeat(33))).toEqual([{ kind: "text", text: "@al and @" + "x".repeat(33) }]);
    expect(linkify("@ann")).toEqual([{ kind: "mention", text: "@ann", name: "ann" }]);
  });
});
