/**
 * FerretDB 1.24.2 (SQLite backend) as a development database, for machines where no mongod can
 * be downloaded. Built once from the Go module proxy into a user cache folder: our own small
 * `main.go` (the published `cmd/ferretdb` panics at start), the module vendored, three source
 * patches applied with `git apply` (sqlite-id-index.patch, sqlite-id-pushdown.patch and
 * fsql-debug-log.patch, each saying why), then `go build`.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { DatabaseCandidate, StartedDatabase } from './support.js';
import { cachedBuild } from './go-build.js';
import { errnoCode, errorMessage, ping, run, tail, terminate, withDirectConnection } from './support.js';

export const FERRETDB_VERSION = '1.24.2';

/**
 * dev/ferretdb/: main.go and go.mod are copied into the build; the patches are applied to the vendored
 * module. Found beside this file, or from the compiled copy `npm start` runs (.build/dev/ferretdb.js).
 */
const FERRETDB_SOURCE_DIRS = ['./ferretdb/', '../../dev/ferretdb/'].map((path) => fileURLToPath(new URL(path, import.meta.url)));
const FERRETDB_SOURCES = FERRETDB_SOURCE_DIRS.find((dir) => existsSync(join(dir, 'main.go'))) ?? FERRETDB_SOURCE_DIRS[0]!;
const FERRETDB_SOURCE_FILES = ['main.go', 'go.mod'] as const;
/** Applied in this order; each file says why. */
const FERRETDB_PATCHES = ['sqlite-id-index.patch', 'sqlite-id-pushdown.patch', 'fsql-debug-log.patch'] as const;
/** Where `go mod vendor` puts the module the patches apply to (their paths are relative to it). */
const FERRETDB_MODULE_DIR = 'vendor/github.com/FerretDB/FerretDB';
const WHAT = 'FerretDB';
const BUILD_TIMEOUT_MS = 20 * 60_000;
const READY_TIMEOUT_MS = 30_000;
const EXE = process.platform === 'win32' ? '.exe' : '';

export interface FerretDbCandidateOptions {
  /** Environment for finding `go` (PATH), the cache folder (FERRETDB_CACHE_DIR), the build and the server (GOGC, GOMEMLIMIT). */
  env?: NodeJS.ProcessEnv;
}

