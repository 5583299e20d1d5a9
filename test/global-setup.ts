/**
 * Vitest global setup: one database server for the whole run (MONGODB_URI, mongodb-memory-server
 * or FerretDB; see dev/database.ts). Each test file gets its own database via
 * test/support/db.ts, so files can run in parallel against the same server.
 */
import type { TestProject } from 'vitest/node';
import { alertmanagerBinary } from '../dev/alertmanager.js';
import { startDatabase } from '../dev/database.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const db = await startDatabase({ uri: process.env.MONGODB_URI, log: (msg) => console.log(`[db] ${msg}`) });
  project.provide('mongoUri', db.uri);
  // Also in the environment, for code that cannot use vitest's inject() (forked workers inherit it).
  process.env.TEST_MONGODB_URI = db.uri;
  // Real Alertmanager for the alert tests (test/support/alertmanager.ts): built once per machine
  // into the user cache (~2-3 min), found instantly afterwards. A failure (no `go`) fails only the
  // tests that start one, with this reason, instead of the whole run.
  try {
    process.env.TEST_ALERTMANAGER_BIN = await alertmanagerBinary({ log: (msg) => console.log(`[alertmanager] ${msg}`) });
  } catch (err) {
    process.env.TEST_ALERTMANAGER_ERROR = err instanceof Error ? err.message : String(err);
    console.warn(`[alertmanager] not available: ${process.env.TEST_ALERTMANAGER_ERROR}`);
  }
  return async () => {
    await db.stop();
  };
}
