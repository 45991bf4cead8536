import { useId } from "react";
import type { DayPoint } from "../lib/costs.js";
import { formatCents } from "../lib/format.js";

const W = 640;
const H = 160;
const PAD = { top: 4, right: 0, bottom: 1, left: 0 };

/**
 * Spend per day as inline SVG bars (no chart library), stretched to the width (dates are HTML
 * under it, so text never scales with the bars). The SVG is one labelled image whose label
 * names the total and the busiest day; the exact figures are a table under "Show as table".
 */
export function SpendChart({ points }: { points: readonly DayPoint[] }) {
  const tableId = useId();
  if (points.length === 0) return <p className="muted">No days in this period.</p>;
  const max = Math.max(...points.map((p) => p.costCents));
  const total = points.reduce((s, p) => s + p.costCents, 0);
  const peak = points.find((p) => p.costCents === max)!;
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const slot = innerW / points.length;
  // Few days: bars stay slim instead of filling the width.
  const bar = Math.max(1, Math.min(slot * 0.75, 28));
  const label =
    total === 0
      ? `Spend per day, ${points[0]!.date} to ${points.at(-1)!.date}: no spend`
      : `Spend per day, ${points[0]!.date} to ${points.at(-1)!.date}: ${formatCents(total)} in total, most on ${peak.date} (${formatCents(max)})`;
  return (
    <figure className="spend-chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label} preserveAspectRatio="none">
        <line x1={PAD.left} x2={W - PAD.right} y1={H - PAD.bottom} y2={H - PAD.bottom} className="axis" />
        {points.map((p, i) => {
          const h = max > 0 ? (p.costCents / max) * innerH : 0;
          return (
            <rect
              key={p.date}
              x={PAD.left + i * slot + (slot - bar) / 2}
              y={H - PAD.bottom - h}
              width={bar}
              height={Math.max(h, p.costCents > 0 ? 1 : 0)}
              className="bar"
            >
              <title>{`${p.date}: ${formatCents(p.costCents)}`}</title>
            </rect>
          );
        })}
      </svg>
      <div className="spend-chart-axis muted small" aria-hidden="true">
        <span>{points[0]!.date}</span>
        {points.length > 1 ? <span>{points.at(-1)!.date}</span> : null}
      </div>
      <figcaption className="muted small">
        Most in a day: {formatCents(max)}
        {max > 0 ? ` (${peak.date})` : ""}
      </figcaption>
      <details>
        <summary>Show as table</summary>
        <table className="table" id={tableId} aria-label="Spend per day">
          <thead>
            <tr>
              <th scope="col">Day (UTC)</th>
              <th scope="col" className="num">
                Cost
              </th>
              <th scope="col" className="num">
                Tokens
              </th>
            </tr>
          </thead>
          <tbody>
            {points
              .filter((p) => p.costCents > 0 || p.tokens > 0)
              .map((p) => (
                <tr key={p.date}>
                  <td>{p.date}</td>
                  <td className="num">{formatCents(p.costCents)}</td>
                  <td className="num">{p.tokens.toLocaleString("en-US")}</td>
                </tr>
              ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
