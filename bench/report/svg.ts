// A horizontal bar chart as a standalone SVG: one bar per row at the median,
// a whisker from min to max, the value printed at the bar's end. Small
// enough to write by hand; no chart library earns its place for this.

export interface Bar {
  readonly label: string;
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** Highlight (floatlb) or not (peers, the ceiling). */
  readonly ours?: boolean;
}

export interface ChartSpec {
  readonly title: string;
  readonly unit: string;
  readonly bars: readonly Bar[];
  /** A vertical reference line (e.g. 1.0 for a ratio). */
  readonly reference?: { readonly value: number; readonly label: string };
}

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function label(x: number): string {
  if (x >= 1000) return Math.round(x).toLocaleString('en-US');
  return Number(x.toPrecision(3)).toString();
}

export function barChart(c: ChartSpec): string {
  const labelW = 300;
  const plotW = 420;
  const row = 26;
  const top = 44;
  const h = top + c.bars.length * row + 34;
  const w = labelW + plotW + 90;
  const maxV = Math.max(1e-9, ...c.bars.map((b) => b.max), c.reference?.value ?? 0) * 1.05;
  const x = (v: number) => labelW + (v / maxV) * plotW;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif" font-size="12">`,
    `<rect width="${w}" height="${h}" fill="#fff"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">${esc(c.title)}</text>`,
  ];
  c.bars.forEach((b, i) => {
    const y = top + i * row;
    const fill = b.ours ? '#2f6fb0' : '#9a9a9a';
    out.push(
      `<text x="${labelW - 8}" y="${y + 15}" text-anchor="end">${esc(b.label)}</text>`,
      `<rect x="${labelW}" y="${y + 4}" width="${Math.max(0.5, x(b.median) - labelW).toFixed(1)}" height="16" fill="${fill}"/>`,
      `<line x1="${x(b.min).toFixed(1)}" x2="${x(b.max).toFixed(1)}" y1="${y + 12}" y2="${y + 12}" stroke="#000" stroke-width="1.2"/>`,
      `<line x1="${x(b.min).toFixed(1)}" x2="${x(b.min).toFixed(1)}" y1="${y + 7}" y2="${y + 17}" stroke="#000"/>`,
      `<line x1="${x(b.max).toFixed(1)}" x2="${x(b.max).toFixed(1)}" y1="${y + 7}" y2="${y + 17}" stroke="#000"/>`,
      `<text x="${(x(b.max) + 6).toFixed(1)}" y="${y + 16}">${label(b.median)}</text>`,
    );
  });
  const axisY = top + c.bars.length * row + 4;
  out.push(`<line x1="${labelW}" x2="${labelW + plotW}" y1="${axisY}" y2="${axisY}" stroke="#444"/>`);
  for (let k = 0; k <= 4; k++) {
    const v = (maxV / 1.05) * (k / 4);
    out.push(
      `<text x="${x(v).toFixed(1)}" y="${axisY + 16}" text-anchor="middle" fill="#444">${label(v)}</text>`,
    );
  }
  out.push(
    `<text x="${labelW + plotW}" y="${axisY + 30}" text-anchor="end" fill="#444">${esc(c.unit)}</text>`,
  );
  if (c.reference) {
    const rx = x(c.reference.value).toFixed(1);
    out.push(
      `<line x1="${rx}" x2="${rx}" y1="${top - 4}" y2="${axisY}" stroke="#c0392b" stroke-dasharray="4 3"/>`,
      `<text x="${rx}" y="${top - 8}" text-anchor="middle" fill="#c0392b">${esc(c.reference.label)}</text>`,
    );
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
