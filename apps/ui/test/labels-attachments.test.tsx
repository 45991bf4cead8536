// @vitest-environment jsdom
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Attachment, IssueDetail, Label } from "../src/api/types.js";
import { AttachmentsSection } from "../src/components/attachments.js";
import { IssueLabelsSection } from "../src/components/issue-labels.js";
import { fakeApi, renderBoard, renderInCompany } from "./helpers/board.js";

const ISSUE = "11111111-1111-4111-8111-111111111111";
const label = (id: string, name: string, color: string): Label => ({
  id,
  companyId: "co1",
  name,
  color,
  createdAt: "2026-12-01T00:00:00.000Z",
  updatedAt: "2026-12-01T00:00:00.000Z",
});
const bug = label("aaaaaaaa-0000-4000-8000-000000000001", "bug", "#be123c");
const docs = label("aaaaaaaa-0000-4000-8000-000000000002", "docs", "#fde68a");
const issue = { id: ISSUE, companyId: "co1", identifier: "ACM-1", labels: [bug], labelIds: [bug.id] } as unknown as IssueDetail;

describe("labels", () => {
  it("issue rows show label chips with readable text, and the label filter is a URL parameter sent as labelId", async () => {
    const seen: string[] = [];
    const api = fakeApi({
      "GET /api/companies": {
        body: [{ id: "co1", name: "Acme", status: "active", description: null, spentMonthlyCents: 0, budgetMonthlyCents: 0 }],
      },
      "GET /api/companies/co1/agents": { body: [] },
      "GET /api/auth/get-session": { body: { user: { id: "u" }, session: { id: null, source: "local" } } },
      "GET /api/companies/co1/labels": { body: [bug, docs] },
      "GET /api/companies/co1/issues": (url) => {
        seen.push(url.searchParams.get("labelId") ?? "");
        return {
          body: [
            {
              id: "i1",
              identifier: "ACM-1",
              title: "Crash on save",
              status: "todo",
              priority: "high",
              assigneeAgentId: null,
              updatedAt: new Date().toISOString(),
              labels: [bug, docs],
              labelIds: [bug.id, docs.id],
            },
          ],
        };
      },
    });
    renderBoard(`/c/co1/issues?label=${docs.id}`, api);
    const table = await screen.findByRole("table");
    const chips = within(table).getAllByText(/^(bug|docs)$/);
    // Dark red gets white text, pale yellow gets black.
    expect(chips.map((c) => [c.textContent, (c as HTMLElement).style.color])).toEqual([
      ["bug", "rgb(255, 255, 255)"],
      ["docs", "rgb(17, 17, 17)"],
    ]);
    // The label filter menu shows the URL's label as checked; a single label is sent as labelId.
    const menu = screen.getByRole("group", { name: "Label" });
    expect((within(menu).getByLabelText("docs") as HTMLInputElement).checked).toBe(true);
    expect(seen[0]).toBe(docs.id);
    fireEvent.click(within(menu).getByLabelText("docs"));
    fireEvent.click(within(menu).getByLabelText("bug"));
    await waitFor(() => expect(seen.at(-1)).toBe(bug.id));
  });

  it("adds a company label, removes one, and creates a new label inline, always sending the full set", async () => {
    const created = label("aaaaaaaa-0000-4000-8000-000000000003", "urgent", "#4f46e5");
    const api = fakeApi({
      "GET /api/companies/co1/labels": { body: [bug, docs] },
      "POST /api/companies/co1/labels": { status: 201, body: created },
      [`PATCH /api/issues/${ISSUE}`]: { body: {} },
    });
    renderInCompany(<IssueLabelsSection issue={issue} onChanged={() => undefined} />, api);
    const patches = () => api.callsTo(`PATCH /api/issues/${ISSUE}`).map((c) => c.body);

    fireEvent.change(await screen.findByLabelText("Add label"), { target: { value: docs.id } });
    await waitFor(() => expect(patches()).toEqual([{ labelIds: [bug.id, docs.id] }]));

    fireEvent.click(screen.getByRole("button", { name: "Remove label bug" }));
    await waitFor(() => expect(patches()).toHaveLength(2));
    expect(patches()[1]).toEqual({ labelIds: [] });

    fireEvent.click(screen.getByRole("button", { name: "New label…" }));
    fireEvent.change(screen.getByLabelText("New label name"), { target: { value: " urgent " } });
    fireEvent.click(screen.getByRole("button", { name: "Create and add" }));
    await waitFor(() => expect(patches()).toHaveLength(3));
    expect(api.callsTo("POST /api/companies/co1/labels")[0]!.body).toEqual({ name: "urgent", color: "#4f46e5" });
    expect(patches()[2]).toEqual({ labelIds: [bug.id, created.id] });
  });
});

