#!/usr/bin/env node
// A minimal Staple agent. Staple starts it once per heartbeat with:
//   PAPERCLIP_API_URL, PAPERCLIP_API_KEY (a token valid while this run lives), PAPERCLIP_RUN_ID,
//   PAPERCLIP_AGENT_ID, PAPERCLIP_TASK_ID (the issue it was woken for), PAPERCLIP_WAKE_REASON.
// The token is read from the environment and sent in a header: never put it on a command line.
const api = process.env.PAPERCLIP_API_URL;
const headers = {
  authorization: `Bearer ${process.env.PAPERCLIP_API_KEY}`,
  "x-paperclip-run-id": process.env.PAPERCLIP_RUN_ID,
  "content-type": "application/json",
};
const call = async (method, path, body) => {
  const res = await fetch(api + path, { method, headers, body: body && JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} -> ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
};

const me = await call("GET", "/api/agents/me");
console.log(`I am ${me.name}; woken because: ${process.env.PAPERCLIP_WAKE_REASON ?? "no reason given"}`);

const issueId = process.env.PAPERCLIP_TASK_ID;
if (!issueId) {
  console.log("No issue in this wake; nothing to do.");
  process.exit(0);
}
const issue = await call("GET", `/api/issues/${issueId}`);
console.log(`Working on ${issue.identifier}: ${issue.title}`);
if (issue.status === "done") process.exit(0);

// Staple checked the issue out for this run already (it is in_progress and locked to us).
await call("POST", `/api/issues/${issueId}/comments`, { body: `Hello from ${me.name}! I read "${issue.title}" and did it.` });
await call("PATCH", `/api/issues/${issueId}`, { status: "done" });
console.log(`${issue.identifier} is done.`);
