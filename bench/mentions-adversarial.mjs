// Mention parsing on adversarial comments (probe D5: `[@` × 49,999 once stalled the server ~6 s).
// Every shape is as large as a comment may be (100,000 characters). Two figures per shape: the
// parser alone (best of 5, from the built server in apps/server/dist), and one real server:
// POST the comment while /api/health is polled, so a blocked event loop shows as health latency.
// Prints one JSON object.
import path from "node:path";
import { pathToFileURL } from "node:url";
import { api, freePort, ROOT, round, startServer, stopServer, tempHome } from "./lib.mjs";

const MAX_COMMENT = 100_000;
const AGENT_NAMES = ["Echo", "Echo Bot", "a"];

const fill = (unit) => unit.repeat(Math.floor(MAX_COMMENT / unit.length));
function shapes(agentId) {
  return {
    bracketAt: "[@".repeat(49_999),
    at: "@".repeat(MAX_COMMENT),
    linkPrefix: fill("[@a](agent://"),
    truncatedLink: fill(`[@a](agent://${agentId.slice(0, 35)}`),
    longDisplayText: `[@${"x".repeat(MAX_COMMENT - 2)}`,
    everyWordAMention: fill(" @a"),
    everyWordALink: fill(`[@a](agent://${agentId}) `),
    unfinishedNames: fill(" @Echo Bo"),
  };
}

async function parseOnly() {
  const { parseMentions } = await import(pathToFileURL(path.join(ROOT, "apps/server/dist/issues/mentions.js")).href);
  const agents = AGENT_NAMES.map((name, i) => ({
    id: `aaaaaaaa-0000-4000-8000-00000000000${i + 1}`,
    name,
    urlKey: name.toLowerCase().replace(/ /g, "-"),
  }));
  const out = {};
  for (const [shape, body] of Object.entries(shapes(agents[0].id))) {
    let best = Infinity;
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      parseMentions(body, agents);
      best = Math.min(best, performance.now() - t0);
    }
    out[shape] = round(best, 2);
  }
  return out;
}

async function throughServer() {
  const home = tempHome("mentions");
  const { child, url, boardToken } = await startServer({ home, port: await freePort() });
  try {
    const company = await api(url, "POST", "/api/companies", { name: `Bench mentions ${Date.now()}` });
    const agents = [];
    for (const name of AGENT_NAMES)
      agents.push(
        await api(url, "POST", `/api/companies/${company.id}/agents`, {
          name,
          role: "engineer",
          adapterType: "process",
          adapterConfig: { command: "/bin/true" },
        }),
      );
    const issue = await api(url, "POST", `/api/companies/${company.id}/issues`, { title: "Adversarial comments", status: "backlog" });
    const out = {};
    for (const [shape, body] of Object.entries(shapes(agents[0].id))) {
      let worstHealthMs = 0;
      let posting = true;
      const poll = (async () => {
        for (let i = 0; posting && i < 10_000; i++) {
          const t0 = performance.now();
          await fetch(`${url}/api/health`, { headers: { authorization: `Bearer ${boardToken}` } });
          worstHealthMs = Math.max(worstHealthMs, performance.now() - t0);
        }
      })();
      const t0 = performance.now();
      await api(url, "POST", `/api/issues/${issue.id}/comments`, { body });
      const commentMs = performance.now() - t0;
      posting = false;
      await poll;
      out[shape] = { commentMs: round(commentMs, 1), worstHealthMs: round(worstHealthMs, 1) };
    }
    return out;
  } finally {
    await stopServer(child);
  }
}

export async function runMentionsAdversarial() {
  return {
    workload: "mentions-adversarial",
    commentChars: MAX_COMMENT,
    parseMs: await parseOnly(),
    server: await throughServer(),
    // The parser is linear: each shape should parse in a few milliseconds (the probe saw ~6,000 ms).
    targets: { parseMs: 50 },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await runMentionsAdversarial(), null, 2));
}
