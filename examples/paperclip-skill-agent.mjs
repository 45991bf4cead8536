#!/usr/bin/env node
// A script agent that follows the heartbeat procedure of Paperclip's published agent skill, using
// nothing but the PAPERCLIP_* environment a run hands it and plain fetch. Run it as a `process`
// agent: {"adapterType": "process", "adapterConfig": {"command": "node", "args": ["<path to this file>"]}}.
//
// On a task wake it checks the task out, reads its heartbeat context, writes a plan document, splits
// off a sub-task, attaches a file, asks for a confirmation in the thread, requests a board approval
// linked to the task, comments and leaves the task in review. When the board decides the approval it
// is woken again (PAPERCLIP_APPROVAL_ID / PAPERCLIP_APPROVAL_STATUS) and settles the linked issues.
//
// Every request is printed as one JSON line ({step, method, path, status}) to the run log; an
// unexpected status stops the heartbeat with exit code 1.

const env = process.env;
const API = `${(env.PAPERCLIP_API_URL ?? "").replace(/\/+$/, "").replace(/\/api$/, "")}/api`;
const RUN_ID = env.PAPERCLIP_RUN_ID;
const AGENT_ID = env.PAPERCLIP_AGENT_ID;
const COMPANY_ID = env.PAPERCLIP_COMPANY_ID;

/** One API call. Writes carry X-Paperclip-Run-Id; the key only ever travels in the header. */
async function call(step, method, path, { json, form, expect = [200] } = {}) {
  const headers = { authorization: `Bearer ${env.PAPERCLIP_API_KEY}` };
  if (method !== "GET") headers["x-paperclip-run-id"] = RUN_ID;
  let body;
  if (json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form) body = form;
  const res = await fetch(API + path, { method, headers, body });
  const text = await res.text();
  console.log(JSON.stringify({ step, method, path, status: res.status }));
  if (!expect.includes(res.status)) {
    console.log(JSON.stringify({ step, error: `unexpected ${res.status}`, body: text.slice(0, 500) }));
    process.exit(1);
  }
  return text ? JSON.parse(text) : null;
}

const issueLink = (issue) => `[${issue.identifier}](/${issue.identifier.split("-")[0]}/issues/${issue.identifier})`;

// Step 1: identity.
const me = await call("identity", "GET", "/agents/me");

// Step 2: approval follow-up. The approval and its linked issues decide this heartbeat.
if (env.PAPERCLIP_APPROVAL_ID) {
  const approval = await call("approval", "GET", `/approvals/${env.PAPERCLIP_APPROVAL_ID}`);
  const linked = await call("approval-issues", "GET", `/approvals/${approval.id}/issues`);
  const prefix = linked[0]?.identifier.split("-")[0] ?? "";
  const approvalLink = `[approval ${approval.id.slice(0, 8)}](/${prefix}/approvals/${approval.id})`;
  for (const issue of linked) {
    if (approval.status === "approved") {
      await call("approval-close", "PATCH", `/issues/${issue.id}`, {
        json: { status: "done", comment: `Approved by the board: ${approvalLink}. ${issueLink(issue)} is complete.` },
      });
      // Resolved for the person who asked: take it out of their inbox (reversible, audited).
      await call("inbox-archive", "POST", `/issues/${issue.id}/inbox-archive`);
    } else {
      await call("approval-comment", "POST", `/issues/${issue.id}/comments`, {
        json: {
          body: `The board answered ${approvalLink} with \`${approval.status}\`; ${issueLink(issue)} stays open until the request is revised.`,
        },
        expect: [201],
      });
    }
  }
  process.exit(0);
}

// Step 3: assignments, compact.
const inbox = await call("inbox-lite", "GET", "/agents/me/inbox-lite");

