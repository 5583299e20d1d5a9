import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RouteHandler } from '../http/server.js';
import type { AlertIntake } from './intake.js';

export const ALERTS_ROUTE = 'POST /alerts/*';

/**
 * `POST /alerts/<source>` (and `/alerts/generic/<source>`): the body is read up to the cap (a
 * larger one is refused with 413 without reading the rest), then handed to the intake, whose
 * answer is sent as JSON.
 */
export function alertsRoute(intake: AlertIntake, maxBodyBytes: () => number): RouteHandler {
  return async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    // ["alerts", name] or ["alerts", "generic", name]
    const name = parts.length === 3 && parts[1] === 'generic' ? parts[2] : parts.length === 2 ? parts[1] : undefined;
    if (!name) return send(res, 404, { error: 'unknown_source', message: 'Use POST /alerts/<source> or /alerts/generic/<source>.' });
    const body = await readBody(req, maxBodyBytes());
    if (!body) return send(res, 413, { error: 'too_large', message: `The body is larger than ${maxBodyBytes()} bytes.` }, true);
    const answer = await intake.receive(name, body, req.headers);
    send(res, answer.status, answer.body);
  };
}

/** The body, or undefined once it passes `max` bytes (the rest is not read). */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = Number(req.headers['content-length'] ?? 0);
    if (size > max) return resolve(undefined);
    size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        resolve(undefined);
        req.removeAllListeners('data');
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(size > max ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: Record<string, unknown>, close = false): void {
  res.writeHead(status, { 'content-type': 'application/json', ...(close ? { connection: 'close' } : {}) }).end(JSON.stringify(body));
}
