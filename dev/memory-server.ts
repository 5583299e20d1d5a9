/** mongodb-memory-server as a development database: a real mongod, when one is cached or can be downloaded. */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DryMongoBinary, MongoBinary, MongoMemoryServer } from 'mongodb-memory-server';
import type { DatabaseCandidate } from './support.js';
import { ping, setEnvDefault, withDirectConnection, withTimeout } from './support.js';

const MONGOD_DOWNLOAD_LIMIT_MS = 10_000;

/** A failed download is not retried within one process (each try costs seconds offline). */
let mongodBinary: Promise<string> | undefined;

export function memoryServerCandidate(): DatabaseCandidate {
  return {
    name: 'mongodb-memory-server',
    async start({ dataDir, log }) {
      mongodBinary ??= locateMongod(log);
      await mongodBinary;
      const dbPath = dataDir === undefined ? undefined : join(dataDir, 'mongod');
      if (dbPath !== undefined) await mkdir(dbPath, { recursive: true });
      // wiredTiger so a dataDir actually persists across restarts.
      const server = await MongoMemoryServer.create({
        instance: dbPath === undefined ? {} : { dbPath, storageEngine: 'wiredTiger' },
      });
      const uri = withDirectConnection(server.getUri());
      try {
        await ping(uri);
      } catch (err) {
        await server.stop();
        throw err;
      }
      return {
        uri,
        kind: 'memory-server',
        describe: `mongodb-memory-server (${dbPath ?? 'temporary'}) at ${uri}`,
        stop: async () => {
          await server.stop();
        },
        // mongod shuts down cleanly on SIGTERM, on its own after we are gone.
        kill: () => {
          server.instanceInfo?.instance.mongodProcess?.kill('SIGTERM');
        },
      };
    },
  };
}

/** MONGOMS_SYSTEM_BINARY or the cache answer at once; only a download can be slow, so it is capped. */
async function locateMongod(log: (msg: string) => void): Promise<string> {
  const options = await DryMongoBinary.generateOptions();
  if ((await DryMongoBinary.locateBinary(options)) === undefined) {
    const limit = `${MONGOD_DOWNLOAD_LIMIT_MS / 1000} s`;
    log(`No cached mongod ${options.version}; downloading it unless MONGOMS_RUNTIME_DOWNLOAD=false (${limit} max)…`);
  }
  // One attempt is enough to learn we are offline; the library default (3, with backoff) costs ~8 s.
  const restore = setEnvDefault('MONGOMS_MAX_RETRIES', '1');
  try {
    return await withTimeout(
      MongoBinary.getPath(),
      MONGOD_DOWNLOAD_LIMIT_MS,
      `no mongod binary and downloading one took over ${MONGOD_DOWNLOAD_LIMIT_MS / 1000} s`,
    );
  } finally {
    restore();
  }
}