import { defineConfig } from "vitest/config";
import base from "./vitest.config.js";

/**
 * The crash-test lane (`npm run test:crash`): real server processes killed with SIGKILL and
 * restarted on the same data. vitest.config.ts excludes these files from `npm test`; this config
 * runs only them, with the same aliases and global setup (arrays are replaced, not merged). The
 * files run one at a time: each starts, kills and restarts servers and agent processes.
 */
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ["apps/*/test/crash/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/dist/**"],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 120_000,
  },
});
