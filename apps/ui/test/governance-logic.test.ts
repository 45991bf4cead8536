import { describe, expect, it } from "vitest";
import type { Approval, Comment, Interaction } from "../src/api/types.js";
import { availableDecisions, sortApprovals, summarizePayload } from "../src/lib/approvals.js";
import { formatBytes, isPreviewableImage } from "../src/lib/attachments.js";
import { mergeThread } from "../src/lib/interactions.js";
import { contrastRatio, LABEL_PALETTE, labelChipColors, luminance } from "../src/lib/label-color.js";

const ap = (id: string, status: Approval["status"], createdAt: string, decidedAt: string | null = null) =>
  ({ id, status, createdAt, decidedAt, updatedAt: decidedAt ?? createdAt }) as Approval;

describe("approvals logic", () => {
  it("pending first (oldest first), then revision requested, then decided (latest decision first)", () => {
    const list = [
      ap("d-old", "approved", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"),
      ap("p-new", "pending", "2026-03-01T00:00:00Z"),
      ap("rev", "revision_requested", "2026-01-05T00:00:00Z", "2026-01-06T00:00:00Z"),
      ap("d-new", "rejected", "2026-01-01T00:00:00Z", "2026-02-02T00:00:00Z"),
      ap("p-old", "pending", "2026-02-01T00:00:00Z"),
    ];
    expect(sortApprovals(list).map((a) => a.id)).toEqual(["p-old", "p-new", "rev", "d-new", "d-old"]);
  });

  it("offers the decisions the server allows from each status", () => {
    expect(availableDecisions("pending")).toEqual(["approve", "reject", "request-revision"]);
    expect(availableDecisions("revision_requested")).toEqual(["approve", "reject"]);
    for (const s of ["approved", "rejected", "cancelled"] as const) expect(availableDecisions(s)).toEqual([]);
  });

  it("summarizes a hire and a budget override", () => {
    expect(
      summarizePayload({
        type: "hire_agent",
        payload: { name: "Owl", role: "engineer", adapterType: "process", budgetMonthlyCents: 2500 },
      }),
    ).toEqual([
      { label: "Agent", value: "Owl" },
      { label: "Role", value: "engineer" },
      { label: "Adapter", value: "process" },
      { label: "Monthly budget", value: "$25.00" },
    ]);
    expect(
      summarizePayload(
        { type: "budget_override_required", payload: { scopeType: "project", scopeId: "x", amount: 1000, observed: 1000 } },
        "Website",
      ),
    ).toEqual([
      { label: "Scope", value: "project: Website" },
      { label: "Budget", value: "$10.00" },
      { label: "Spent", value: "$10.00" },
    ]);
    // A malformed payload gives no rows instead of throwing.
    expect(summarizePayload({ type: "hire_agent", payload: { name: 7 } })).toEqual([]);
  });
});

describe("label colours", () => {
  it("picks the text colour with the better WCAG contrast", () => {
    expect(labelChipColors("#ffffff").color).toBe("#111111");
    expect(labelChipColors("#000000").color).toBe("#ffffff");
    expect(labelChipColors("#fde68a").color).toBe("#111111");
    expect(labelChipColors("#be123c").color).toBe("#ffffff");
    expect(labelChipColors("red")).toEqual({ background: "#eef0f3", color: "#1d2330" });
  });

  it("every colour offered for a new label reads at 4.5:1 or better", () => {
    for (const color of LABEL_PALETTE) {
      const chip = labelChipColors(color);
      expect(contrastRatio(luminance(color)!, luminance(chip.color === "#ffffff" ? "#ffffff" : "#111111")!)).toBeGreaterThanOrEqual(4.5);
    }
  });
});

describe("attachments logic", () => {
  it("previews only the image types the server serves inline", () => {
    expect(["image/png", "image/jpeg", "image/gif", "image/webp", "IMAGE/PNG; x=y"].every(isPreviewableImage)).toBe(true);
    expect(["image/svg+xml", "text/html", "application/pdf", "image/bmp"].some(isPreviewableImage)).toBe(false);
  });

  it("formats sizes", () => {
    expect([0, 1023, 1536, 10 * 1024, 5 * 1024 * 1024 + 1].map(formatBytes)).toEqual(["0 B", "1023 B", "1.5 KB", "10 KB", "5.0 MB"]);
  });
});

describe("issue thread", () => {
  it("interleaves comments and interaction cards by creation time", () => {
    const c = (id: string, createdAt: string) => ({ id, createdAt }) as Comment;
    const i = (id: string, createdAt: string) => ({ id, createdAt }) as Interaction;
    const thread = mergeThread(
      [c("c1", "2026-01-01T10:00:00Z"), c("c2", "2026-01-01T12:00:00Z")],
      [i("i1", "2026-01-01T11:00:00Z"), i("i0", "2026-01-01T10:00:00Z")],
    );
    expect(thread.map((e) => (e.kind === "comment" ? e.comment.id : e.interaction.id))).toEqual(["c1", "i0", "i1", "c2"]);
  });
});
