/** Done over total of a set of issues; cancelled issues count in neither (they will never be done). */
export interface Progress {
  done: number;
  total: number;
}

export function progressOf(issues: readonly { status: string }[]): Progress {
  let done = 0;
  let total = 0;
  for (const i of issues) {
    if (i.status === "cancelled") continue;
    total += 1;
    if (i.status === "done") done += 1;
  }
  return { done, total };
}

/** Progress per key (project or goal id) over a company's issues; issues without a key are skipped. */
export function progressBy<T extends { status: string }>(
  issues: readonly T[],
  key: (issue: T) => string | null | undefined,
): Map<string, Progress> {
  const out = new Map<string, Progress>();
  for (const i of issues) {
    const k = key(i);
    if (!k || i.status === "cancelled") continue;
    const p = out.get(k) ?? { done: 0, total: 0 };
    p.total += 1;
    if (i.status === "done") p.done += 1;
    out.set(k, p);
  }
  return out;
}

export function progressPercent(p: Progress): number {
  return p.total ? Math.round((p.done / p.total) * 100) : 0;
}
