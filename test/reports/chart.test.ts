import { Resvg } from '@resvg/resvg-js';
import { describe, expect, it } from 'vitest';
import { barChartSpec, DEFAULT_SCALE, DEFAULT_WIDTH, lineChartSpec, renderPng, type BarChart, type VegaLiteSpec } from '../../src/reports/chart.js';
import { chartFonts } from '../../src/reports/fonts.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const NO_CJK = 'no CJK font found for the report charts: run `npx tsx scripts/prepare-fonts.ts` (or set REPORT_FONT)';

const byCategory: BarChart = {
  title: '本月事件 Incidents this month',
  x: '类别 Category',
  y: '事件数 Incidents',
  series: '优先级 Priority',
  rows: ['网络故障', 'Mail server', '数据库', 'VPN'].flatMap((label, i) =>
    ['P1', 'P2', 'P3', 'P4'].map((series, j) => ({ label, series, value: i + j * 3 })),
  ),
};

/** RGBA pixels of a PNG, decoded by resvg drawing it as an image. */
function pixels(png: Buffer): { width: number; height: number; rgba: Buffer } {
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<image width="${width}" height="${height}" href="data:image/png;base64,${png.toString('base64')}"/></svg>`;
  return { width, height, rgba: new Resvg(svg).render().pixels };
}

function inkedShare(png: Buffer): number {
  const { rgba } = pixels(png);
  let inked = 0;
  for (let i = 0; i < rgba.length; i += 4) if (rgba[i]! < 200 || rgba[i + 1]! < 200 || rgba[i + 2]! < 200) inked++;
  return inked / (rgba.length / 4);
}

function differingPixels(a: Buffer, b: Buffer): number {
  const pa = pixels(a).rgba;
  const pb = pixels(b).rgba;
  expect(pa.length).toBe(pb.length);
  let differing = 0;
  for (let i = 0; i < pa.length; i += 4) if (pa.readUInt32BE(i) !== pb.readUInt32BE(i)) differing++;
  return differing;
}

describe('report charts', () => {
  it('finds a font that draws Chinese', () => {
    let fonts;
    try {
      fonts = chartFonts();
    } catch (err) {
      throw new Error(`${NO_CJK}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    expect(fonts.cjk, `${NO_CJK}; fonts found: ${fonts.files.join(', ')}`).toBe(true);
  });

  it('declares the title, axis titles and legend title in the bar chart spec', () => {
    const spec = barChartSpec(byCategory);
    expect(spec).toMatchObject({
      title: { text: '本月事件 Incidents this month' },
      background: 'white',
      encoding: { x: { title: '类别 Category' }, y: { title: '事件数 Incidents' } },
    });
    expect(JSON.stringify(spec)).toContain('"title":"优先级 Priority"');
    // Value labels on the bars.
    expect(JSON.stringify(spec)).toContain('"type":"text"');
  });

  it('draws a grouped bar chart with Chinese and English labels as a PNG of width × scale pixels', async () => {
    const png = await renderPng(barChartSpec(byCategory), { width: 800, scale: 2 });
    expect(png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    expect(png.readUInt32BE(16)).toBe(1600);
    expect(inkedShare(png)).toBeGreaterThan(0.05);
  });

  it('draws stacked bars', async () => {
    const png = await renderPng(barChartSpec({ ...byCategory, stacked: true }), { scale: 1 });
    expect(png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    expect(inkedShare(png)).toBeGreaterThan(0.05);
  });

  it('draws a trend line between two periods', async () => {
    const spec = lineChartSpec({
      title: 'MTTR 趋势',
      x: '季度 Quarter',
      y: 'MTTR (h)',
      series: '优先级',
      points: ['P1', 'P2'].flatMap((series, j) => [
        { label: '2025 Q1', series, value: 2 + j },
        { label: '2025 Q2', series, value: 1.5 + j },
      ]),
    });
    expect(spec).toMatchObject({ title: { text: 'MTTR 趋势' }, encoding: { x: { title: '季度 Quarter' }, y: { title: 'MTTR (h)' } } });
    const png = await renderPng(spec);
    expect(png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    expect(png.readUInt32BE(16)).toBe(DEFAULT_WIDTH * DEFAULT_SCALE);
    expect(inkedShare(png)).toBeGreaterThan(0.01);
  });

  it('draws Chinese glyphs, not boxes: two different labels of the same width look different', async () => {
    // Same layout (Chinese characters are all one em wide), so only the label's pixels can differ;
    // a font without these characters draws the same empty boxes (or nothing) for both.
    const chart = (label: string) => barChartSpec({ title: 'Glyphs', x: 'x', y: 'y', rows: [{ label, value: 1 }] });
    const network = await renderPng(chart('网络'), { scale: 1 });
    const mail = await renderPng(chart('邮件'), { scale: 1 });
    expect(differingPixels(network, mail)).toBeGreaterThan(40);
  });

  it('refuses to draw Chinese with a Latin-only font instead of drawing boxes', async () => {
    const latin = { ...chartFonts(), cjk: false };
    const spec = barChartSpec({ title: 'Latin only', x: 'x', y: 'y', rows: [{ label: '网络', value: 1 }] });
    await expect(renderPng(spec, { fonts: latin })).rejects.toThrow(/prepare-fonts/);
  });

  it('loads nothing from the network: a chart that asks to fails', async () => {
    const spec: VegaLiteSpec = { data: { url: 'https://example.com/incidents.json' }, mark: 'bar', encoding: { x: { field: 'a', type: 'nominal' } } };
    await expect(renderPng(spec, { scale: 1 })).rejects.toThrow('render offline, but the chart asks to load https://example.com/incidents.json');
  });
});
