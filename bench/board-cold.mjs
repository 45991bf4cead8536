// Board cold load: headless Debian chromium (playwright-core with executablePath, as the browser
// tests do) opens the issues page of a company with 1,000 issues in a fresh browser context (empty
// HTTP cache, session cookie only); the figure is navigation start → first issue row visible, on the
// page's own clock (the frame after the first row was attached; Playwright's polled visibility check,
// which trails it by up to ~0.5 s, is reported beside it as harnessObservedMs).
// Also counts the JavaScript bytes transferred (as sent: compressed when the server compresses)
// and whether they came compressed (every file of 1 KiB or more). `--reps N` fresh contexts (default 5), median.
// `--base URL` opens that server's board instead (no sign-in: a local-trusted server).
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { chromium } from "playwright-core";
import { api, figure, isMain, median, parseArgs, report, round, withServer } from "./lib.mjs";

export const BOARD_TARGETS = { firstRowsMs: 500 };

function chromiumPath() {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  return execFileSync("sh", ["-c", "command -v chromium || command -v chromium-browser"], { encoding: "utf8" }).trim();
}

async function seedIssues(url, companyId, n) {
  let i = 0;
  const worker = async () => {
    while (i < n) {
      const k = i++;
      await api(url, "POST", `/api/companies/${companyId}/issues`, { title: `Board issue ${k}`, status: k % 3 === 0 ? "todo" : "backlog" });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

export async function runBoardCold({ base, token, reps = 5, issues = 1000 } = {}) {
  return withServer({ base, token, label: "board" }, async ({ url, home, external }) => {
    const company = await api(url, "POST", "/api/companies", { name: `Bench board ${Date.now()}` });
    await seedIssues(url, company.id, issues);
    const browser = await chromium.launch({
      executablePath: chromiumPath(),
      headless: true,
      args: ["--no-sandbox", "--disable-dev-shm-usage"],
    });
    try {
      let storageState;
      if (!external) {
        // Closed by default: sign in once with a one-time login link, keep only the cookie.
        const link = await api(url, "POST", "/api/board/login-links");
        const ctx = await browser.newContext();
        const p = await ctx.newPage();
        await p.goto(link.url);
        storageState = await ctx.storageState();
        await ctx.close();
      }
      const list = [];
      for (let i = 0; i < reps; i++) {
        const ctx = await browser.newContext({ storageState, viewport: { width: 1280, height: 860 } });
        // In the page, on the page's clock (navigation start = 0): when the first row was attached
        // and the frame after it began. Playwright checks for the visible row at backed-off intervals
        // (0, 20, 50, 100, 100, 500 ms apart), so the first figure can trail these by up to ~0.5 s.
        await ctx.addInitScript(() => {
          const seen = new MutationObserver(() => {
            if (!document.querySelector("tr[data-issue-id]")) return;
            seen.disconnect();
            window.__firstRowAttachedMs = performance.now();
            requestAnimationFrame(() => (window.__firstRowFrameMs = performance.now()));
          });
          seen.observe(document, { childList: true, subtree: true });
        });
        const page = await ctx.newPage();
        page.setDefaultTimeout(30_000);
        let t0 = performance.now();
        const js = [];
        // Where the time goes: the last script and the issues request, relative to navigation start.
        const at = { lastScriptMs: 0, issuesApiMs: null, apiRequests: 0 };
        page.on("response", (res) => {
          if (res.request().resourceType() === "script") js.push(res);
        });
        page.on("requestfinished", (req) => {
          const t = performance.now() - t0;
          if (req.resourceType() === "script") at.lastScriptMs = Math.max(at.lastScriptMs, t);
          if (new URL(req.url()).pathname.startsWith("/api/")) {
            at.apiRequests++;
            if (/\/api\/companies\/[^/]+\/issues$/.test(new URL(req.url()).pathname)) at.issuesApiMs ??= t;
          }
        });
        // BENCH_BOARD_PROFILE=file: a CPU profile of the page's main thread for the last load (DevTools format).
        const profiling = process.env.BENCH_BOARD_PROFILE && i === reps - 1 ? await ctx.newCDPSession(page) : null;
        if (profiling) {
          await profiling.send("Profiler.enable");
          await profiling.send("Profiler.setSamplingInterval", { interval: 200 });
          await profiling.send("Profiler.start");
        }
        t0 = performance.now();
        await page.goto(`${url}/c/${company.id}/issues`, { waitUntil: "commit" });
        await page.locator("tr[data-issue-id]").first().waitFor({ state: "visible" });
        const ms = performance.now() - t0;
        if (profiling) {
          const { profile } = await profiling.send("Profiler.stop");
          fs.writeFileSync(process.env.BENCH_BOARD_PROFILE, JSON.stringify(profile));
        }
        const inPage = await page.evaluate(() => ({ attached: window.__firstRowAttachedMs, frame: window.__firstRowFrameMs }));
        at.rowAttachedInPageMs = inPage.attached ?? null;
        at.rowFrameInPageMs = inPage.frame ?? null;
        // BENCH_BOARD_TRACE=1: the page's own timeline of each load (navigation, every resource's
        // request start → response end, first paint), printed to stderr, to see where the time goes.
        if (process.env.BENCH_BOARD_TRACE === "1") {
          const trace = await page.evaluate(() => {
            const r = (n) => Math.round(n);
            const [nav] = performance.getEntriesByType("navigation");
            const lines = [
              `navigation at ${new Date(performance.timeOrigin).toISOString()}: response ${r(nav.responseStart)}-${r(nav.responseEnd)}, DOMContentLoaded ${r(nav.domContentLoadedEventEnd)}`,
            ];
            for (const e of performance.getEntriesByType("resource"))
              lines.push(
                `${e.initiatorType.padEnd(9)} ${r(e.startTime)} → ${r(e.responseStart)} → ${r(e.responseEnd)}  ${e.transferSize}B  ${new URL(e.name).pathname}${new URL(e.name).search}`,
              );
            for (const e of performance.getEntriesByType("paint")) lines.push(`${e.name} ${r(e.startTime)}`);
            return lines;
          });
          process.stderr.write(
            `board trace (rep ${i + 1}, first row frame ${Math.round(at.rowFrameInPageMs)} ms):\n  ${trace.join("\n  ")}\n`,
          );
        }
        let bytes = 0;
        let compressed = js.length > 0;
        for (const res of js) {
          bytes += (await res.request().sizes()).responseBodySize;
          const enc = (await res.allHeaders())["content-encoding"];
          // Files under 1 KiB gain nothing from compression and builds leave them as they are.
          const size = Number((await res.allHeaders())["content-length"] ?? 0);
          if ((!enc || enc === "identity") && size >= 1024) compressed = false;
        }
        list.push({ ms, jsBytes: bytes, jsFiles: js.length, compressed, ...at });
        await ctx.close();
      }
      const r = {
        workload: "board",
        database: external ? `external ${url}` : "embedded",
        reps,
        issues,
        // The figure: on the page's own clock (navigation start = 0), the frame after the first row
        // was attached. Playwright's visibility check polls at backed-off intervals (up to 500 ms
        // apart), so what the harness observes (harnessObservedMs) trails it by that much.
        firstRowsMs: round(median(list.map((x) => x.rowFrameInPageMs ?? x.ms)), 0),
        harnessObservedMs: round(median(list.map((x) => x.ms)), 0),
        jsBytesTransferred: list[0].jsBytes,
        jsFiles: list[0].jsFiles,
        jsCompressed: list.every((x) => x.compressed),
        lastScriptLoadedMs: round(median(list.map((x) => x.lastScriptMs)), 0),
        issuesApiAnsweredMs: round(median(list.map((x) => x.issuesApiMs ?? Number.NaN)), 0),
        apiRequestsBeforeRows: list[0].apiRequests,
        // Page clock: the first row attached, and the frame after it (see the init script above).
        rowAttachedInPageMs: round(median(list.map((x) => x.rowAttachedInPageMs ?? Number.NaN)), 0),
        rowFrameInPageMs: round(median(list.map((x) => x.rowFrameInPageMs ?? Number.NaN)), 0),
        samples: {
          firstRowsMs: list.map((x) => round(x.rowFrameInPageMs ?? x.ms, 0)),
          harnessObservedMs: list.map((x) => round(x.ms, 0)),
        },
        targets: { ...BOARD_TARGETS, jsCompressed: true },
        home: home ?? undefined,
      };
      r.figures = [
        figure("issues page first rows, cold", r.firstRowsMs, "ms", BOARD_TARGETS.firstRowsMs),
        figure("JS transferred", round(r.jsBytesTransferred / 1024, 1), "KiB"),
        { ...figure("compressed", r.jsCompressed ? 1 : 0, "", 1, "higher"), value: r.jsCompressed ? "yes" : "no", targetLabel: "yes" },
      ];
      delete r.home;
      return r;
    } finally {
      await browser.close();
    }
  });
}

if (isMain(import.meta.url)) {
  const args = parseArgs();
  report(await runBoardCold({ ...args, reps: args.reps ?? 5 }));
}
