/**
 * Builds (or finds) the Alertmanager that the alert tests run, ahead of the tests, so the one-time
 * build (~2-3 min) shows its progress on its own line instead of inside a test hook.
 * Usage: npx tsx scripts/prepare-alertmanager.ts
 */
import { alertmanagerBinary } from '../dev/alertmanager.js';

const started = Date.now();
try {
  const binary = await alertmanagerBinary({ log: (msg) => console.log(msg) });
  console.log(`Alertmanager ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${binary}`);
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
}
