/**
 * Transient server errors: the write did not happen and the same request may simply be sent
 * again. FerretDB on SQLite answers SQLITE_BUSY under a burst of writers; MongoDB labels its
 * own retryable errors. A duplicate key is never transient: it is the answer.
 */
export function isTransient(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { message?: string; errorLabelSet?: Set<string>; name?: string; code?: number };
  if (e.code === 11000) return false;
  if (/SQLITE_BUSY|database is locked/i.test(e.message ?? '')) return true;
  if (e.errorLabelSet?.has('RetryableWriteError') || e.errorLabelSet?.has('TransientTransactionError')) return true;
  return e.name === 'MongoNetworkError' || e.name === 'MongoServerSelectionError';
}

const ATTEMPTS = 10;

/** Runs a database call again on transient errors, with jittered backoff (about 3 s in all at most). */
export async function retryTransient<T>(work: () => PromiseLike<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= ATTEMPTS || !isTransient(error)) throw error;
      const delay = Math.min(800, 10 * 2 ** attempt) * (0.5 + Math.random());
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
