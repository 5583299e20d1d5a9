import { describe, expect, it } from 'vitest';
import { Lanes } from '../../src/status/service-status.js';

/** A run that can be held open, to see what gathers behind it. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe('Lanes: one run per key at a time, what arrives meanwhile goes together next', () => {
  it('runs the first item at once, gathers the rest behind it into one run, and keeps keys apart', async () => {
    const runs: string[] = [];
    const first = gate();
    const lanes = new Lanes<number>(async (key, items) => {
      runs.push(`${key}:${items.join(',')}`);
      if (key === 'a' && items[0] === 1) await first.opened;
    });
    const done = [lanes.run('a', 1), lanes.run('a', 2), lanes.run('a', 3), lanes.run('b', 9)];
    await new Promise((resolve) => setTimeout(resolve, 5));
    // a's first run is still going: 2 and 3 wait; b is not held up by a.
    expect(runs).toEqual(['a:1', 'b:9']);
    first.open();
    await Promise.all(done);
    expect(runs).toEqual(['a:1', 'b:9', 'a:2,3']);
    // Idle again: the next item runs on its own.
    await lanes.run('a', 4);
    expect(runs.at(-1)).toBe('a:4');
  });

  it('a failed run fails its own callers only; the batch behind it still runs', async () => {
    const held = gate();
    const seen: number[][] = [];
    const lanes = new Lanes<number>(async (_key, items) => {
      seen.push([...items]);
      if (items.includes(1)) {
        await held.opened;
        throw new Error('database gone');
      }
    });
    const failing = lanes.run('s', 1);
    const waiting = [lanes.run('s', 2), lanes.run('s', 3)];
    held.open();
    await expect(failing).rejects.toThrow('database gone');
    await expect(Promise.all(waiting)).resolves.toEqual([undefined, undefined]);
    expect(seen).toEqual([[1], [2, 3]]);
  });
});
