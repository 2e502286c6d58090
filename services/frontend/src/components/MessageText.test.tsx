import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { MessageText } from "./MessageText";

function show(text: string, me = "ann") {
  return render(<MessageText text={text} me={me} />).container;
}

describe("MessageText", () => {
  it("renders chat Markdown: bold, italic, strike, code, code blocks, quotes and lists", () => {
    const box = show("**bold** _italic_ ~~gone~~ `x = 1`\n\n```\nfn main() {}\n```\n\n> quoted\n\n- one\n- two\n\n1. first");
    expect(box.querySelector("strong")).toHaveTextContent("bold");
    expect(box.querySelector("em")).toHaveTextContent("italic");
    expect(box.querySelector("del")).toHaveTextContent("gone");
    expect(box.querySelector("p code")).toHaveTextContent("x = 1");
    expect(box.querySelector("pre code")).toHaveTextContent("fn main() {}");
    expect(box.querySelector("blockquote")).toHaveTextContent("quoted");
    expect([...box.querySelectorAll("ul li")].map((li) => li.textContent)).toEqual(["one", "two"]);
    expect(box.querySelector("ol li")).toHaveTextContent("first");
  });

  it("links URLs, bare www. ones and ones ending in a bracket, safely in a new tab", () => {
    show("see https://en.wikipedia.org/wiki/Foo_(bar). or www.example.com, or [docs](https://x.org/d)");
    const links = screen.getAllByRole("link");
    expect(links.map((a) => a.getAttribute("href"))).toEqual([
      "https://en.wikipedia.org/wiki/Foo_(bar)",
      "http://www.example.com",
      "https://x.org/d",
    ]);
    for (const a of links) {
      expect(a).toHaveAttribute("target", "_blank");
      expect(a).toHaveAttribute("rel", "noopener noreferrer nofollow");
    }
  });

  it("keeps hostile markup inert: no script, no image, no javascript: link", () => {
    const box = show(
      '<script>alert(1)</script>\n\n<img src=x onerror=alert(1)> [click](javascript:alert(1)) ![pixel](https://t.example/p.gif) <a href="javascript:alert(2)">a</a>',
    );
    expect(box.querySelector("script, img, iframe, svg")).toBeNull();
    expect(box).toHaveTextContent("<script>alert(1)</script>");
    expect(box).toHaveTextContent("<img src=x onerror=alert(1)>");
    for (const a of box.querySelectorAll("a")) expect(a.getAttribute("href") ?? "").not.toMatch(/^javascript:/i);
    // The image is a link to it, never loaded.
    expect(screen.getByRole("link", { name: "pixel" })).toHaveAttribute("href", "https://t.example/p.gif");
  });

  it("shows headings as bold text, chat-style", () => {
    const box = show("# Big news");
    expect(box.querySelector("h1")).toBeNull();
    expect(box.querySelector("p > strong")).toHaveTextContent("Big news");
  });

  it("marks @mentions, mine the most, not inside e-mail addresses, links or code", () => {
    const box = show("hi @bob_2 and @ann, see ann@example.com, https://x.org/@zed and `@cat`");
    expect(screen.getByText("@bob_2")).toHaveClass("mention");
    expect(screen.getByText("@ann").tagName).toBe("MARK");
    expect(box.querySelectorAll(".mention")).toHaveLength(2);
  });

  it("leaves a sentence's full stop out of a mentioned name and needs 3 name characters", () => {
    const box = show("thanks @bob. and @al, @a.b.");
    expect([...box.querySelectorAll(".mention")].map((m) => m.textContent)).toEqual(["@bob", "@a.b"]);
    expect(box).toHaveTextContent("thanks @bob. and @al, @a.b.");
  });
});
