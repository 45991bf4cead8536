import path from "node:path";
import { defineConfig } from "vitest/config";

const root = path.dirname(new URL(import.meta.url).pathname);

export default defineConfig({
  resolve: {
    alias: {
      "@staple/contracts": path.join(root, "packages/contracts/src/index.ts"),
      "@staple/api-client": path.join(root, "packages/api-client/src/index.ts"),
      // Browser-safe config subpaths; listed before the package names, which would also match them.
      "@staple/adapter-kit/config": path.join(root, "packages/adapter-kit/src/config-fields.ts"),
      "@staple/adapter-process/config": path.join(root, "packages/adapters/process/src/config.ts"),
      "@staple/adapter-http/config": path.join(root, "packages/adapters/http/src/config.ts"),
      "@staple/adapter-claude/config": path.join(root, "packages/adapters/claude/src/config.ts"),
      "@staple/adapter-codex/config": path.join(root, "packages/adapters/codex/src/config.ts"),
      "@staple/adapter-kit": path.join(root, "packages/adapter-kit/src/index.ts"),
      "@staple/adapter-process": path.join(root, "packages/adapters/process/src/index.ts"),
      "@staple/adapter-http": path.join(root, "packages/adapters/http/src/index.ts"),
      "@staple/adapter-claude": path.join(root, "packages/adapters/claude/src/index.ts"),
      "@staple/adapter-codex": path.join(root, "packages/adapters/codex/src/index.ts"),
    },
  },
  test: {
    // Board component tests are .tsx and choose jsdom with a `// @vitest-environment jsdom` first line.
    include: [
      "apps/*/test/**/*.test.ts",
      "apps/ui/test/**/*.test.tsx",
      "apps/*/src/**/*.test.ts",
      "packages/*/src/**/*.test.ts",
      "packages/*/test/**/*.test.ts",
      "packages/adapters/*/src/**/*.test.ts",
      "packages/adapters/*/test/**/*.test.ts",
    ],
    exclude: ["**/node_modules/**", "**/dist/**", "apps/*/test/crash/**", "apps/*/test/e2e/**", "apps/*/test/fuzz/**"],
    globalSetup: ["apps/server/test/helpers/global-setup.ts"],
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
