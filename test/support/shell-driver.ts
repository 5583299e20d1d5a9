import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import mongoose from 'mongoose';
import { testMongoUri } from './db.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Runs `src/main.ts` as a user would (a real process, stdin/stdout) and talks to its terminal chat:
 * `send` types a line, `expect` waits until the output since the last match contains a pattern.
 */
export class ShellDriver {
  private output = '';
  private cursor = 0;
  private readonly exited: Promise<number | null>;
  readonly child: ChildProcessWithoutNullStreams;
  stderr = '';

  constructor(env: Record<string, string>) {
    this.child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'warn', PORT: '0', SHELL_ADAPTER: 'on', ...env },
    });
    this.child.stdout.setEncoding('utf8').on('data', (chunk: string) => (this.output += chunk));
    this.child.stderr.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  /** Everything the process printed so far (notifications arrive in their own time, between replies). */
  all(): string {
    return this.output;
  }

  send(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  /** Waits for the pattern in new output and returns the text up to and including it. */
  async expect(pattern: RegExp | string, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rest = this.output.slice(this.cursor);
      const match = typeof pattern === 'string' ? indexOf(rest, pattern) : rest.match(pattern);
      if (match && match.index !== undefined) {
        const end = match.index + match[0].length;
        this.cursor += end;
        return rest.slice(0, end);
      }
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${String(pattern)}\n--- output since last match ---\n${rest}\n--- stderr ---\n${this.stderr.slice(-2000)}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Types a line and answers each following prompt in turn. */
  async answer(line: string, ...answers: string[]): Promise<void> {
    this.send(line);
    for (const a of answers) this.send(a);
  }

  async quit(): Promise<number | null> {
    this.send('quit');
    this.child.stdin.end();
    return this.exited;
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }

  /** Asks the bot to stop as an orchestrator would (SIGTERM) and returns its exit code. */
  async terminate(): Promise<number | null> {
    this.child.kill('SIGTERM');
    return this.exited;
  }
}

/**
 * A database of its own for one test file's bot processes: the environment that points `npm start`
 * at it, and `cleanup()` (for afterAll) that kills a shell still running and drops the database.
 */
export function shellDatabase(prefix: string): { dbName: string; env: { MONGODB_URI: string; MONGODB_DB: string }; cleanup(shell?: ShellDriver): Promise<void> } {
  const dbName = `${prefix}_${Math.random().toString(36).slice(2, 10)}`;
  return {
    dbName,
    env: { MONGODB_URI: testMongoUri(), MONGODB_DB: dbName },
    async cleanup(shell) {
      shell?.kill();
      const conn = await mongoose.createConnection(testMongoUri(), { dbName }).asPromise();
      await conn.dropDatabase();
      await conn.close();
    },
  };
}

function indexOf(text: string, needle: string): RegExpMatchArray | null {
  const index = text.indexOf(needle);
  if (index < 0) return null;
  const match = [needle] as unknown as RegExpMatchArray;
  match.index = index;
  return match;
}
