/**
 * Finds a MongoDB for `npm start` and for the tests (see DESIGN.md, "MongoDB for tests and the
 * embedded default"). In order: MONGODB_URI, mongodb-memory-server, FerretDB built from the Go
 * module proxy. Machines here reach only package registries, so mongod usually cannot be
 * downloaded and FerretDB (SQLite backend) is what runs; elsewhere a real mongod is used.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { copyFile, mkdir, mkdtemp, open, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { homedir, hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MongoClient } from 'mongodb';
import { DryMongoBinary, MongoBinary, MongoMemoryServer } from 'mongodb-memory-server';

export type DatabaseKind = 'uri' | 'memory-server' | 'ferretdb';

export interface StartedDatabase {
  uri: string;
  kind: DatabaseKind;
  /** Human-readable, credentials redacted, e.g. "FerretDB 1.24.2 (SQLite, temporary) at mongodb://…". */
  describe: string;
  stop(): Promise<void>;
}

export interface StartDatabaseOptions {
  /** MONGODB_URI: used as-is when set; stop() is then a no-op. */
  uri?: string;
  /** Persistent data folder for the embedded server; undefined = throwaway temp dir removed on stop(). */
  dataDir?: string;
  /** Progress lines (building, downloading, which server is used). */
  log?: (msg: string) => void;
}

export interface CandidateOptions {
  dataDir?: string;
  log: (msg: string) => void;
}

/** One way of getting an embedded server; startDatabase tries them in order. */
export interface DatabaseCandidate {
  readonly name: string;
  start(opts: CandidateOptions): Promise<StartedDatabase>;
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

export const FERRETDB_VERSION = '1.24.2';

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

// ---------------------------------------------------------------- mongodb-memory-server

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

// ---------------------------------------------------------------- FerretDB

const FERRETDB_SOURCES = fileURLToPath(new URL('../../scripts/ferretdb/', import.meta.url));
const FERRETDB_SOURCE_FILES = ['main.go', 'go.mod'] as const;

/**
 * One fix applied to FerretDB 1.24.2's sources before building. Its SQLite backend creates the
 * `_id` index on `_ferretdb_sjson->"_id"` but looks documents up with `_ferretdb_sjson->'$._id'`;
 * SQLite uses an expression index only for the same expression, so every lookup by `_id` (and
 * every update and delete, which look up first) read the whole table: 1.2 s for one document
 * among 10,000 incidents. Querying with the index's own expression makes them index lookups.
 * Same value, same semantics; nothing else changes.
 */
const FERRETDB_PATCH = {
  file: 'vendor/github.com/FerretDB/FerretDB/internal/backends/sqlite/metadata/metadata.go',
  from: `IDColumn = DefaultColumn + "->'$._id'"`,
  to: 'IDColumn = DefaultColumn + "->\\"_id\\""',
};
const BUILD_TIMEOUT_MS = 20 * 60_000;
const READY_TIMEOUT_MS = 30_000;
const LOCK_STALE_MS = 60_000; // the builder touches the lock every 10 s
const EXE = process.platform === 'win32' ? '.exe' : '';

export interface FerretDbCandidateOptions {
  /** Environment for finding `go` (PATH), the cache folder (FERRETDB_CACHE_DIR) and the build. */
  env?: NodeJS.ProcessEnv;
}

export function ferretDbCandidate(opts: FerretDbCandidateOptions = {}): DatabaseCandidate {
  const env = opts.env ?? process.env;
  return {
    name: 'FerretDB',
    async start({ dataDir, log }) {
      const binary = await ensureFerretDbBinary(env, log);
      return startFerretDb(binary, dataDir);
    },
  };
}

export function ferretDbCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FERRETDB_CACHE_DIR) return env.FERRETDB_CACHE_DIR;
  const cacheHome = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cacheHome, 'incident-bot', `ferretdb-${FERRETDB_VERSION}`);
}

/** Returns the cached binary, building it first when missing or built from other sources. */
export async function ensureFerretDbBinary(env: NodeJS.ProcessEnv, log: (msg: string) => void): Promise<string> {
  const dir = ferretDbCacheDir(env);
  const binary = join(dir, `ferretdb${EXE}`);
  const hashFile = join(dir, 'ferretdb.sha256');
  const hash = await sourceHash();
  if (await isBuilt(binary, hashFile, hash)) return binary;

  await assertGoAvailable(dir, env);
  await mkdir(dir, { recursive: true });
  const release = await acquireLock(join(dir, 'build.lock'), log);
  try {
    // Another process may have finished the build while we waited for the lock.
    if (await isBuilt(binary, hashFile, hash)) return binary;
    await buildFerretDb(dir, binary, env, log);
    // Binary first, hash second: a reader never pairs the new hash with an old binary.
    await writeAtomically(hashFile, hash);
    return binary;
  } finally {
    await release();
  }
}

