/**
 * The loaders of the pages a person lands on (a bookmark, a reload, a shared link). The route table
 * (app.tsx) renders them lazily and the boot prefetch (lib/boot-prefetch.ts) starts them before the
 * first render; both call these same functions, so the bundler emits one chunk per page. A chunk
 * that has finished loading is kept, so a page whose chunk is already here renders without
 * suspending first (loadedPage).
 */
const loaded = new Map<string, unknown>();

function chunk<M>(name: string, load: () => Promise<M>): () => Promise<M> {
  return () =>
    load().then((module) => {
      loaded.set(name, module);
      return module;
    });
}

export const pageChunks = {
  dashboard: chunk("dashboard", () => import("../pages/dashboard.js")),
  inbox: chunk("inbox", () => import("../pages/inbox.js")),
  issues: chunk("issues", () => import("../pages/issues.js")),
  issue: chunk("issue", () => import("../pages/issue.js")),
};

export type PageChunk = keyof typeof pageChunks;

/** The page's module, if its chunk has finished loading (undefined until then). */
export function loadedPage<K extends PageChunk>(name: K): Awaited<ReturnType<(typeof pageChunks)[K]>> | undefined {
  return loaded.get(name) as Awaited<ReturnType<(typeof pageChunks)[K]>> | undefined;
}
