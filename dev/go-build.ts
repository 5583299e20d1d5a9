/**
 * What the builds of Go programs from the module proxy (FerretDB, Alertmanager) share: the
 * finished-build marker check and the build lock, so parallel test processes or clones build once
 * and the others wait. Correctness does not depend on the lock (builds go to a temp file, then an
 * atomic rename); it only saves work.
 */
import { mkdir, open, readFile, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { errnoCode, writeAtomically } from './support.js';

const LOCK_STALE_MS = 60_000; // the builder touches the lock every 10 s

export interface CachedBuild {
  /** The cache folder; the lock lives in it. */
  dir: string;
  binary: string;
  /** The marker written after the binary: the hash of what it was built from. */
  hashFile: string;
  hash: string;
  /** What is built, for the log ("FerretDB"). */
  what: string;
  timeoutMs: number;
  log: (msg: string) => void;
  /** Throws, saying what is missing, when the build cannot run (no `go`). */
  assertTools: () => Promise<void>;
  build: () => Promise<void>;
}

/**
 * The cached binary, built first when missing or built from other sources: under the lock, checked
 * again once the lock is held (another process may have finished it meanwhile), binary first and
 * marker second, so a reader never pairs the new marker with an old binary.
 */
export async function cachedBuild(b: CachedBuild): Promise<string> {
  if (await isBuilt(b.binary, b.hashFile, b.hash)) return b.binary;
  await b.assertTools();
  await mkdir(b.dir, { recursive: true });
  const release = await acquireLock(join(b.dir, 'build.lock'), b.what, b.timeoutMs, b.log);
  try {
    if (await isBuilt(b.binary, b.hashFile, b.hash)) return b.binary;
    await b.build();
    await writeAtomically(b.hashFile, b.hash);
    return b.binary;
  } finally {
    await release();
  }
}

/** The binary exists and the marker beside it says it was built from these sources. */
async function isBuilt(binary: string, hashFile: string, hash: string): Promise<boolean> {
  try {
    const [stored] = await Promise.all([readFile(hashFile, 'utf8'), stat(binary)]);
    return stored.trim() === hash;
  } catch {
    return false;
  }
}

/** Takes the build lock (a JSON {pid, host} owner file touched every 10 s); resolves to its release. */
async function acquireLock(path: string, what: string, timeoutMs: number, log: (msg: string) => void): Promise<() => Promise<void>> {
  const deadline = Date.now() + timeoutMs;
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
      log(`Waiting for another process to finish building ${what} (lock ${path})…`);
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
