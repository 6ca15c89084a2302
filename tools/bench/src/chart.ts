/** A small SVG line chart (no dependencies): series of (x, y) points over a log2 x axis. */
export function lineChart(o: {
  title: string;
  xLabel: string;
  yLabel: string;
  xs: number[];
  series: { name: string; color: string; values: number[]; dashed?: boolean }[];
  yMax: number;
}): string {
  const [w, h, left, right, top, bottom] = [640, 380, 64, 150, 40, 56];
  const plotW = w - left - right;
  const plotH = h - top - bottom;
  const x = (i: number) => left + (o.xs.length === 1 ? 0 : (i / (o.xs.length - 1)) * plotW);
  const y = (v: number) => top + plotH - (v / o.yMax) * plotH;
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const yTicks = Array.from({ length: 6 }, (_, i) => (o.yMax / 5) * i);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif" font-size="12">`,
    `<rect width="${w}" height="${h}" fill="white"/>`,
    `<text x="${w / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(o.title)}</text>`,
    ...yTicks.map((v) => `<line x1="${left}" x2="${left + plotW}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e5e5"/>` +
      `<text x="${left - 8}" y="${y(v) + 4}" text-anchor="end">${Math.round(v).toLocaleString('en-US')}</text>`),
    ...o.xs.map((xv, i) => `<text x="${x(i)}" y="${top + plotH + 18}" text-anchor="middle">${xv}</text>`),
    `<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#333"/>`,
    `<line x1="${left}" x2="${left + plotW}" y1="${top + plotH}" y2="${top + plotH}" stroke="#333"/>`,
    `<text x="${left + plotW / 2}" y="${h - 14}" text-anchor="middle">${esc(o.xLabel)}</text>`,
    `<text transform="translate(16 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`,
  ];
  o.series.forEach((s, k) => {
    const points = s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="6 4"' : ''} points="${points}"/>`);
    if (!s.dashed) s.values.forEach((v, i) => parts.push(`<circle cx="${x(i)}" cy="${y(v)}" r="3.5" fill="${s.color}"/>`));
    const ly = top + 10 + k * 22;
    parts.push(`<line x1="${left + plotW + 16}" x2="${left + plotW + 40}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      `<text x="${left + plotW + 46}" y="${ly + 4}">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
