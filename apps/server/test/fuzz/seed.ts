import { mulberry32 } from "../../../../test-support/prng.js";

/**
 * One seed drives the whole lane: FUZZ_SEED when set (replay), else a fresh one that is printed so
 * the run can be replayed. Each operation derives its own seed from it and its name, so replaying a
 * single operation (`-t`) draws the same inputs as in the full run.
 */
function readSeed(): number {
  const raw = process.env.FUZZ_SEED;
  if (raw !== undefined && raw.trim() !== "") {
    const n = Number(raw);
    if (!Number.isSafeInteger(n)) throw new Error(`FUZZ_SEED must be an integer, got ${JSON.stringify(raw)}`);
    return n | 0;
  }
  return (Math.random() * 0x7fffffff) | 0;
}

export const FUZZ_SEED = readSeed();

/** FNV-1a over the name, mixed with the lane seed: a stable 32-bit seed per operation. */
export function seedFor(name: string): number {
  let h = 0x811c9dc5 ^ FUZZ_SEED;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h | 0;
}

/** Small deterministic PRNG (mulberry32) for table cases that need "random" values. */
export const prng = mulberry32;

export function uuidFrom(rand: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(rand() * 16).toString(16)).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
}

/** Per-lane bounds: FUZZ_RUNS property runs per operation and actor (default keeps the lane ~3 min on 2 cores). */
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 15);
