/**
 * The chart process (src/reports/render-charts.ts): draws the charts it is sent, answers with their
 * PNGs (or why one cannot be drawn) and exits, taking Vega, Vega-Lite, the font tables and resvg with it.
 */
import { renderPng, type VegaLiteSpec } from './chart.js';

process.once('message', (specs: VegaLiteSpec[]) => {
  void (async () => {
    const pngs: Buffer[] = [];
    for (const spec of specs) pngs.push(await renderPng(spec));
    return { pngs };
  })().then(
    (answer) => process.send?.(answer, () => process.exit(0)),
    (err: unknown) => process.send?.({ error: err instanceof Error ? err.message : String(err) }, () => process.exit(1)),
  );
});
