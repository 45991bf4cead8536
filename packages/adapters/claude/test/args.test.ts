import { describe, expect, it } from "vitest";
import { BASE_ARGS, buildClaudeArgs, type ClaudeArgsInput } from "../src/args.js";

const none: ClaudeArgsInput = {
  resumeSessionId: null,
  permissionMode: null,
  model: null,
  effort: null,
  maxTurns: null,
  instructionsFile: null,
  skillsDir: null,
  extraArgs: [],
};
const SID = "0b7c7f2e-4a53-4c1e-9d55-2f1a3c7d9e01";

describe("buildClaudeArgs", () => {
  const cases: Array<[string, Partial<ClaudeArgsInput>, string[]]> = [
    ["defaults", {}, ["--dangerously-skip-permissions"]],
    ["resume", { resumeSessionId: SID }, ["--resume", SID, "--dangerously-skip-permissions"]],
    ["permission mode replaces the bypass flag", { permissionMode: "plan" }, ["--permission-mode", "plan"]],
    [
      "model, effort, max turns",
      { model: "opus", effort: "max", maxTurns: 7 },
      ["--dangerously-skip-permissions", "--model", "opus", "--effort", "max", "--max-turns", "7"],
    ],
    [
      "instructions on a fresh session",
      { instructionsFile: "/a/AGENTS.md" },
      ["--dangerously-skip-permissions", "--append-system-prompt-file", "/a/AGENTS.md"],
    ],
    [
      "no instructions when resuming",
      { resumeSessionId: SID, instructionsFile: "/a/AGENTS.md" },
      ["--resume", SID, "--dangerously-skip-permissions"],
    ],
    ["skills dir", { skillsDir: "/skills" }, ["--dangerously-skip-permissions", "--add-dir", "/skills"]],
    [
      "extraArgs last, unchanged",
      { skillsDir: "/s", extraArgs: ["--fallback-model", "haiku"] },
      ["--dangerously-skip-permissions", "--add-dir", "/s", "--fallback-model", "haiku"],
    ],
  ];
  it.each(cases)("%s", (_name, input, rest) => {
    expect(buildClaudeArgs({ ...none, ...input })).toEqual([...BASE_ARGS, ...rest]);
  });

  it("always starts with the stream-json print invocation, prompt read from stdin", () => {
    expect(BASE_ARGS).toEqual(["--print", "-", "--output-format", "stream-json", "--verbose"]);
  });
});
