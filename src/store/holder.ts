import { hostname } from 'node:os';

/** This process, as written into locks: `host:pid:nonce`. */
export const PROCESS_ID = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;

/**
 * Whether the holder named in a lock or claim (`host:pid:…`) is certainly gone: a process of this
 * host that no longer exists (killed and restarted). Another host's holder is only known gone when
 * its lease runs out.
 */
export function holderIsGone(by: string): boolean {
  const [host, pid] = by.split(':');
  if (host !== hostname() || !pid || Number(pid) === process.pid) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