async function sourceHash(): Promise<string> {
  const h = createHash('sha256').update(FERRETDB_VERSION).update(JSON.stringify(FERRETDB_PATCH));
  for (const file of FERRETDB_SOURCE_FILES) {
    h.update(`\0${file}\0`).update(await readFile(join(FERRETDB_SOURCES, file)));
  }
  return h.digest('hex');
}

async function isBuilt(binary: string, hashFile: string, hash: string): Promise<boolean> {
  try {
    const [stored] = await Promise.all([readFile(hashFile, 'utf8'), stat(binary)]);
    return stored.trim() === hash;
  } catch {
    return false;
  }
}

async function assertGoAvailable(cacheDir: string, env: NodeJS.ProcessEnv): Promise<void> {
  try {
    await run('go', ['version'], { env, timeoutMs: 30_000 });
  } catch (err) {
    const why = errnoCode(err) === 'ENOENT' ? '`go` is not on PATH' : `\`go version\` failed: ${errorMessage(err)}`;
    throw new Error(`no build in ${cacheDir} and ${why} (Go 1.24+ is needed once to build it)`, { cause: err });
  }
}

async function buildFerretDb(dir: string, binary: string, env: NodeJS.ProcessEnv, log: (msg: string) => void) {
  log(`Building FerretDB ${FERRETDB_VERSION} (first run only, ~1-2 min)…`);
  const started = Date.now();
  // Build dir and temp binary live inside the cache dir so the final rename stays on one filesystem.
  const work = await mkdtemp(join(dir, 'build-'));
  const tmpBinary = join(work, `ferretdb${EXE}`);
  try {
    for (const file of FERRETDB_SOURCE_FILES) await copyFile(join(FERRETDB_SOURCES, file), join(work, file));
    const goEnv: NodeJS.ProcessEnv = {
      ...env,
      GOFLAGS: `${env.GOFLAGS ?? ''} -mod=mod`.trim(), // go.sum is generated here, not committed
      GOTOOLCHAIN: 'local', // never try to download another Go toolchain
      CGO_ENABLED: '0', // SQLite is pure Go (modernc.org/sqlite); no C compiler needed
    };
    const go = { cwd: work, env: goEnv, timeoutMs: BUILD_TIMEOUT_MS };
    await run('go', ['mod', 'tidy'], go);
    await run('go', ['mod', 'vendor'], go);
    const patched = join(work, FERRETDB_PATCH.file);
    const source = await readFile(patched, 'utf8');
    if (!source.includes(FERRETDB_PATCH.from)) throw new Error(`FerretDB source changed: ${FERRETDB_PATCH.file} no longer has ${FERRETDB_PATCH.from}`);
    await writeFile(patched, source.replace(FERRETDB_PATCH.from, FERRETDB_PATCH.to));
    await run('go', ['build', '-mod=vendor', '-trimpath', '-o', tmpBinary, '.'], go);
    await rename(tmpBinary, binary);
    log(`Built FerretDB ${FERRETDB_VERSION} in ${Math.round((Date.now() - started) / 1000)} s: ${binary}`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Build lock, so parallel test processes or clones build once and the others wait. Correctness
 * does not depend on it (builds go to a temp file, then an atomic rename); it only saves work.
 */
async function acquireLock(path: string, log: (msg: string) => void): Promise<() => Promise<void>> {
  const deadline = Date.now() + BUILD_TIMEOUT_MS;
  let announced = false;
  for (;;) {
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(JSON.stringify({ pid: process.pid, host: hostname() }));
      await fh.close();
      const heartbeat = setInterval(() => {
        const now = new Date();
        utimes(path, now, now).catch(() => undefined);
      }, 10_000);
      heartbeat.unref();
      return async () => {
        clearInterval(heartbeat);
        await rm(path, { force: true });
      };
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw err;
    }
    if (await isStaleLock(path)) {
      await rm(path, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for the build lock ${path}`);
    if (!announced) {
      log(`Waiting for another process to finish building FerretDB (lock ${path})…`);
      announced = true;
    }
    await sleep(500);
  }
}

async function isStaleLock(path: string): Promise<boolean> {
  try {
    const [info, text] = await Promise.all([stat(path), readFile(path, 'utf8')]);
    if (Date.now() - info.mtimeMs > LOCK_STALE_MS) return true;
    const owner: unknown = JSON.parse(text);
    if (isLockOwner(owner) && owner.host === hostname()) return !isAlive(owner.pid);
    return false;
  } catch {
    // Gone already (just retry), or half-written by a live owner (the mtime rule covers a crash).
    return false;
  }
}

function isLockOwner(v: unknown): v is { pid: number; host: string } {
  return typeof v === 'object' && v !== null && 'pid' in v && 'host' in v &&
    typeof v.pid === 'number' && typeof v.host === 'string';
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) === 'EPERM';
  }
}

type ServerProcess = ChildProcessByStdio<Writable, Readable, Readable>;

async function startFerretDb(binary: string, dataDir: string | undefined): Promise<StartedDatabase> {
  const dir = dataDir === undefined
    ? await mkdtemp(join(tmpdir(), 'incident-bot-ferretdb-'))
    : join(dataDir, 'ferretdb');
  const tempDir = dataDir === undefined ? dir : undefined;
  await mkdir(dir, { recursive: true });

  const child: ServerProcess = spawn(
    binary,
    ['--listen-addr=127.0.0.1:0', `--sqlite-url=${pathToFileURL(dir).href}/?_pragma=synchronous(normal)`, '--exit-on-stdin-eof'],
    // stdin stays open: the server exits when it closes, i.e. when we die, even by SIGKILL.
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const stderr = tail(child.stderr);
  child.on('error', () => undefined); // spawn/kill failures surface through waitForReady or exit
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      process.off('exit', killOnExit);
      await terminate(child);
      if (tempDir !== undefined) await rm(tempDir, { recursive: true, force: true });
    })());

  try {
    const uri = withDirectConnection(await waitForReady(child, stderr));
    await ping(uri);
    const where = tempDir === undefined ? dir : 'temporary';
    return { uri, kind: 'ferretdb', describe: `FerretDB ${FERRETDB_VERSION} (SQLite, ${where}) at ${uri}`, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Our main prints "READY mongodb://127.0.0.1:PORT/" once the listener is bound. */
function waitForReady(child: ServerProcess, stderr: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    const fail = (why: string) => {
      cleanup();
      const err = stderr().trim();
      reject(new Error(`FerretDB ${why}${err ? `; stderr: ${err}` : ''}`));
    };
    const onLine = (line: string) => {
      const m = /^READY (mongodb:\/\/\S+)/.exec(line);
      if (m?.[1] === undefined) return;
      cleanup();
      resolve(m[1]);
    };
    const onExit = (code: number | null, signal: string | null) =>
      fail(`exited before it was ready (${signal ?? `code ${code}`})`);
    const onError = (err: Error) => fail(`could not be started: ${err.message}`);
    const timer = setTimeout(() => fail(`was not ready after ${READY_TIMEOUT_MS / 1000} s`), READY_TIMEOUT_MS);
    function cleanup() {
      clearTimeout(timer);
      lines.off('line', onLine);
      child.off('exit', onExit);
      child.off('error', onError);
      child.stdout.resume(); // keep draining so the pipe never fills
    }
    lines.on('line', onLine);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

async function terminate(child: ServerProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
  try {
    await exited;
  } finally {
    clearTimeout(force);
  }
}

// ---------------------------------------------------------------- helpers

async function ping(uri: string): Promise<void> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5_000 });
  try {
    await client.db('admin').command({ ping: 1 });
  } finally {
    await client.close();
  }
}

function withDirectConnection(uri: string): string {
  return `${uri}${uri.includes('?') ? '&' : '?'}directConnection=true`;
}

function redact(uri: string): string {
  return uri.replace(/^(mongodb(?:\+srv)?:\/\/[^:/@]+):[^@/]*@/, '$1:***@');
}

/** Runs a command, failing with the tail of its output (what a human needs to fix it). */
async function run(cmd: string, args: string[], o: { cwd?: string; env: NodeJS.ProcessEnv; timeoutMs: number }) {
  const child = spawn(cmd, args, { cwd: o.cwd, env: o.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = tail(child.stdout, child.stderr);
  const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs);
  try {
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    if (code !== 0) {
      const status = signal ? `killed by ${signal}` : `exit code ${code}`;
      throw new Error(`\`${cmd} ${args.join(' ')}\` failed (${status}): ${output().trim()}`);
    }
  } finally {
    clearTimeout(timer);
  }
}

/** Keeps the last few KB written to the streams. */
function tail(...streams: Readable[]): () => string {
  let text = '';
  for (const s of streams) {
    s.setEncoding('utf8');
    s.on('data', (chunk: string) => {
      text = (text + chunk).slice(-2_000);
    });
  }
  return () => text;
}

async function writeAtomically(path: string, content: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, content);
  await rename(tmp, path);
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  promise.catch(() => undefined); // it may still settle after we gave up on it
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Sets an env default for the duration of a call; an explicit user setting wins. */
function setEnvDefault(name: string, value: string): () => void {
  if (process.env[name] !== undefined) return () => undefined;
  process.env[name] = value;
  return () => {
    delete process.env[name];
  };
}

function errnoCode(err: unknown): string | undefined {
  const code = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined;
  return typeof code === 'string' ? code : undefined;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' | ').trim();
}
