/**
 * Label chips carry the company's own colours (`#rrggbb`), so the text on a chip is chosen per
 * colour: black or white, whichever has the higher WCAG contrast ratio against the background
 * (white wins ties, since most label palettes are saturated). A malformed colour falls back to the
 * board's neutral chip.
 */
const FALLBACK = { background: "#eef0f3", color: "#1d2330" } as const;

function channel(hex: string): number {
  const c = parseInt(hex, 16) / 255;
  return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

/** Relative luminance of `#rrggbb` (0 black … 1 white), or null for anything else. */
export function luminance(color: string): number | null {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  if (!m) return null;
  return 0.2126 * channel(m[1]!) + 0.7152 * channel(m[2]!) + 0.0722 * channel(m[3]!);
}

export function contrastRatio(a: number, b: number): number {
  const [hi, lo] = a > b ? [a, b] : [b, a];
  return (hi + 0.05) / (lo + 0.05);
}

/** Background and text colour of a chip for a label colour. */
export function labelChipColors(color: string): { background: string; color: string } {
  const l = luminance(color);
  if (l === null) return FALLBACK;
  const onWhite = contrastRatio(l, 1);
  const onBlack = contrastRatio(l, 0);
  return { background: color, color: onBlack > onWhite ? "#111111" : "#ffffff" };
}

/** Colours offered when a label is created inline (all readable with black or white text). */
export const LABEL_PALETTE = ["#4f46e5", "#0e7490", "#15803d", "#ca8a04", "#c2410c", "#be123c", "#7e22ce", "#475569"] as const;
