import { defineConfig } from "vitest/config";
import base from "./vitest.config.js";

/**
 * The fuzz lane (`npm run test:fuzz`): every operation of the generated OpenAPI document with
 * hostile inputs, as the board and as an agent, plus a few raw-socket probes of a real server.
 * vitest.config.ts excludes these files from `npm test`; this config runs only them, with the same
 * aliases and global setup. FUZZ_SEED replays a run; FUZZ_RUNS sets the random requests per
 * operation and actor. Server error logs are turned on so each 5xx is reported with its log line.
 */
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ["apps/*/test/fuzz/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/dist/**"],
    env: { STAPLE_TEST_LOG_LEVEL: "error" },
    // The board and agent files are each single-threaded (in-process app and database): two workers
    // use both cores of a 2-core runner, where vitest's default would run the files one after another.
    maxWorkers: 2,
    testTimeout: 180_000,
    hookTimeout: 120_000,
  },
});
