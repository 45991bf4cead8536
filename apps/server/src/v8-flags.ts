import v8 from "node:v8";

// The server process's V8 settings (set by process-flags.ts before any of its modules load) and the
// embedded database's, which in-process users of the database (tests, tools) set on first open.

/**
 * V8's young generation does not grow past its initial size (1-2 MB; V8's default doubles it, up
 * to 32 MB, whenever enough objects survive, which loading the server's modules does at every
 * start). Grown, it stays committed and resident: on W4's idle server (docs/performance.md) 32 MB
 * of the 60 MB of V8 heap was the young generation, 5 MB of it in use. With this flag restart time
 * measured the same. Short-lived objects still die young; objects that survive two scavenges are
 * promoted sooner. STAPLE_V8_YOUNG_GROWTH=1 keeps V8's default.
 */
export const YOUNG_GENERATION_FLAG = "--semi-space-growth-factor=1";

/**
 * PGlite's WebAssembly (Postgres) is compiled by V8's baseline compiler only (Liftoff), without
 * the optimising tier. The optimised code of this large module and its compilation (in the
 * background, competing for the cores at start) cost far more than they return here: measured
 * (docs/performance.md, same minute, W4 data) restart 1.81 → 1.33 s and idle PSS 228 → 159 MiB,
 * W2 and the W1 list no slower. The flag is process-wide and read when a module is compiled, so it
 * is set before the first PGlite is created; STAPLE_EMBEDDED_WASM_TIER_UP=1 keeps V8's default.
 */
export const EMBEDDED_WASM_FLAG = "--liftoff-only";

let wasmFlagSet = false;
export function useBaselineWasmCompiler(): void {
  if (wasmFlagSet || process.env.STAPLE_EMBEDDED_WASM_TIER_UP === "1") return;
  v8.setFlagsFromString(EMBEDDED_WASM_FLAG);
  wasmFlagSet = true;
}
