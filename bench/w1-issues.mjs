// W1 (performance-targets.md): 1,000 sequential issue creates, then list the default page
// (10 warm-up + 100 timed) and ?limit=1000 (10 warm-up + 50 timed). Prints one JSON object.
import { api, freePort, percentile, round, startServer, stopServer, tempHome } from "./lib.mjs";

const PRIORITIES = ["critical", "high", "medium", "low"];

export async function runW1({ databaseUrl } = {}) {
  const home = tempHome("w1");
  const { child, url } = await startServer({ home, port: await freePort(), databaseUrl });
  try {
    const company = await api(url, "POST", "/api/companies", { name: `Bench W1 ${Date.now()}` });
    const createMs = [];
    const createStart = performance.now();
    for (let i = 0; i < 1000; i++) {
      const body = {
        title: `Bench issue ${i}`,
        description: `Benchmark issue number ${i} with a short description.`,
        status: i % 5 === 0 ? "backlog" : "todo",
        priority: PRIORITIES[i % 4],
      };
      const t0 = performance.now();
      await api(url, "POST", `/api/companies/${company.id}/issues`, body);
      createMs.push(performance.now() - t0);
    }
    const createTotalS = (performance.now() - createStart) / 1000;

    const timeList = async (query, warmup, timed) => {
      for (let i = 0; i < warmup; i++) await api(url, "GET", `/api/companies/${company.id}/issues${query}`);
      const ms = [];
      let count = 0;
      for (let i = 0; i < timed; i++) {
        const t0 = performance.now();
        const rows = await api(url, "GET", `/api/companies/${company.id}/issues${query}`);
        ms.push(performance.now() - t0);
        count = rows.length;
      }
      return { ms, count };
    };
    const page = await timeList("", 10, 100);
    const all = await timeList("?limit=1000", 10, 50);
    return {
      workload: "W1",
      database: databaseUrl ? "postgres" : "embedded",
      createP50Ms: round(percentile(createMs, 50)),
      createP95Ms: round(percentile(createMs, 95)),
      createThroughputPerS: round(1000 / createTotalS, 1),
      listDefaultItems: page.count,
      listDefaultP50Ms: round(percentile(page.ms, 50)),
      listDefaultP95Ms: round(percentile(page.ms, 95)),
      list1000Items: all.count,
      list1000P50Ms: round(percentile(all.ms, 50)),
      list1000P95Ms: round(percentile(all.ms, 95)),
      targets: {
        createP50Ms: 4,
        createP95Ms: 8,
        createThroughputPerS: 250,
        listDefaultP50Ms: 15,
        listDefaultP95Ms: 25,
        list1000P50Ms: 25,
        list1000P95Ms: 40,
      },
    };
  } finally {
    await stopServer(child);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await runW1({ databaseUrl: process.env.BENCH_DATABASE_URL }), null, 2));
}
