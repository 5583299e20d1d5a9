/**
 * Gets the embedded database ready ahead of the tests (downloads mongod or builds FerretDB once)
 * and checks that it starts, so CI shows that progress on its own line instead of inside a
 * test hook. Usage: npx tsx scripts/prepare-db.ts
 */
import { startDatabase } from '../dev/database.js';

const started = Date.now();
try {
  const db = await startDatabase({ uri: process.env.MONGODB_URI, log: (msg) => console.log(msg) });
  await db.stop();
  console.log(`Database ready (${db.kind}) in ${((Date.now() - started) / 1000).toFixed(1)} s: ${db.describe}`);
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
}
