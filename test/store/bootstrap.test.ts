import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  DatabaseUnavailableError,
  ferretDbCandidate,
  startDatabase,
  type DatabaseCandidate,
} from '../../dev/database.js';

async function withClient<T>(uri: string, fn: (client: MongoClient) => Promise<T>): Promise<T> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5_000 });
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

interface Note {
  _id: string;
  text: string;
}

const unusable = (name: string, reason: string): DatabaseCandidate => ({
  name,
  start: () => Promise.reject(new Error(reason)),
});

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'bootstrap-test-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('startDatabase', () => {
  it('gives the test run a server that answers ping', async () => {
    const reply = await withClient(inject('mongoUri'), (c) => c.db('admin').command({ ping: 1 }));
    expect(reply.ok).toBe(1);
  });

  it('uses a given uri as-is and tries nothing else', async () => {
    const uri = 'mongodb://bot:s3cret@db.example.invalid:27017/incidents';
    const db = await startDatabase({ uri }, { candidates: [unusable('never', 'must not be tried')] });
    expect(db.uri).toBe(uri);
    expect(db.kind).toBe('uri');
    expect(db.describe).not.toContain('s3cret');
    await db.stop();
  });

  it('names MONGODB_URI and every failed attempt when nothing works', async () => {
    // A machine without mongod, without go, and without a cached FerretDB build.
    const env = { ...process.env, PATH: join(scratch, 'no-bin'), FERRETDB_CACHE_DIR: join(scratch, 'empty-cache') };
    const attempt = startDatabase({}, {
      candidates: [unusable('mongodb-memory-server', 'no mongod binary (simulated)'), ferretDbCandidate({ env })],
    });
    await expect(attempt).rejects.toBeInstanceOf(DatabaseUnavailableError);
    await expect(attempt).rejects.toThrow(/MONGODB_URI=mongodb:\/\//);
    await expect(attempt).rejects.toThrow(/mongodb-memory-server \(no mongod binary \(simulated\)\)/);
    await expect(attempt).rejects.toThrow(/FerretDB \(.*`go` is not on PATH/);
  });

  it('starts a throwaway server and cleans up after it', async () => {
    const db = await startDatabase({});
    try {
      expect(db.uri).toContain('directConnection=true');
      const reply = await withClient(db.uri, (c) => c.db('admin').command({ ping: 1 }));
      expect(reply.ok).toBe(1);
    } finally {
      await db.stop();
    }
    await db.stop(); // idempotent
  });

  it.runIf(process.platform !== 'win32')('runs the embedded FerretDB on a Unix socket of its own, removed when it stops', async () => {
    const db = await ferretDbCandidate().start({ log: () => undefined });
    const socket = decodeURIComponent(/^mongodb:\/\/([^/]+)\//.exec(db.uri)?.[1] ?? '');
    try {
      expect(socket).toMatch(/ferretdb\.sock$/);
      expect((await stat(socket)).isSocket()).toBe(true);
      const reply = await withClient(db.uri, (c) => c.db('admin').command({ ping: 1 }));
      expect(reply.ok).toBe(1);
    } finally {
      await db.stop();
    }
    await expect(stat(dirname(socket))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('keeps data in dataDir across a restart', async () => {
    const dataDir = join(scratch, 'data');
    const first = await startDatabase({ dataDir });
    try {
      const notes = (c: MongoClient) => c.db('persist').collection<Note>('notes');
      await withClient(first.uri, (c) => notes(c).insertOne({ _id: 'n1', text: 'kept' }));
    } finally {
      await first.stop();
    }
    expect((await stat(dataDir)).isDirectory()).toBe(true);

    const second = await startDatabase({ dataDir });
    try {
      expect(second.kind).toBe(first.kind);
      const doc = await withClient(second.uri, (c) => c.db('persist').collection('notes').findOne({}));
      expect(doc).toMatchObject({ _id: 'n1', text: 'kept' });
    } finally {
      await second.stop();
    }
  });
});