export function ferretDbCandidate(opts: FerretDbCandidateOptions = {}): DatabaseCandidate {
  const env = opts.env ?? process.env;
  return {
    name: 'FerretDB',
    async start({ dataDir, log }) {
      const binary = await ensureFerretDbBinary(env, log);
      return startFerretDb(binary, dataDir, env);
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
  return cachedBuild({
    dir, binary, hashFile, hash, what: WHAT, timeoutMs: BUILD_TIMEOUT_MS, log,
    assertTools: () => assertGoAvailable(dir, env),
    build: () => buildFerretDb(dir, binary, env, log),
  });
}

async function sourceHash(): Promise<string> {
  const h = createHash('sha256').update(FERRETDB_VERSION);
  for (const file of [...FERRETDB_SOURCE_FILES, ...FERRETDB_PATCHES]) {
    h.update(`\0${file}\0`).update(await readFile(join(FERRETDB_SOURCES, file)));
  }
  return h.digest('hex');
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
    for (const patch of FERRETDB_PATCHES) await applyPatch(join(work, FERRETDB_MODULE_DIR), join(FERRETDB_SOURCES, patch), env);
    await run('go', ['build', '-mod=vendor', '-trimpath', '-o', tmpBinary, '.'], go);
    await rename(tmpBinary, binary);
    log(`Built FerretDB ${FERRETDB_VERSION} in ${Math.round((Date.now() - started) / 1000)} s: ${binary}`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Applies one of our source patches to the vendored FerretDB module. `git apply` (git is on any machine
 * that cloned this repository; `patch` often is not) refuses a patch that does not match exactly,
 * so a changed upstream file fails the build loudly instead of being patched wrongly. Repository
 * discovery is stopped at the build folder, so git treats it as plain files even when the cache
 * folder lies inside some git work tree.
 */
async function applyPatch(moduleDir: string, patchFile: string, env: NodeJS.ProcessEnv): Promise<void> {
  const gitEnv: NodeJS.ProcessEnv = { ...env, GIT_CEILING_DIRECTORIES: dirname(moduleDir) };
  delete gitEnv.GIT_DIR;
  delete gitEnv.GIT_WORK_TREE;
  await run('git', ['apply', '--verbose', patchFile], { cwd: moduleDir, env: gitEnv, timeoutMs: 60_000 });
}

type ServerProcess = ChildProcessByStdio<Writable, Readable, Readable>;

async function startFerretDb(binary: string, dataDir: string | undefined, env: NodeJS.ProcessEnv): Promise<StartedDatabase> {
  const dir = dataDir === undefined
    ? await mkdtemp(join(tmpdir(), 'incident-bot-ferretdb-'))
    : join(dataDir, 'ferretdb');
  const tempDir = dataDir === undefined ? dir : undefined;
  await mkdir(dir, { recursive: true });

  const socket = await socketPath(env);
  const listen = socket === undefined ? ['--listen-addr=127.0.0.1:0'] : ['--listen-addr=', `--listen-unix=${socket}`];
  const child: ServerProcess = spawn(
    binary,
    [...listen, `--sqlite-url=${pathToFileURL(dir).href}/?_pragma=synchronous(normal)`, '--exit-on-stdin-eof'],
    // stdin stays open: the server exits when it closes, i.e. when we die, even by SIGKILL. A
    // process group of its own: Ctrl-C in the terminal (or a signal to the whole group) reaches the
    // bot, which then finishes the work it has taken while the database is still there.
    { stdio: ['pipe', 'pipe', 'pipe'], env: serverEnv(env), detached: true },
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
      if (socket !== undefined) await rm(dirname(socket), { recursive: true, force: true });
    })());

  try {
    const printed = await waitForReady(child, stderr);
    const uri = withDirectConnection(socket === undefined ? printed : `mongodb://${encodeURIComponent(socket)}/`);
    await ping(uri);
    const where = tempDir === undefined ? dir : 'temporary';
    return { uri, kind: 'ferretdb', describe: `FerretDB ${FERRETDB_VERSION} (SQLite, ${where}) at ${uri}`, stop, kill: killOnExit };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Where the server listens: a Unix domain socket in a folder of its own under the temporary
 * folder, or undefined for TCP on 127.0.0.1 (Windows, or a temporary folder whose path leaves no
 * room: a socket path holds at most 107 bytes on Linux, 103 on macOS). Every command of the bot
 * crosses this connection: over loopback TCP each write also runs the kernel's TCP stack on the
 * writer's thread; over a Unix socket, 8,000 inserts 50 at a time here cost the driver 15–25 %
 * less CPU per insert and the server 5–15 % less (two runs each of dev/ferretdb.ts's server).
 */
async function socketPath(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (process.platform === 'win32' || env.FERRETDB_LISTEN === 'tcp') return undefined;
  const base = tmpdir();
  if (Buffer.byteLength(join(base, 'incident-bot-db-XXXXXX', 'ferretdb.sock')) > 100) return undefined;
  return join(await mkdtemp(join(base, 'incident-bot-db-')), 'ferretdb.sock');
}

/**
 * The server's environment: the caller's, with Go's garbage collector set to run a fifth as often
 * as its default (GOGC=400, the heap grows to five times what is live before it collects) and held
 * under a soft 512 MiB (GOMEMLIMIT), unless the caller sets either. Under a burst of reports the
 * server allocates and drops objects for every value of every document it reads; at Go's default
 * its profile showed 9 % of its CPU in the collector's marking and 19 % in allocation. Measured
 * in-process (the report path, 1,000 reports 50 at a time on an empty database, two runs each):
 * 3.9–4.2 → 3.0–3.4 ms of the server's CPU per report; its peak memory 77 → 94–104 MB.
 */
export function serverEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, GOGC: env.GOGC ?? '400', GOMEMLIMIT: env.GOMEMLIMIT ?? '512MiB' };
}

/** Our main prints "READY mongodb://…" once the listener is bound (the TCP address, when it listens on TCP). */
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
