/**
 * The "items per UTC day against the daily cap" chart, as SVG markup built on the server: no
 * chart library, no CDN, and nothing the page's CSP (style-src 'self') would block — colours and
 * fonts are presentation attributes, never `style`. Layout is computed separately from the markup
 * so that the arithmetic can be tested without parsing SVG.
 */

export interface DayPoint {
  /** YYYY-MM-DD (UTC). */
  day: string;
  /** Items counted for the day (accepted by the cap). */
  items: number;
  /** Items refused for the day because the job's total would have exceeded the cap. */
  refused: number;
  overCap: boolean;
}

export interface ChartInput {
  days: DayPoint[];
  cap: number;
  /** Names the chart for screen readers (e.g. the job and account). */
  title: string;
  /** Makes element ids unique when several charts share a page. */
  idPrefix: string;
}

export const CHART = { width: 720, height: 260, left: 64, right: 16, top: 36, bottom: 44 } as const;
const PLOT_W = CHART.width - CHART.left - CHART.right;
const PLOT_H = CHART.height - CHART.top - CHART.bottom;
/** A day with any item stays visible even next to a cap of 200,000. */
const MIN_BAR_PX = 2;

export const COLOURS = {
  // The page's accent and error colours: both above 4.5:1 on white.
  items: '#0b5cad',
  refused: '#a4262c',
  cap: '#1b1b1b',
  grid: '#d2d0ce',
  text: '#1b1b1b',
} as const;

export interface BarLayout {
  day: string;
  x: number;
  width: number;
  items: { y: number; height: number };
  refused: { y: number; height: number };
  overCap: boolean;
}

export interface ChartLayout {
  yMax: number;
  capY: number;
  bars: BarLayout[];
  ticks: { value: number; y: number }[];
  /** Indexes of the days whose date is written under the axis. */
  labelled: number[];
}

/** The smallest "round" number (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 × 10^n) at or above value. */
export function niceCeiling(value: number): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) {
    if (step * magnitude >= value) return step * magnitude;
  }
  return 10 * magnitude;
}

const round = (n: number): number => Math.round(n * 10) / 10;

export function chartLayout(input: Pick<ChartInput, 'days' | 'cap'>): ChartLayout {
  const { days, cap } = input;
  const highest = Math.max(cap, ...days.map((d) => d.items + d.refused));
  // The cap line always shows, with headroom above it for days that went over.
  const yMax = niceCeiling(highest * 1.1);
  const scale = (n: number): number => (n / yMax) * PLOT_H;
  const baseline = CHART.top + PLOT_H;
  const slot = days.length ? PLOT_W / days.length : PLOT_W;
  const width = Math.max(2, slot * 0.7);

  const bars = days.map((d, i) => {
    const itemsH = d.items > 0 ? Math.max(MIN_BAR_PX, scale(d.items)) : 0;
    const refusedH = d.refused > 0 ? Math.max(MIN_BAR_PX, scale(d.refused)) : 0;
    return {
      day: d.day,
      x: round(CHART.left + i * slot + (slot - width) / 2),
      width: round(width),
      items: { y: round(baseline - itemsH), height: round(itemsH) },
      refused: { y: round(baseline - itemsH - refusedH), height: round(refusedH) },
      overCap: d.overCap,
    };
  });
  const ticks = [0, yMax / 2, yMax].map((value) => ({ value, y: round(baseline - scale(value)) }));
  // One date a week, counted back from the newest day so that "today" is always labelled.
  const labelled = days.map((_, i) => i).filter((i) => (days.length - 1 - i) % 7 === 0);
  return { yMax, capY: round(baseline - scale(cap)), bars, ticks, labelled };
}

const escapeXml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);

export const formatCount = (n: number): string => n.toLocaleString('en-US');

/** Compact axis labels: 200000 → "200k". */
export function shortCount(n: number): string {
  if (n >= 1_000_000) return `${round(n / 1_000_000)}M`;
  if (n >= 1_000) return `${round(n / 1_000)}k`;
  return String(round(n));
}

/** One sentence a screen reader can use instead of the picture. */
export function chartSummary(input: Pick<ChartInput, 'days' | 'cap'>): string {
  const total = input.days.reduce((sum, d) => sum + d.items, 0);
  const busiest = input.days.reduce<DayPoint | undefined>((best, d) => (!best || d.items > best.items ? d : best), undefined);
  const over = input.days.filter((d) => d.overCap).map((d) => d.day);
  const first = input.days[0]?.day ?? '';
  const last = input.days[input.days.length - 1]?.day ?? '';
  const parts = [
    `${formatCount(total)} items from ${first} to ${last} (UTC); the daily cap is ${formatCount(input.cap)}.`,
    busiest && busiest.items > 0 ? `Busiest day: ${busiest.day} with ${formatCount(busiest.items)} items.` : 'No items were counted.',
    over.length ? `Over the cap (none of that day's refused items imported): ${over.join(', ')}.` : 'No day went over the cap.',
  ];
  return parts.join(' ');
}

