// A dependency-free SVG bar chart of sluice's advantage over each other library, one group of
// bars per metric. The scale is logarithmic around 1 (equal): bars to the right mean sluice is
// better (×2 = twice as good, whichever direction the metric runs), to the left worse.
import type { LibName } from '../adapters/types.js';
import { appliesTo } from '../scenarios/types.js';
import type { MetricResult } from './report.js';

const COLORS: Record<string, string> = { bullmq: '#e4572e', 'bee-queue': '#2e86ab' };
const ROW = 18;
const LABEL_W = 330;
const PLOT_W = 460;
const PAD = 16;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function tickLabel(exp: number): string {
  return exp >= 0 ? `×${2 ** exp}` : `×1/${2 ** -exp}`;
}

export function ratioChart(results: MetricResult[], libs: LibName[], title: string): string {
  const others = libs.filter((l) => l !== 'sluice');
  const shown = results.filter((m) => others.some((l) => m.ratio[l]));
  let maxExp = 1;
  for (const m of shown)
    for (const l of others) {
      const a = m.ratio[l]?.advantage;
      if (a) maxExp = Math.max(maxExp, Math.ceil(Math.abs(Math.log2(a))));
    }
  maxExp = Math.min(maxExp, 8);
  const x0 = PAD + LABEL_W;
  const cx = x0 + PLOT_W / 2;
  const scale = PLOT_W / 2 / maxExp;
  const xOf = (adv: number) => cx + Math.max(-maxExp, Math.min(maxExp, Math.log2(adv))) * scale;
  const groupH = others.length * ROW + 8;
  const top = 70;
  const height = top + shown.length * groupH + 40;
  const width = x0 + PLOT_W + 70;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      'font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">',
  );
  parts.push(`<rect width="100%" height="100%" fill="#fff"/>`);
  parts.push(`<text x="${PAD}" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`);
  parts.push(
    `<text x="${PAD}" y="40" fill="#555">` +
      'sluice advantage per metric (log scale; right of ×1 = sluice better, whichever way the metric runs)</text>',
  );
  others.forEach((lib, i) => {
    const lx = x0 + i * 130;
    parts.push(
      `<rect x="${lx}" y="50" width="12" height="12" fill="${COLORS[lib] ?? '#888'}"/><text x="${lx + 17}" y="60">vs ${esc(lib)}</text>`,
    );
  });
  for (let e = -maxExp; e <= maxExp; e++) {
    const x = cx + e * scale;
    parts.push(`<line x1="${x}" y1="${top - 4}" x2="${x}" y2="${height - 32}" stroke="${e === 0 ? '#333' : '#e3e3e3'}"/>`);
    parts.push(`<text x="${x}" y="${height - 16}" text-anchor="middle" fill="#555">${tickLabel(e)}</text>`);
  }
  shown.forEach((m, gi) => {
    const gy = top + gi * groupH;
    if (gi % 2 === 0)
      parts.push(`<rect x="${PAD}" y="${gy - 2}" width="${width - 2 * PAD}" height="${groupH - 4}" fill="#f6f6f6" opacity="0.6"/>`);
    const label = m.chart;
    parts.push(`<text x="${x0 - 8}" y="${gy + (others.length * ROW) / 2 + 2}" text-anchor="end">${esc(label)}</text>`);
    others.forEach((lib, li) => {
      const r = m.ratio[lib];
      const y = gy + li * ROW;
      if (!r) {
        // not applicable (the library lacks the feature), or no result (its turns failed)
        const why = !appliesTo(m, lib) ? 'n/a' : 'no result';
        parts.push(`<text x="${cx + 4}" y="${y + 12}" fill="#999">${why}</text>`);
        return;
      }
      const x = xOf(r.advantage);
      const left = Math.min(cx, x);
      const w = Math.max(1, Math.abs(x - cx));
      parts.push(
        `<rect x="${left.toFixed(1)}" y="${y + 2}" width="${w.toFixed(1)}" height="${ROW - 5}" fill="${COLORS[lib] ?? '#888'}">` +
          `<title>${esc(`${label} — sluice vs ${lib}: ×${r.advantage.toFixed(2)}`)}</title></rect>`,
      );
      // the value sits after a bar to the right, and just right of ×1 for a bar to the left
      const tx = x >= cx ? x + 4 : cx + 4;
      parts.push(`<text x="${tx.toFixed(1)}" y="${y + 12}" font-size="11">×${r.advantage.toFixed(2)}</text>`);
    });
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
