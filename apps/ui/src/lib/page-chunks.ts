/**
 * The loaders of the pages a person lands on (a bookmark, a reload, a shared link). The route table
 * (app.tsx) renders them lazily and the boot prefetch (lib/boot-prefetch.ts) starts them before the
 * first render; both call these same functions, so the bundler emits one chunk per page.
 */
export const pageChunks = {
  dashboard: () => import("../pages/dashboard.js"),
  inbox: () => import("../pages/inbox.js"),
  issues: () => import("../pages/issues.js"),
  issue: () => import("../pages/issue.js"),
};