function attachment(id: string, name: string, contentType: string, byteSize: number): Attachment {
  return {
    id,
    companyId: "co1",
    issueId: ISSUE,
    issueCommentId: null,
    assetId: id,
    provider: "postgres",
    contentType,
    byteSize,
    sha256: "x",
    originalFilename: name,
    createdByAgentId: null,
    createdByUserId: "u",
    createdByRunId: null,
    originatingRunId: null,
    createdAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    contentPath: `/api/attachments/${id}/content`,
  };
}

describe("attachments", () => {
  it("lists files with type and size, previews only the inline image types, and uploads as multipart field `file`", async () => {
    const png = attachment("bbbbbbbb-0000-4000-8000-000000000001", "screen.png", "image/png", 2048);
    const svg = attachment("bbbbbbbb-0000-4000-8000-000000000002", "logo.svg", "image/svg+xml", 900);
    const api = fakeApi({
      [`GET /api/issues/${ISSUE}/attachments`]: { body: [png, svg] },
      [`POST /api/companies/co1/issues/${ISSUE}/attachments`]: { status: 201, body: png },
    });
    renderInCompany(<AttachmentsSection issue={issue} />, api);
    const list = await screen.findByRole("list", { name: "Attachments" });
    expect(within(list).getByText(/image\/png · 2\.0 KB/)).toBeTruthy();
    expect(within(list).getByText(/image\/svg\+xml · 900 B/)).toBeTruthy();
    // An SVG is served as a download (it could carry script), so it gets no <img>.
    expect(
      within(list)
        .getAllByRole("img")
        .map((i) => i.getAttribute("src")),
    ).toEqual([png.contentPath]);
    expect(within(list).getByRole("link", { name: "logo.svg" }).getAttribute("download")).toBe("logo.svg");

    const file = new File([new Uint8Array([137, 80, 78, 71])], "new.png", { type: "image/png" });
    fireEvent.change(screen.getByLabelText("Upload files"), { target: { files: [file] } });
    await waitFor(() => expect(api.callsTo(`POST /api/companies/co1/issues/${ISSUE}/attachments`)).toHaveLength(1));
    const form = api.callsTo(`POST /api/companies/co1/issues/${ISSUE}/attachments`)[0]!.body as FormData;
    const sent = form.get("file") as File;
    // (Node's Request renames a jsdom File to "blob"; the browser lane checks the stored filename.)
    expect([sent.type, sent.size]).toEqual(["image/png", 4]);
    expect([...form.keys()]).toEqual(["file"]);
  });

  it("deletes an attachment after confirmation", async () => {
    const png = attachment("bbbbbbbb-0000-4000-8000-000000000001", "screen.png", "image/png", 2048);
    const api = fakeApi({
      [`GET /api/issues/${ISSUE}/attachments`]: { body: [png] },
      [`DELETE /api/attachments/${png.id}`]: { body: { ok: true } },
    });
    // jsdom has no showModal; the dialog renders its buttons either way.
    HTMLDialogElement.prototype.showModal ??= function (this: HTMLDialogElement) {
      this.setAttribute("open", "");
    };
    HTMLDialogElement.prototype.close ??= function (this: HTMLDialogElement) {
      this.removeAttribute("open");
    };
    renderInCompany(<AttachmentsSection issue={issue} />, api);
    fireEvent.click(await screen.findByRole("button", { name: "Delete screen.png" }));
    expect(api.callsTo(`DELETE /api/attachments/${png.id}`)).toHaveLength(0);
    fireEvent.click(await screen.findByRole("button", { name: "Delete", hidden: true }));
    await waitFor(() => expect(api.callsTo(`DELETE /api/attachments/${png.id}`)).toHaveLength(1));
  });
});
