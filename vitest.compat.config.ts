import { defineConfig } from "vitest/config";
import base from "./vitest.config.js";

/**
 * The Paperclip compatibility lane (compat/): the real `paperclipai` CLIs that compat/install.sh puts
 * in .compat-cache/, driven against a built server process (apps/server/dist). Not part of
 * `npm test` (vitest.config.ts includes only apps/ and packages/). One file per CLI version, each
 * with its own server, run side by side on two workers; no database template is needed, so no
 * global setup.
 */
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ["compat/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/dist/**", ".compat-cache/**"],
    globalSetup: [],
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
