import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTestDb, type TestDb } from '../support/db.js';

/**
 * `npm start` with the embedded FerretDB, stopped by Ctrl-C: the terminal sends SIGINT to the
 * whole foreground process group. The bot then finishes the forms it has taken and their
 * after-commit work, which needs the database, so the database must not stop with that signal:
 * it runs in a group of its own and goes when the bot's process exits.
 */
describe('the embedded database and Ctrl-C', () => {
  let db: TestDb;
  let ferret = false;
  let dataDir: string;
  beforeAll(async () => {
    db = await connectTestDb();
    ferret = 'ferretdbVersion' in (await db.conn.db!.admin().command({ buildInfo: 1 }));
    dataDir = await mkdtemp(join(tmpdir(), 'ctrl-c-'));
  });
  afterAll(async () => {
    await db?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('GIVEN a process that started FerretDB WHEN its process group gets SIGINT THEN the database still answers while the process shuts down, and goes when it exits', async (ctx) => {
    if (!ferret) ctx.skip();
    // A stand-in for npm start: starts the database as dev/start.ts does and, on SIGINT, uses it once more before exiting.
    const script = `
      import { ferretDbCandidate } from './dev/database.ts';
      import { MongoClient } from 'mongodb';
      const started = await ferretDbCandidate().start({ dataDir: process.env.CTRL_C_DATA });
      process.on('exit', () => started.kill());
      process.on('SIGINT', async () => {
        await new Promise((resolve) => setTimeout(resolve, 500));
        const client = new MongoClient(started.uri, { serverSelectionTimeoutMS: 2000 });
        const answer = await client.db('ctrl_c').collection('after').insertOne({ at: new Date() }).then(() => 'database answers', () => 'database gone');
        await client.close().catch(() => undefined);
        console.log(answer);
        process.exit(0);
      });
      console.log('ready');
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: process.cwd(), detached: true, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, CTRL_C_DATA: dataDir },
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    for (let i = 0; i < 600 && !out.includes('ready'); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(out).toContain('ready');
    process.kill(-child.pid!, 'SIGINT');
    expect(await exited).toBe(0);
    expect(out).toContain('database answers');
    // Gone with its process: no server on that data folder is left running.
    const running = () => spawnSync('pgrep', ['-f', dataDir]).stdout.toString().trim();
    for (let i = 0; i < 50 && running() !== ''; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(running()).toBe('');
  }, 90_000);
});
