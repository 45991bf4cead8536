// Process-wide V8 settings of the server process, set before its modules load (main.ts imports this
// first). Not used by in-process tests or tools that import the server's modules. See v8-flags.ts.
//
// All of them are set here, before the first chunk of the bundle is compiled: V8 accepts a code
// cache (bundle-loader.ts) only under the flags it was written with, and the cache is written
// after start, so a flag set later in the start (the embedded database used to set its own when it
// opened) made the cache of the chunks compiled before it useless at every start. So the baseline
// WebAssembly compiler is chosen here on Postgres too, where the only WebAssembly is undici's
// HTTP parser (outbound fetch); it runs on baseline code there as well.
import v8 from "node:v8";
import { useBaselineWasmCompiler, YOUNG_GENERATION_FLAG } from "./v8-flags.js";

if (process.env.STAPLE_V8_YOUNG_GROWTH !== "1") v8.setFlagsFromString(YOUNG_GENERATION_FLAG);
useBaselineWasmCompiler();
