/**
 * Vitest global setup: one database server for the whole run (MONGODB_URI, mongodb-memory-server
 * or FerretDB; see dev/database.ts). Each test file gets its own database via
 * test/support/db.ts, so files can run in parallel against the same server.
 */
import type { TestProject } from 'vitest/node';
import { startDatabase } from '../dev/database.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const db = await startDatabase({ uri: process.env.MONGODB_URI, log: (msg) => console.log(`[db] ${msg}`) });
  project.provide('mongoUri', db.uri);
  // Also in the environment, for code that cannot use vitest's inject() (forked workers inherit it).
  process.env.TEST_MONGODB_URI = db.uri;
  return async () => {
    await db.stop();
  };
}
