// W3: first start on an empty home until /api/health is ok, then a restart on the existing data;
// `--reps N` fresh homes (default 3), medians. Embedded database only (the workload is about the
// zero-setup store); it starts Staple itself, so `--base` does not apply.
import fs from "node:fs";
import { figure, freePort, isMain, median, parseArgs, report, round, startServer, stopServer, tempHome } from "./lib.mjs";

export const W3_TARGETS = { restartMs: 1000, firstStartMs: 1500 };

export async function runW3({ reps = 3 } = {}) {
  const first = [];
  const restart = [];
  for (let i = 0; i < reps; i++) {
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
  const r = {
    workload: "W3",
    database: "embedded",
    reps,
    restartMs: round(median(restart), 0),
    firstStartMs: round(median(first), 0),
    samples: { firstStartMs: first.map((v) => round(v, 0)), restartMs: restart.map((v) => round(v, 0)) },
    targets: W3_TARGETS,
  };
  r.figures = [
    figure("restart → health ok", r.restartMs, "ms", W3_TARGETS.restartMs),
    figure("first start", r.firstStartMs, "ms", W3_TARGETS.firstStartMs),
  ];
  return r;
}

if (isMain(import.meta.url)) {
  const { reps } = parseArgs();
  report(await runW3({ reps: reps ?? 3 }));
}