// Step 4: pick work — the woken task first, then in_progress, then todo. Nothing assigned: exit.
const rank = { in_progress: 0, in_review: 1, todo: 2 };
const task =
  inbox.find((i) => i.id === env.PAPERCLIP_TASK_ID) ??
  inbox.filter((i) => i.status in rank).sort((a, b) => rank[a.status] - rank[b.status])[0];
if (!task) process.exit(0);

// Step 5: checkout (a 409 means another agent holds it: stop, never retry).
await call("checkout", "POST", `/issues/${task.id}/checkout`, {
  json: { agentId: me.id, expectedStatuses: ["todo", "backlog", "blocked", "in_review", "in_progress"] },
});

// Step 6: context, compact.
const context = await call("heartbeat-context", "GET", `/issues/${task.id}/heartbeat-context`);
const issue = context.issue;

// Step 7: the work, with durable evidence.
const plan = await call("plan", "PUT", `/issues/${issue.id}/documents/plan`, {
  json: {
    title: "Plan",
    format: "markdown",
    body: `# Plan for ${issue.identifier}\n\n1. Split off the checks.\n2. Ask the board before spending.\n`,
    baseRevisionId: null,
  },
  expect: [200, 201],
});
const child = await call("subtask", "POST", `/companies/${COMPANY_ID}/issues`, {
  json: {
    title: `Checks for ${issue.identifier}`,
    parentId: issue.id,
    goalId: issue.goalId ?? undefined,
    assigneeAgentId: AGENT_ID,
    status: "backlog",
  },
  expect: [201],
});
const form = new FormData();
form.append("file", new Blob([`findings for ${issue.identifier}\n`], { type: "text/plain" }), "findings.txt");
const attachment = await call("attachment", "POST", `/companies/${COMPANY_ID}/issues/${issue.id}/attachments`, { form, expect: [201] });
const interaction = await call("interaction", "POST", `/issues/${issue.id}/interactions`, {
  json: {
    kind: "request_confirmation",
    idempotencyKey: `confirmation:${issue.id}:plan:${plan.latestRevisionId}`,
    continuationPolicy: "wake_assignee",
    title: "Accept the plan?",
    payload: { version: 1, prompt: "Accept the plan for this task?", acceptLabel: "Accept plan", rejectLabel: "Request changes" },
  },
  expect: [201],
});
const approval = await call("approval-request", "POST", `/companies/${COMPANY_ID}/approvals`, {
  json: {
    type: "request_board_approval",
    requestedByAgentId: AGENT_ID,
    issueIds: [issue.id],
    payload: {
      title: `Spend for ${issue.identifier}`,
      summary: "About $5 of compute.",
      recommendedAction: "Approve and continue.",
      risks: ["None known."],
    },
  },
  expect: [201],
});
await call("comment", "POST", `/issues/${issue.id}/comments`, {
  json: {
    body: [
      "## Update",
      "",
      `- Plan: [plan](/${issue.identifier.split("-")[0]}/issues/${issue.identifier}#document-plan)`,
      `- Sub-task: ${issueLink(child)}`,
      `- Attachment: ${attachment.originalFilename ?? "findings.txt"}`,
      `- Waiting on: the plan confirmation (${interaction.id.slice(0, 8)}) and the board approval (${approval.id.slice(0, 8)})`,
    ].join("\n"),
  },
  expect: [201],
});

// Step 8: an explicit waiting posture (a pending interaction and a linked approval) -> in_review,
// labelled so the board finds it.
const labels = await call("labels", "GET", `/companies/${COMPANY_ID}/labels`);
const label =
  labels.find((l) => l.name === "needs-board") ??
  (await call("label-create", "POST", `/companies/${COMPANY_ID}/labels`, {
    json: { name: "needs-board", color: "#d97706" },
    expect: [201],
  }));
await call("in-review", "PATCH", `/issues/${issue.id}`, {
  json: {
    status: "in_review",
    labelIds: [...new Set([...(issue.labelIds ?? []), label.id])],
    comment: "Waiting for the board's decision.",
  },
});
