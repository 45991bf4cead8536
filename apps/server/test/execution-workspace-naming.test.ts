import { describe, expect, it } from "vitest";
import { branchNameFor, isSafeBranchName, rebaseConfigCwd, slugify, worktreePathFor } from "../src/workspaces/naming.js";
import { decideWorkspaceMode, removesOnClose, type WorkspaceDecisionInput } from "../src/workspaces/policy.js";
import { findPullRequestUrls, createPullRequestCollector } from "../src/workspaces/pull-requests.js";

describe("slugify", () => {
  it.each([
    ["Fix the login page", "fix-the-login-page"],
    ["  Réparer l'écran  ", "reparer-l-ecran"],
    ["API: add /v2 endpoints (urgent!!)", "api-add-v2-endpoints-urgent"],
    ["---", "issue"],
    ["日本語のみ", "issue"],
    ["a".repeat(60), "a".repeat(40)],
    [`${"word ".repeat(7)}tail`, "word-word-word-word-word-word-word-tail"],
    [`${"abcdefghi ".repeat(4)}x`, "abcdefghi-abcdefghi-abcdefghi-abcdefghi"],
  ])("%j -> %j", (title, slug) => {
    expect(slugify(title)).toBe(slug);
    expect(slugify(title).length).toBeLessThanOrEqual(40);
    expect(slugify(title)).not.toMatch(/^-|-$|--/);
  });
});

describe("branch names", () => {
  const issue = { id: "7d7c1a0e-0000-4000-8000-000000000001", identifier: "ACME-12", title: "Fix the login page" };
  it.each([
    [undefined, "staple/ACME-12-fix-the-login-page"],
    [null, "staple/ACME-12-fix-the-login-page"],
    ["work/{identifier}", "work/ACME-12"],
    ["{slug}", "fix-the-login-page"],
    ["bad name {slug}", null],
    ["../{slug}", null],
    ["-x/{slug}", null],
    ["a//{slug}", null],
    ["x/{slug}.lock", null],
  ])("template %j -> %j", (template, expected) => {
    expect(branchNameFor(issue, template)).toBe(expected);
  });
  it("an issue without an identifier uses its id's first 8 characters", () => {
    expect(branchNameFor({ ...issue, identifier: null })).toBe("staple/7d7c1a0e-fix-the-login-page");
  });
  it.each([
    ["staple/ACME-1-x", true],
    ["staple/.hidden", false],
    ["-rf", false],
    ["a b", false],
    ["a;rm", false],
    ["x/", false],
    ["", false],
  ])("isSafeBranchName(%j) = %j", (name, safe) => expect(isSafeBranchName(name)).toBe(safe));
  it("worktrees live under the home, per company and issue", () => {
    expect(worktreePathFor("/h", "c1", "i1")).toBe("/h/workspaces/c1/i1");
  });
});

describe("an agent's configured cwd inside the repository moves into the worktree", () => {
  it.each([
    [{ cwd: "/repo" }, { cwd: "/wt" }, true],
    [{ cwd: "/repo/" }, { cwd: "/wt" }, true],
    [{ cwd: "/repo/packages/web" }, { cwd: "/wt/packages/web" }, true],
    [{ cwd: "/repository" }, { cwd: "/repository" }, false],
    [{ cwd: "/elsewhere" }, { cwd: "/elsewhere" }, false],
    [{ cwd: "sub" }, { cwd: "sub" }, false],
    [{ model: "x" }, { model: "x" }, false],
  ])("%j -> %j", (config, expected, moved) => {
    expect(rebaseConfigCwd(config, "/repo", "/wt")).toEqual({ config: expected, moved });
  });
  it("a symlinked path to the repository is recognised through realpath", () => {
    const real = (p: string) => p.replace(/^\/link/, "/repo");
    expect(rebaseConfigCwd({ cwd: "/link/src" }, "/repo", "/wt", real)).toEqual({ config: { cwd: "/wt/src" }, moved: true });
  });
});

