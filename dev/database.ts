/**
 * Development database: finds a MongoDB for `npm start` (dev/start.ts), the tests
 * (test/global-setup.ts) and the benchmarks — never used by the product, which takes MONGODB_URI
 * (see DESIGN.md, "MongoDB for tests and the embedded default"). In order: MONGODB_URI,
 * mongodb-memory-server, FerretDB built from the Go module proxy. Machines here reach only package
 * registries, so mongod usually cannot be downloaded and FerretDB (SQLite backend) is what runs;
 * elsewhere a real mongod is used.
 */
import { ferretDbCandidate } from './ferretdb.js';
import { memoryServerCandidate } from './memory-server.js';
import { errorMessage, oneLine, redact, type DatabaseCandidate, type StartedDatabase } from './support.js';

export type { CandidateOptions, DatabaseCandidate, DatabaseKind, StartedDatabase } from './support.js';

export { memoryServerCandidate } from './memory-server.js';
export { ensureFerretDbBinary, FERRETDB_VERSION, ferretDbCacheDir, ferretDbCandidate, type FerretDbCandidateOptions } from './ferretdb.js';

export interface StartDatabaseOptions {
  /** MONGODB_URI: used as-is when set; stop() is then a no-op. */
  uri?: string;
  /** Persistent data folder for the embedded server; undefined = throwaway temp dir removed on stop(). */
  dataDir?: string;
  /** Progress lines (building, downloading, which server is used). */
  log?: (msg: string) => void;
}

/** Seams for tests: replace the candidate list to simulate machines without mongod or go. */
export interface StartDatabaseInternals {
  candidates?: readonly DatabaseCandidate[];
}

export interface FailedAttempt {
  name: string;
  reason: string;
}

export class DatabaseUnavailableError extends Error {
  readonly attempts: readonly FailedAttempt[];

  constructor(attempts: readonly FailedAttempt[]) {
    const tried = attempts.map((a) => `${a.name} (${a.reason})`).join(', ');
    super(
      'No MongoDB available. Set MONGODB_URI=mongodb://… to use your own server. ' +
        `Tried: ${tried || 'nothing'}.`,
    );
    this.name = 'DatabaseUnavailableError';
    this.attempts = attempts;
  }
}

export function defaultCandidates(): DatabaseCandidate[] {
  return [memoryServerCandidate(), ferretDbCandidate()];
}

export async function startDatabase(
  opts: StartDatabaseOptions,
  internals: StartDatabaseInternals = {},
): Promise<StartedDatabase> {
  const log = opts.log ?? (() => undefined);
  if (opts.uri) {
    const db: StartedDatabase = {
      uri: opts.uri,
      kind: 'uri',
      describe: `MONGODB_URI ${redact(opts.uri)}`,
      stop: async () => undefined,
      kill: () => undefined,
    };
    log(`Using ${db.describe}`);
    return db;
  }

  const attempts: FailedAttempt[] = [];
  for (const candidate of internals.candidates ?? defaultCandidates()) {
    try {
      const db = await candidate.start({ dataDir: opts.dataDir, log });
      log(`Using ${db.describe}`);
      return db;
    } catch (err) {
      const reason = oneLine(errorMessage(err));
      attempts.push({ name: candidate.name, reason });
      log(`${candidate.name} unavailable: ${reason}`);
    }
  }
  throw new DatabaseUnavailableError(attempts);
}

