/**
 * `npm start`: the bot on a laptop, with no configuration. Without MONGODB_URI it first starts the
 * development database (dev/database.ts: mongodb-memory-server, else FerretDB; data kept under
 * `$DATA_DIR/db`, default `.data/db`), points MONGODB_URI at it and stops it when the bot exits.
 * With MONGODB_URI set it only runs the bot. The product itself (src/main.ts, and the Docker image
 * running `node dist/src/main.js`) never starts a database: see docs/deploy.md.
 */
import { resolve } from 'node:path';
import { createLogger } from '../src/logging.js';
import { DatabaseUnavailableError, startDatabase } from './database.js';

// With NODE_ENV=production the bot refuses to start without MONGODB_URI; no database is started for it.
if (!process.env.MONGODB_URI && process.env.NODE_ENV !== 'production') {
  const log = createLogger({
    level: process.env.LOG_LEVEL || 'info',
    pretty: process.stderr.isTTY,
  });
  try {
    const db = await startDatabase({
      dataDir: resolve(process.env.DATA_DIR || '.data', 'db'),
      log: (line) => log.info(line),
    });
    // main ends with process.exit(...), so the database is stopped from the 'exit' event (synchronously).
    process.on('exit', () => db.kill());
    log.info({ database: db.kind }, `development database: ${db.describe}`);
    process.env.MONGODB_URI = db.uri;
  } catch (err) {
    if (!(err instanceof DatabaseUnavailableError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}

await import('../src/main.js');
