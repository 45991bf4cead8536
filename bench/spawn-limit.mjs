// The machine's process-creation limit, W2's physical floor: Node starts 200 `/bin/true`, 20 in
// flight, and waits for each to exit. W2 is reported as a ratio to this, measured in the same run.
import { spawn } from "node:child_process";
import { isMain, median, parseArgs, round } from "./lib.mjs";

export const TRUE_BIN = "/bin/true";

export async function spawnLimitOnce(total = 200, inFlight = 20) {
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < total) {
      next++;
      await new Promise((resolve, reject) => {
        const child = spawn(TRUE_BIN, [], { stdio: "ignore" });
        child.once("error", reject);
        child.once("exit", resolve);
      });
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return performance.now() - t0;
}

/** Median of `reps` measurements, in ms, with the samples. */
export async function spawnLimit(reps = 3) {
  await spawnLimitOnce(20, 20); // warm-up
  const samples = [];
  for (let i = 0; i < reps; i++) samples.push(await spawnLimitOnce());
  return { ms: round(median(samples), 0), samples: samples.map((s) => round(s, 0)) };
}

if (isMain(import.meta.url)) {
  const { reps } = parseArgs();
  const r = await spawnLimit(reps ?? 5);
  console.log(JSON.stringify({ workload: "spawn-limit", processes: 200, inFlight: 20, ...r, perS: round(200 / (r.ms / 1000), 1) }));
}
