import { randomBytes } from 'node:crypto';
import mongoose from 'mongoose';
import { inject } from 'vitest';

export interface TestDb {
  uri: string;
  dbName: string;
  conn: mongoose.Connection;
  /** Drops the database and closes the connection; call it in afterAll. */
  drop(): Promise<void>;
}

/** URI of the run's shared server, started by test/global-setup.ts. */
export function testMongoUri(): string {
  // inject() is undefined when the global setup did not run (e.g. another vitest config).
  const uri = (inject('mongoUri') as string | undefined) ?? process.env.TEST_MONGODB_URI;
  if (!uri) throw new Error('No test database: test/global-setup.ts did not run (check vitest.config.ts)');
  return uri;
}

/** A fresh, uniquely named database on the run's shared server; `monitorCommands` for tests that count its commands. */
export async function connectTestDb(options: { monitorCommands?: boolean } = {}): Promise<TestDb> {
  const uri = testMongoUri();
  // Short, lowercase, [a-z0-9_]: valid on MongoDB and FerretDB alike.
  const dbName = `t_${randomBytes(6).toString('hex')}`;
  const conn = await mongoose.createConnection(uri, { dbName, ...options }).asPromise();
  return {
    uri,
    dbName,
    conn,
    async drop() {
      try {
        await conn.dropDatabase();
      } finally {
        await conn.close();
      }
    },
  };
}
