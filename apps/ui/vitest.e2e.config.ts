import { defineConfig } from "vitest/config";

/** Browser tests: a real Staple server process and Chromium (playwright-core, system browser). */
export default defineConfig({
  test: {
    root: new URL(".", import.meta.url).pathname,
    include: ["test/e2e/**/*.test.ts"],
    pool: "forks",
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 90_000,
  },
});
