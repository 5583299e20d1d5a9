/**
 * The chart process (src/reports/render-charts.ts): draws the charts it is sent, answers with their
 * PNGs (or why one cannot be drawn) and exits, taking Vega, Vega-Lite, the font tables and resvg with it.
 */
import { renderPngsHere, type VegaLiteSpec } from './chart.js';

process.once('message', (specs: VegaLiteSpec[]) => {
  void renderPngsHere(specs).then(
    (pngs) => process.send?.({ pngs }, () => process.exit(0)),
    (err: unknown) => process.send?.({ error: err instanceof Error ? err.message : String(err) }, () => process.exit(1)),
  );
});
