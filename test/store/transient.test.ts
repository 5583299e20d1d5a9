import { describe, expect, it } from 'vitest';
import { isTransient, retryTransient } from '../../src/store/transient.js';

const busy = Object.assign(new Error('[update.go:114] database is locked (5) (SQLITE_BUSY)'), { code: 1 });
const duplicate = Object.assign(new Error('E11000 duplicate key'), { code: 11000 });

describe('transient database errors', () => {
  it('treats SQLite busy, retryable labels and network errors as transient, a duplicate key never', () => {
    expect(isTransient(busy)).toBe(true);
    expect(isTransient(Object.assign(new Error('x'), { errorLabelSet: new Set(['RetryableWriteError']) }))).toBe(true);
    expect(isTransient(Object.assign(new Error('socket'), { name: 'MongoNetworkError' }))).toBe(true);
    expect(isTransient(duplicate)).toBe(false);
    expect(isTransient(new Error('validation failed'))).toBe(false);
  });

  it('retries a busy server until the call goes through', async () => {
    let calls = 0;
    const result = await retryTransient(async () => {
      calls++;
      if (calls < 3) throw busy;
      return 'stored';
    });
    expect([result, calls]).toEqual(['stored', 3]);
  });

  it('does not retry an answer such as a duplicate key', async () => {
    let calls = 0;
    await expect(retryTransient(async () => {
      calls++;
      throw duplicate;
    })).rejects.toBe(duplicate);
    expect(calls).toBe(1);
  });
});
