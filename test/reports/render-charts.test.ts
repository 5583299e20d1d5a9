import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BUILT = join(ROOT, '.build', 'src', 'reports');
const run = promisify(execFile);

/**
 * The compiled bot (`npm start` runs `.build/`) draws a report's charts in a process of its own, so
 * the 100 MB that Vega, Vega-Lite, the fonts and resvg take is given back once they are drawn. Run in
 * a node process of its own, on the build `npm start` makes, as the bot runs it.
 */
async function drawInNode(how: 'renderPngs' | 'renderPng', specs: string): Promise<{ before: number; after: number; pngs: string[]; error?: string }> {
  const script = join(mkdtempSync(join(tmpdir(), 'charts-')), 'draw.mjs');
  writeFileSync(script, `
    const { renderPng } = await import(${JSON.stringify(pathToFileURL(join(BUILT, 'chart.js')).href)});
    const { renderPngs } = await import(${JSON.stringify(pathToFileURL(join(BUILT, 'render-charts.js')).href)});
    const specs = ${specs};
    const rss = () => process.memoryUsage().rss / 2 ** 20;
    const settle = async () => { for (let i = 0; i < 3; i++) { await new Promise((r) => setTimeout(r, 200)); globalThis.gc(); } };
    await settle();
    const before = rss();
    let pngs = [], error;
    try {
      if (${JSON.stringify(how)} === 'renderPngs') pngs = await renderPngs(specs);
      else for (const spec of specs) pngs.push(await renderPng(spec));
    } catch (err) { error = err.message; }
    await settle();
    console.log(JSON.stringify({ before, after: rss(), pngs: pngs.map((p) => p.subarray(0, 8).toString('hex')), error }));
  `);
  const { stdout } = await run(process.execPath, ['--expose-gc', script], { cwd: ROOT, timeout: 120_000 });
  return JSON.parse(stdout) as { before: number; after: number; pngs: string[]; error?: string };
}

const chart = (title: string) => ({
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  title,
  data: { values: [{ p: 'P1', n: 3 }, { p: 'P2', n: 5 }, { p: 'P3', n: 8 }] },
  mark: 'bar',
  encoding: { x: { field: 'p', type: 'nominal' }, y: { field: 'n', type: 'quantitative' } },
});

describe('report charts in the compiled bot', () => {
  beforeAll(async () => {
    await run(process.execPath, ['scripts/start.mjs', '--build-only'], { cwd: ROOT });
  }, 60_000);

  it('GIVEN six charts THEN they are drawn in a process of their own and the bot keeps none of their memory', async () => {
    const specs = JSON.stringify(['趋势 trend', 'overdue', 'means', 'lines', 'people', 'reporters'].map(chart));
    const apart = await drawInNode('renderPngs', specs);
    expect(apart.error).toBeUndefined();
    expect(apart.pngs).toEqual(Array(6).fill('89504e470d0a1a0a'));
    expect(apart.after - apart.before).toBeLessThan(20);
    // The same charts drawn in the bot's own process keep most of it.
    const inside = await drawInNode('renderPng', specs);
    expect(inside.pngs).toHaveLength(6);
    expect(inside.after - inside.before).toBeGreaterThan(40);
  }, 120_000);

  it('GIVEN a chart that cannot be drawn THEN the report fails with its reason', async () => {
    const specs = JSON.stringify([{ ...chart('remote data'), data: { url: 'https://example.com/data.json' } }]);
    const failed = await drawInNode('renderPngs', specs);
    expect(failed.error).toMatch(/report charts render offline/);
    expect(failed.pngs).toEqual([]);
  }, 120_000);
});
