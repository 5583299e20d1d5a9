/** Small helpers shared by the development database starters (dev/database.ts). */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { rename, writeFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { MongoClient } from 'mongodb';

export async function ping(uri: string): Promise<void> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5_000 });
  try {
    await client.db('admin').command({ ping: 1 });
  } finally {
    await client.close();
  }
}

export function withDirectConnection(uri: string): string {
  return `${uri}${uri.includes('?') ? '&' : '?'}directConnection=true`;
}

export function redact(uri: string): string {
  return uri.replace(/^(mongodb(?:\+srv)?:\/\/[^:/@]+):[^@/]*@/, '$1:***@');
}

/** Runs a command, failing with the tail of its output (what a human needs to fix it). */
export async function run(cmd: string, args: string[], o: { cwd?: string; env: NodeJS.ProcessEnv; timeoutMs: number }) {
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
export function tail(...streams: Readable[]): () => string {
  let text = '';
  for (const s of streams) {
    s.setEncoding('utf8');
    s.on('data', (chunk: string) => {
      text = (text + chunk).slice(-2_000);
    });
  }
  return () => text;
}

export async function writeAtomically(path: string, content: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, content);
  await rename(tmp, path);
}

export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  promise.catch(() => undefined); // it may still settle after we gave up on it
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Sets an env default for the duration of a call; an explicit user setting wins. */
export function setEnvDefault(name: string, value: string): () => void {
  if (process.env[name] !== undefined) return () => undefined;
  process.env[name] = value;
  return () => {
    delete process.env[name];
  };
}

export function errnoCode(err: unknown): string | undefined {
  const code = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined;
  return typeof code === 'string' ? code : undefined;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' | ').trim();
}

/** What every way of getting a development database gives back, and how each is tried (dev/database.ts). */
export type DatabaseKind = 'uri' | 'memory-server' | 'ferretdb';

export interface StartedDatabase {
  uri: string;
  kind: DatabaseKind;
  /** Human-readable, credentials redacted, e.g. "FerretDB 1.24.2 (SQLite, temporary) at mongodb://…". */
  describe: string;
  stop(): Promise<void>;
  /**
   * Stops the server without waiting, for a process 'exit' handler where nothing can be awaited
   * (the bot ends with process.exit). stop() is the graceful way.
   */
  kill(): void;
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

/** Stops a server process: SIGTERM, then SIGKILL after 5 s; resolves once it has exited. */
export async function terminate(child: ChildProcess): Promise<void> {
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
