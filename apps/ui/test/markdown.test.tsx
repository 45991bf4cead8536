// @vitest-environment jsdom
import { cleanup, render } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { MarkdownText } from "../src/components/markdown.js";

afterEach(cleanup);

describe("markdown renderer", () => {
  it("renders GFM tables, task lists and strikethrough", () => {
    const { container } = render(
      <MarkdownText source={"| Step | Done |\n| --- | --- |\n| plan | yes |\n\n- [x] write\n- [ ] ship\n\n~~old~~"} />,
    );
    const table = container.querySelector("table")!;
    expect(table).toBeTruthy();
    expect([...table.querySelectorAll("th")].map((th) => th.textContent)).toEqual(["Step", "Done"]);
    expect(table.querySelector("td")!.textContent).toBe("plan");
    expect(container.querySelectorAll('input[type="checkbox"]')).toHaveLength(2);
    expect(container.querySelector("del")!.textContent).toBe("old");
  });

  it("renders no raw HTML: tags in the text are dropped, never become elements", () => {
    const { container } = render(
      <MarkdownText
        source={
          'Hello <script>window.pwned = 1</script><img src=x onerror="window.pwned=2"> <b>bold</b>\n\n<iframe src="https://example.com"></iframe>'
        }
      />,
    );
    for (const tag of ["script", "img", "iframe", "b"]) expect(container.querySelector(tag), tag).toBeNull();
    expect(container.innerHTML).not.toContain("onerror");
    expect(container.textContent).toContain("Hello");
  });

  it("gives every link rel=noreferrer noopener, and drops javascript: targets", () => {
    const { container } = render(
      <MarkdownText
        source={"[site](https://example.com/a) and [local](/c/x/issues/ACM-1) and [bad](javascript:alert(1)) and https://auto.example.org"}
      />,
    );
    const links = [...container.querySelectorAll("a")];
    expect(links.map((a) => a.getAttribute("href"))).toEqual([
      "https://example.com/a",
      "/c/x/issues/ACM-1",
      "",
      "https://auto.example.org",
    ]);
    for (const a of links) expect(a.getAttribute("rel")).toBe("noreferrer noopener");
    expect(links[0]!.getAttribute("target")).toBe("_blank");
    expect(links[1]!.getAttribute("target")).toBeNull();
  });

  it("shows @mentions of known agents as chips, not inside code or e-mail addresses", () => {
    const { container } = render(
      <MarkdownText source={"Ping @Script Bot and @nobody, mail me@Script Bot, `@Script Bot`"} mentionNames={["Script Bot", "Script"]} />,
    );
    const chips = [...container.querySelectorAll(".mention")];
    expect(chips.map((c) => c.textContent)).toEqual(["@Script Bot"]);
    expect(container.querySelector("code")!.textContent).toBe("@Script Bot");
  });
});
