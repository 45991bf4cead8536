/** At most this many pull-request URLs are taken from one run's output. */
export const MAX_PR_URLS_PER_RUN = 20;

export interface PullRequestRef {
  url: string;
  provider: "github" | "gitlab";
  /** `owner/repo#12` (GitHub) or `group/project!12` (GitLab). */
  externalId: string;
  number: number;
}

// Host, path and number of GitHub pull requests and GitLab merge requests (any host for GitLab,
// whose instances are often self-hosted; the `/-/merge_requests/` path is specific to it).
const GITHUB_PR = /https:\/\/github\.com\/([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)\/pull\/(\d+)/g;
const GITLAB_MR = /https:\/\/([A-Za-z0-9.-]+(?::\d+)?)\/((?:[A-Za-z0-9_.-]+\/)+[A-Za-z0-9_.-]+)\/-\/merge_requests\/(\d+)/g;

/** Pure: the pull/merge request URLs in `text`, normalised (no query, fragment or trailing path), deduplicated. */
export function findPullRequestUrls(text: string): PullRequestRef[] {
  const found = new Map<string, PullRequestRef>();
  for (const m of text.matchAll(GITHUB_PR)) {
    const [, owner, repo, num] = m;
    const url = `https://github.com/${owner}/${repo}/pull/${num}`;
    found.set(url, { url, provider: "github", externalId: `${owner}/${repo}#${num}`, number: Number(num) });
  }
  for (const m of text.matchAll(GITLAB_MR)) {
    const [, host, project, num] = m;
    const url = `https://${host}/${project}/-/merge_requests/${num}`;
    found.set(url, { url, provider: "gitlab", externalId: `${project}!${num}`, number: Number(num) });
  }
  return [...found.values()];
}

/**
 * Collects pull-request URLs from a run's output as it streams. The last unfinished word of a chunk
 * is held until the next one, so a URL split across chunks is found whole (never a prefix of it,
 * such as pull/4 of pull/42); bounded in size and count.
 */
export function createPullRequestCollector() {
  const urls = new Map<string, PullRequestRef>();
  let pending = "";
  const scan = (text: string) => {
    for (const pr of findPullRequestUrls(text)) if (urls.size < MAX_PR_URLS_PER_RUN) urls.set(pr.url, pr);
  };
  return {
    push(chunk: string) {
      if (urls.size >= MAX_PR_URLS_PER_RUN) return;
      const text = pending + chunk;
      const cut = text.search(/\S*$/);
      const held = text.slice(cut);
      if (held.length > 500) {
        scan(text);
        pending = "";
        return;
      }
      scan(text.slice(0, cut));
      pending = held;
    },
    found(): PullRequestRef[] {
      if (pending) scan(pending);
      pending = "";
      return [...urls.values()];
    },
  };
}
