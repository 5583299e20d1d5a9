/**
 * Report charts drawn in a child process that exits once they are drawn. Vega, Vega-Lite, fontkit's
 * font tables and resvg take about 100 MB once loaded, and neither V8 nor the C allocator gives it
 * back: a bot that drew last month's report went from about 135 MB to 245 MB resident and stayed
 * there, under every burst that followed (issue 11 asks for 300 MB at most). A worker thread did not
 * help (the memory stayed with the process); a process of its own gives it all back when it exits.
 * Running from the TypeScript sources (the tests, tsx), where there is no compiled file to start the
 * child from, the charts are drawn in this process instead.
 */
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderPngsHere, type VegaLiteSpec } from './chart.js';

const CHILD = fileURLToPath(new URL('./chart-worker.js', import.meta.url));
/** A chart process that has not answered by then is stopped, and the report fails saying so. */
const CHILD_TIMEOUT_MS = 120_000;

/** Whether charts are drawn in a process of their own here: the compiled bot (`npm start`'s .build/, the image's dist/). */
export function chartsInChildProcess(): boolean {
  return existsSync(CHILD);
}

/** PNGs of the charts, in order; a chart that cannot be drawn fails them all with its reason. */
export async function renderPngs(specs: VegaLiteSpec[]): Promise<Buffer[]> {
  if (!chartsInChildProcess()) return renderPngsHere(specs);
  const child = fork(CHILD, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let timer: NodeJS.Timeout | undefined;
  try {
    const answer = await new Promise<{ pngs?: Uint8Array[]; error?: string }>((resolve, reject) => {
      child.once('message', (message) => resolve(message as { pngs?: Uint8Array[]; error?: string }));
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`the chart process exited (code ${code}) without drawing the charts`)));
      timer = setTimeout(() => reject(new Error(`the chart process did not answer within ${CHILD_TIMEOUT_MS / 1000} s`)), CHILD_TIMEOUT_MS);
      child.send(specs);
    });
    if (answer.error !== undefined || !answer.pngs) throw new Error(answer.error ?? 'the chart process gave no charts');
    return answer.pngs.map((png) => Buffer.from(png.buffer, png.byteOffset, png.byteLength));
  } finally {
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) child.kill();
  }
}
