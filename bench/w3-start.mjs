// W3 (performance-targets.md): first start on an empty data dir until /api/health is ok, then a
// restart on the existing data. Three fresh instances; medians. Embedded database only (the
// workload is about the zero-setup store). Prints one JSON object.
import fs from "node:fs";
import { freePort, median, round, startServer, stopServer, tempHome } from "./lib.mjs";

export async function runW3({ repeats = 3 } = {}) {
  const first = [];
  const restart = [];
  for (let i = 0; i < repeats; i++) {
    const home = tempHome("w3");
    const port = await freePort();
    const a = await startServer({ home, port });
    first.push(a.readyMs);
    await stopServer(a.child);
    const b = await startServer({ home, port });
    restart.push(b.readyMs);
    await stopServer(b.child);
    fs.rmSync(home, { recursive: true, force: true });
  }
  return {
    workload: "W3",
    database: "embedded",
    firstStartMs: round(median(first), 0),
    restartMs: round(median(restart), 0),
    samples: { firstStartMs: first.map((v) => round(v, 0)), restartMs: restart.map((v) => round(v, 0)) },
    targets: { firstStartMs: 3000, restartMs: 1500 },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await runW3(), null, 2));
}