describe("workspace policy decision", () => {
  const base: WorkspaceDecisionInput = {
    hasIssue: true,
    hasProjectWorkspace: true,
    policy: null,
    adapterType: "process",
    adapterIsCoding: false,
  };
  it.each<[string, Partial<WorkspaceDecisionInput>, string]>([
    ["coding adapter, no policy", { adapterType: "claude_local" }, "isolated"],
    ["codex, no policy", { adapterType: "codex_local" }, "isolated"],
    ["adapter declaring itself coding", { adapterType: "gemini_local", adapterIsCoding: true }, "isolated"],
    ["process agent, no policy", {}, "shared:not_a_coding_adapter"],
    ["process agent, policy isolated", { policy: { defaultMode: "isolated_workspace" } }, "isolated"],
    ["coding adapter, policy shared", { adapterType: "claude_local", policy: { defaultMode: "shared_workspace" } }, "shared:policy_shared"],
    ["coding adapter, adapter_default", { adapterType: "claude_local", policy: { defaultMode: "adapter_default" } }, "isolated"],
    [
      "policy disabled wins",
      { adapterType: "claude_local", policy: { enabled: false, defaultMode: "isolated_workspace" } },
      "shared:policy_disabled",
    ],
    ["no issue", { hasIssue: false, adapterType: "claude_local" }, "shared:no_issue"],
    ["no project workspace", { hasProjectWorkspace: false, adapterType: "claude_local" }, "shared:no_project_workspace"],
  ])("%s", (_name, patch, expected) => {
    const d = decideWorkspaceMode({ ...base, ...patch });
    expect(d.mode === "shared" ? `shared:${d.reason}` : d.mode).toBe(expected);
  });
  it.each([
    [null, true],
    [{}, true],
    [{ cleanupPolicy: { removeOnClose: true } }, true],
    [{ cleanupPolicy: { removeOnClose: false } }, false],
  ])("removesOnClose(%j) = %j", (policy, expected) => expect(removesOnClose(policy)).toBe(expected));
});

describe("pull request URLs in output", () => {
  it.each([
    ["Opened https://github.com/acme/web/pull/42 for review", ["https://github.com/acme/web/pull/42"], ["acme/web#42"]],
    ["see https://github.com/acme/web/pull/42/files?x=1#diff", ["https://github.com/acme/web/pull/42"], ["acme/web#42"]],
    [
      "MR: https://gitlab.example.com/group/sub/proj/-/merge_requests/7.",
      ["https://gitlab.example.com/group/sub/proj/-/merge_requests/7"],
      ["group/sub/proj!7"],
    ],
    ["twice https://github.com/a/b/pull/1 https://github.com/a/b/pull/1", ["https://github.com/a/b/pull/1"], ["a/b#1"]],
    ["not a PR: https://github.com/a/b/issues/3 http://github.com/a/b/pull/4", [], []],
  ])("%j", (text, urls, ids) => {
    const found = findPullRequestUrls(text);
    expect(found.map((f) => f.url)).toEqual(urls);
    expect(found.map((f) => f.externalId)).toEqual(ids);
  });
  it("a URL split across two output chunks is still found, once", () => {
    const c = createPullRequestCollector();
    c.push("created https://github.com/acme/w");
    c.push("eb/pull/9 done\n");
    c.push("again https://github.com/acme/web/pull/9\n");
    expect(c.found().map((p) => p.url)).toEqual(["https://github.com/acme/web/pull/9"]);
  });
  it("a number cut by a chunk boundary is not taken as a shorter one; the last word counts at the end", () => {
    const c = createPullRequestCollector();
    c.push("PR https://github.com/acme/web/pull/4");
    c.push("2\nlast https://gitlab.com/g/p/-/merge_requests/3");
    expect(c.found().map((p) => p.url)).toEqual(["https://github.com/acme/web/pull/42", "https://gitlab.com/g/p/-/merge_requests/3"]);
  });
});
