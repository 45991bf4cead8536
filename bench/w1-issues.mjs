// W1: 1,000 sequential issue creates (split over the repetitions), then the list of all 1,000
// issues (?limit=1000) and the default page, each repetition 5 warm-up + 30 timed calls. Every
// figure is the median over repetitions of that repetition's percentile. The list is also timed
// right after each of 30 issue updates (`list1000AfterChangeP50Ms`, no target): a server answers an
// unchanged list from the page it kept, and builds it again after any change.
// `node bench/w1-issues.mjs [--base URL --token T] [--reps N] [--postgres]`
import { api, figure, isMain, medianOf, parseArgs, percentile, repeat, report, round, withServer } from "./lib.mjs";

const PRIORITIES = ["critical", "high", "medium", "low"];
export const W1_TARGETS = { createP50Ms: 3, list1000P50Ms: 15, list1000P95Ms: 25 };

export async function runW1({ databaseUrl, base, token, reps = 3 } = {}) {
  return withServer({ base, token, databaseUrl, label: "w1" }, async ({ url }) => {
    const company = await api(url, "POST", "/api/companies", { name: `Bench W1 ${Date.now()}` });
    const perRep = Math.ceil(1000 / reps);
    let made = 0;
    const creates = await repeat(reps, async () => {
      const ms = [];
      for (let i = 0; i < perRep && made < 1000; i++, made++) {
        const t0 = performance.now();
        await api(url, "POST", `/api/companies/${company.id}/issues`, {
          title: `Bench issue ${made}`,
          description: `Benchmark issue number ${made} with a short description.`,
          status: made % 5 === 0 ? "backlog" : "todo",
          priority: PRIORITIES[made % 4],
        });
        ms.push(performance.now() - t0);
      }
      return { p50: percentile(ms, 50), p95: percentile(ms, 95), perS: ms.length / (ms.reduce((a, b) => a + b, 0) / 1000) };
    });
    const timeList = async (query) => {
      for (let i = 0; i < 5; i++) await api(url, "GET", `/api/companies/${company.id}/issues${query}`);
      const ms = [];
      let count = 0;
      for (let i = 0; i < 30; i++) {
        const t0 = performance.now();
        const rows = await api(url, "GET", `/api/companies/${company.id}/issues${query}`);
        ms.push(performance.now() - t0);
        count = rows.length;
      }
      return { p50: percentile(ms, 50), p95: percentile(ms, 95), count };
    };
    const all = await repeat(reps, () => timeList("?limit=1000"));
    const page = await repeat(reps, () => timeList(""));
    const listed = await api(url, "GET", `/api/companies/${company.id}/issues?limit=1000`);
    let edits = 0;
    const afterChange = await repeat(reps, async () => {
      const ms = [];
      for (let i = 0; i < 30; i++, edits++) {
        await api(url, "PATCH", `/api/issues/${listed[edits % listed.length].id}`, { title: `Bench issue edited ${edits}` });
        const t0 = performance.now();
        await api(url, "GET", `/api/companies/${company.id}/issues?limit=1000`);
        ms.push(performance.now() - t0);
      }
      return { p50: percentile(ms, 50) };
    });
    const r = {
      workload: "W1",
      database: base ? `external ${base}` : databaseUrl ? "postgres" : "embedded",
      reps,
      createP50Ms: medianOf(creates, "p50"),
      createP95Ms: medianOf(creates, "p95"),
      createThroughputPerS: medianOf(creates, "perS"),
      list1000Items: all[0].count,
      list1000P50Ms: medianOf(all, "p50"),
      list1000P95Ms: medianOf(all, "p95"),
      listDefaultItems: page[0].count,
      listDefaultP50Ms: medianOf(page, "p50"),
      listDefaultP95Ms: medianOf(page, "p95"),
      list1000AfterChangeP50Ms: medianOf(afterChange, "p50"),
      samples: { createP50Ms: creates.map((c) => round(c.p50)), list1000P50Ms: all.map((c) => round(c.p50)) },
      targets: W1_TARGETS,
    };
    r.figures = [
      figure("create p50", r.createP50Ms, "ms", W1_TARGETS.createP50Ms),
      figure("list 1000 p50", r.list1000P50Ms, "ms", W1_TARGETS.list1000P50Ms),
      figure("p95", r.list1000P95Ms, "ms", W1_TARGETS.list1000P95Ms),
      figure("list after a change p50", r.list1000AfterChangeP50Ms, "ms"),
    ];
    return r;
  });
}

if (isMain(import.meta.url)) {
  const args = parseArgs();
  report(await runW1({ ...args, reps: args.reps ?? 3 }));
}