function barTitle(d: DayPoint): string {
  const base = `${d.day}: ${formatCount(d.items)} items`;
  if (!d.overCap) return base;
  return `${base}, ${formatCount(d.refused)} refused: over the daily cap`;
}

export function renderChartSvg(input: ChartInput): string {
  const layout = chartLayout(input);
  const id = input.idPrefix.replace(/[^A-Za-z0-9_-]/g, '_');
  const baseline = CHART.top + PLOT_H;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${CHART.width} ${CHART.height}" width="${CHART.width}" height="${CHART.height}" ` +
      `role="img" aria-labelledby="${id}-title ${id}-desc" font-family="Segoe UI, system-ui, sans-serif" font-size="13" fill="${COLOURS.text}">`,
    `<title id="${id}-title">${escapeXml(input.title)}</title>`,
    `<desc id="${id}-desc">${escapeXml(chartSummary(input))}</desc>`,
  );
  // Legend: shapes and words, so colour is never the only cue.
  out.push(
    `<g class="legend" aria-hidden="true">`,
    `<rect x="${CHART.left}" y="8" width="12" height="12" fill="${COLOURS.items}"/><text x="${CHART.left + 18}" y="18">items</text>`,
    `<rect x="${CHART.left + 70}" y="8" width="12" height="12" fill="${COLOURS.refused}"/><text x="${CHART.left + 88}" y="18">refused (over cap, marked ▼)</text>`,
    `<line x1="${CHART.left + 292}" y1="14" x2="${CHART.left + 322}" y2="14" stroke="${COLOURS.cap}" stroke-width="2" stroke-dasharray="6 4"/>` +
      `<text x="${CHART.left + 328}" y="18">daily cap ${escapeXml(formatCount(input.cap))}</text>`,
    `</g>`,
  );
  out.push(`<g class="axis" aria-hidden="true">`);
  for (const t of layout.ticks) {
    out.push(
      `<line x1="${CHART.left}" y1="${t.y}" x2="${CHART.width - CHART.right}" y2="${t.y}" stroke="${COLOURS.grid}" stroke-width="1"/>`,
      `<text x="${CHART.left - 6}" y="${t.y + 4}" text-anchor="end">${escapeXml(shortCount(t.value))}</text>`,
    );
  }
  for (const i of layout.labelled) {
    const bar = layout.bars[i]!;
    out.push(`<text x="${round(bar.x + bar.width / 2)}" y="${baseline + 18}" text-anchor="middle">${bar.day.slice(5)}</text>`);
  }
  out.push(`<text x="${CHART.left + PLOT_W / 2}" y="${CHART.height - 6}" text-anchor="middle">UTC day (month-day)</text>`, `</g>`);

  out.push(`<g class="bars">`);
  input.days.forEach((d, i) => {
    const bar = layout.bars[i]!;
    out.push(`<g data-day="${d.day}" data-items="${d.items}" data-over-cap="${d.overCap}"><title>${escapeXml(barTitle(d))}</title>`);
    if (bar.items.height > 0) {
      out.push(`<rect x="${bar.x}" y="${bar.items.y}" width="${bar.width}" height="${bar.items.height}" fill="${COLOURS.items}"/>`);
    }
    if (bar.refused.height > 0) {
      out.push(`<rect x="${bar.x}" y="${bar.refused.y}" width="${bar.width}" height="${bar.refused.height}" fill="${COLOURS.refused}"/>`);
    }
    if (d.overCap) {
      const top = Math.min(bar.refused.height > 0 ? bar.refused.y : bar.items.y, layout.capY);
      const cx = round(bar.x + bar.width / 2);
      out.push(
        `<path class="over-cap" d="M ${round(cx - 6)} ${round(top - 12)} L ${round(cx + 6)} ${round(top - 12)} L ${cx} ${round(top - 2)} Z" fill="${COLOURS.refused}"/>`,
      );
    }
    out.push(`</g>`);
  });
  out.push(`</g>`);

  out.push(
    `<line class="cap" x1="${CHART.left}" y1="${layout.capY}" x2="${CHART.width - CHART.right}" y2="${layout.capY}" stroke="${COLOURS.cap}" stroke-width="2" stroke-dasharray="6 4"/>`,
    `<line x1="${CHART.left}" y1="${baseline}" x2="${CHART.width - CHART.right}" y2="${baseline}" stroke="${COLOURS.text}" stroke-width="1"/>`,
    `</svg>`,
  );
  return out.join('');
}
