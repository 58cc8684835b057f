import { CHART, chartLayout, chartSummary, niceCeiling, renderChartSvg, shortCount, type DayPoint } from '../../src/status/chart';

const BASELINE = CHART.height - CHART.bottom;
const PLOT_H = CHART.height - CHART.top - CHART.bottom;

function days(n: number, fill: (i: number) => Partial<DayPoint> = () => ({})): DayPoint[] {
  return Array.from({ length: n }, (_, i) => ({
    day: `2025-03-${String(i + 1).padStart(2, '0')}`,
    items: 0,
    refused: 0,
    overCap: false,
    ...fill(i),
  }));
}

describe('niceCeiling', () => {
  test.each([
    [0, 1],
    [7, 8],
    [110, 120],
    [220_000, 250_000],
    [1100, 1200],
    [9_100, 10_000],
    [1_000_000, 1_000_000],
  ])('when the highest value is %d, then the axis ends at %d', (value, expected) => {
    expect(niceCeiling(value)).toBe(expected);
  });
});

describe('chart layout', () => {
  test('when items are under the cap, then the axis still reaches above the cap line and bars scale linearly', () => {
    const layout = chartLayout({ days: days(30, (i) => ({ items: i === 10 ? 500 : i === 11 ? 250 : 0 })), cap: 1000 });
    expect(layout.yMax).toBe(1200); // 1000 × 1.1 rounded up to a round number
    expect(layout.capY).toBeCloseTo(BASELINE - (PLOT_H * 1000) / 1200, 0);
    const [a, b] = [layout.bars[10]!, layout.bars[11]!];
    expect(a.items.height).toBeCloseTo(2 * b.items.height, 0);
    expect(a.items.y + a.items.height).toBeCloseTo(BASELINE, 0);
    expect(layout.bars[0]!.items.height).toBe(0); // an empty day draws nothing
  });

  test('when a day went over the cap, then its refused items stack above its items and cross the cap line', () => {
    const layout = chartLayout({ days: days(30, (i) => (i === 5 ? { items: 900, refused: 300, overCap: true } : {})), cap: 1000 });
    const bar = layout.bars[5]!;
    expect(bar.overCap).toBe(true);
    expect(bar.refused.y + bar.refused.height).toBeCloseTo(bar.items.y, 0);
    expect(bar.refused.y).toBeLessThan(layout.capY); // its top is above the cap line
    expect(layout.yMax).toBeGreaterThanOrEqual(1200 * 1.1);
  });

  test('when one item meets a cap of 200,000, then its bar is still visible', () => {
    const layout = chartLayout({ days: days(30, (i) => ({ items: i === 0 ? 1 : 0 })), cap: 200_000 });
    expect(layout.bars[0]!.items.height).toBeGreaterThanOrEqual(2);
  });

  test('when there are 30 days, then bars stay inside the plot, in day order, and today is labelled', () => {
    const layout = chartLayout({ days: days(30), cap: 10 });
    expect(layout.bars).toHaveLength(30);
    for (let i = 1; i < 30; i++) expect(layout.bars[i]!.x).toBeGreaterThan(layout.bars[i - 1]!.x);
    const last = layout.bars[29]!;
    expect(layout.bars[0]!.x).toBeGreaterThanOrEqual(CHART.left);
    expect(last.x + last.width).toBeLessThanOrEqual(CHART.width - CHART.right);
    expect(layout.labelled).toContain(29);
    expect(layout.labelled).toEqual([1, 8, 15, 22, 29]);
  });
});

describe('chart SVG', () => {
  const input = {
    days: days(30, (i) => (i === 3 ? { items: 1000, refused: 20, overCap: true } : i === 4 ? { items: 10 } : {})),
    cap: 1000,
    title: 'Items per UTC day for job <job&1>',
    idPrefix: 'chart-0',
  };

  test('when rendered, then it is an accessible image named by its title and described in words', () => {
    const svg = renderChartSvg(input);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('role="img" aria-labelledby="chart-0-title chart-0-desc"');
    expect(svg).toContain('<title id="chart-0-title">Items per UTC day for job &lt;job&amp;1&gt;</title>');
    expect(svg).toMatch(/<desc id="chart-0-desc">[^<]*Over the cap[^<]*2025-03-04\.<\/desc>/);
  });

  test('when a day is over the cap, then only that day carries the marker and its tooltip says so', () => {
    const svg = renderChartSvg(input);
    expect(svg.match(/data-over-cap="true"/g)).toHaveLength(1);
    expect(svg.match(/class="over-cap"/g)).toHaveLength(1);
    expect(svg).toContain('<g data-day="2025-03-04" data-items="1000" data-over-cap="true"><title>2025-03-04: 1,000 items, 20 refused: over the daily cap</title>');
    expect(svg).toContain('<title>2025-03-05: 10 items</title>');
    expect(svg.match(/<g data-day=/g)).toHaveLength(30);
  });

  test('when rendered, then nothing in it needs an inline style or script (the CSP allows neither)', () => {
    const svg = renderChartSvg(input);
    expect(svg).not.toMatch(/style=|<style|<script|on[a-z]+=|href=/i);
  });

  test('when ids would clash with the page, then the prefix is reduced to safe characters', () => {
    const svg = renderChartSvg({ ...input, idPrefix: 'chart "x" <1>' });
    expect(svg).toContain('aria-labelledby="chart__x___1_-title chart__x___1_-desc"');
  });
});

describe('chart summary and labels', () => {
  test('when no day has items, then the summary says so instead of naming a busiest day', () => {
    expect(chartSummary({ days: days(3), cap: 200_000 })).toBe(
      '0 items from 2025-03-01 to 2025-03-03 (UTC); the daily cap is 200,000. No items were counted. No day went over the cap.',
    );
  });

  test.each([
    [0, '0'],
    [950, '950'],
    [1000, '1k'],
    [125_000, '125k'],
    [2_500_000, '2.5M'],
  ])('when an axis value is %d, then it is written %s', (n, text) => {
    expect(shortCount(n)).toBe(text);
  });
});
