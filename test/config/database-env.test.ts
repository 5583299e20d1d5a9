import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EnvError, loadEnv, requireMongoUri } from '../../src/config/env.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Runs src/main.ts (through tsx, so it takes seconds) the way a misconfigured deployment would (no dev entry, no database). */
function runMain(env: Record<string, string>) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !['MONGODB_URI', 'TEST_MONGODB_URI', 'NODE_ENV', 'VITEST', 'VITEST_POOL_ID', 'VITEST_WORKER_ID'].includes(k)),
  );
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { ...clean, SHELL_ADAPTER: 'off', LOG_LEVEL: 'silent', PORT: '0', ...env },
    input: '',
    encoding: 'utf8',
    timeout: 100_000,
  });
}

describe('MONGODB_URI: the product never starts a database itself', () => {
  it('refuses a production start without MONGODB_URI, naming the variable', () => {
    const attempt = () => loadEnv({ NODE_ENV: 'production' });
    expect(attempt).toThrow(EnvError);
    expect(attempt).toThrow(
      /MONGODB_URI: required when NODE_ENV=production: set it to your MongoDB connection string \(mongodb:\/\//,
    );
  });

  it('accepts a production start with MONGODB_URI', () => {
    const uri = 'mongodb://mongo-1:27017,mongo-2:27017,mongo-3:27017/?replicaSet=rs0';
    const env = loadEnv({ NODE_ENV: 'production', MONGODB_URI: uri });
    expect(requireMongoUri(env)).toBe(uri);
  });

  it('outside production, tells how to get a database when main is started without one', () => {
    const env = loadEnv({});
    expect(() => requireMongoUri(env)).toThrow(EnvError);
    expect(() => requireMongoUri(env)).toThrow(
      'MONGODB_URI is not set: run the bot with `npm start` (it starts a development database for you) or set MONGODB_URI=mongodb://… to your MongoDB.',
    );
  });

  it('src/main.ts prints the production sentence, no stack trace, and exits 1', () => {
    const run = runMain({ NODE_ENV: 'production' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('MONGODB_URI: required when NODE_ENV=production');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  }, 120_000);

  it('src/main.ts started directly in development points to npm start', () => {
    const run = runMain({ NODE_ENV: 'development' });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(
      'MONGODB_URI is not set: run the bot with `npm start` (it starts a development database for you) or set MONGODB_URI=mongodb://… to your MongoDB.',
    );
  }, 120_000);
});

describe('the product holds no database-building code', () => {
  it('nothing in src/, commands/ or adapters/ imports dev/, mongodb-memory-server or spawns a database (the one child process is the report charts\')', () => {
    const offenders: string[] = [];
    for (const folder of ['src', 'commands', 'adapters']) {
      for (const file of readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' })) {
        if (!file.endsWith('.ts')) continue;
        const text = readFileSync(join(ROOT, folder, file), 'utf8');
        // The one child process the product starts: the report charts' (src/reports/render-charts.ts), which forks chart-worker.js and nothing else.
        const chartsOnly = `${folder}/${file}` === 'src/reports/render-charts.ts' && [...text.matchAll(/\bfork\(|\bspawn\(|\bexec(File)?\(/g)].length === 1 && /fork\(CHILD,/.test(text) && /'\.\/chart-worker\.js'/.test(text);
        if (/from '(\.\.\/)+dev\/|mongodb-memory-server/.test(text) || (/node:child_process/.test(text) && !chartsOnly)) offenders.push(`${folder}/${file}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
