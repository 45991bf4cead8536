// Process-wide V8 settings of the server process, set before its modules load (main.ts imports this
// first). Not used by in-process tests or tools that import the server's modules.
import v8 from "node:v8";

/**
 * V8's young generation does not grow past its initial size (1-2 MB; V8's default doubles it, up
 * to 32 MB, whenever enough objects survive, which loading the server's modules does at every
 * start). Grown, it stays committed and resident: on W4's idle server (docs/performance.md) 32 MB
 * of the 60 MB of V8 heap was the young generation, 5 MB of it in use. With this flag restart time
 * measured the same. Short-lived objects still die young; objects that survive two scavenges are
 * promoted sooner. STAPLE_V8_YOUNG_GROWTH=1 keeps V8's default.
 */
export const YOUNG_GENERATION_FLAG = "--semi-space-growth-factor=1";

if (process.env.STAPLE_V8_YOUNG_GROWTH !== "1") v8.setFlagsFromString(YOUNG_GENERATION_FLAG);
