import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

/**
 * Reads one line at a time on demand, buffering lines that arrive early (a pasted script or a
 * piped file) so none is lost while a command is still running.
 */
export class LineReader {
  private readonly buffered: string[] = [];
  private waiting: ((line: string | undefined) => void) | undefined;
  private closed = false;

  constructor(input: Readable, private readonly output: Writable) {
    const rl = createInterface({ input, terminal: false });
    rl.on('line', (line) => {
      if (this.waiting) {
        const resolve = this.waiting;
        this.waiting = undefined;
        resolve(line);
      } else this.buffered.push(line);
    });
    rl.on('close', () => {
      this.closed = true;
      this.waiting?.(undefined);
      this.waiting = undefined;
    });
  }

  /** Shows the prompt and resolves with the next line, or undefined at end of input. */
  next(prompt: string): Promise<string | undefined> {
    this.output.write(prompt);
    const line = this.buffered.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }
}
