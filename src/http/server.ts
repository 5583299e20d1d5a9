import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { listenOnAcceptor } from './acceptor.js';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface HttpOptions {
  port: number;
  ready: () => Promise<boolean>;
  metrics: () => Promise<string>;
  /** Extra routes (webhooks, platform endpoints) by "METHOD /path". */
  routes?: Map<string, RouteHandler>;
  /** Told how long each request to a route took, from its arrival to the last byte of the answer (a platform's ack time). */
  timed?: (route: string, seconds: number) => void;
}

/** Health (`/healthz`), readiness (`/readyz`: database reachable) and Prometheus metrics (`/metrics`). */
export async function startHttp(options: HttpOptions): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    if (options.timed) {
      const started = process.hrtime.bigint();
      const route = routeName(options.routes, req);
      res.once('finish', () => options.timed?.(route, Number(process.hrtime.bigint() - started) / 1e9));
    }
    void handle(options, req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end('internal error');
    });
  });
  // Accepted on a thread of its own (see acceptor.ts): under a burst the event loop here would take
  // one new connection per turn.
  const acceptor = await listenOnAcceptor(server, options.port, '0.0.0.0');
  return { server, port: acceptor.port, close: () => acceptor.close() };
}

/** A request's route for the timings: a configured route's key, else "other" (never the raw path: one series per path a scanner tries). */
function routeName(routes: Map<string, RouteHandler> | undefined, req: IncomingMessage): string {
  const path = (req.url ?? '/').split('?')[0];
  const key = `${req.method} ${path}`;
  if (routes?.has(key)) return key;
  for (const candidate of routes?.keys() ?? []) {
    if (candidate.endsWith('/*') && key.startsWith(candidate.slice(0, -1))) return candidate;
  }
  return 'other';
}

async function handle(options: HttpOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  // An exact route, else one for everything under a prefix ("POST /alerts/*").
  const route = options.routes?.get(`${req.method} ${path}`) ?? prefixRoute(options.routes, req.method, path);
  if (route) return route(req, res);
  if (req.method === 'GET' && path === '/healthz') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
  if (req.method === 'GET' && path === '/readyz') {
    const ready = await options.ready().catch(() => false);
    return void res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'ready\n' : 'database unreachable\n');
  }
  if (req.method === 'GET' && path === '/metrics') {
    return void res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(await options.metrics());
  }
  res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
}

function prefixRoute(routes: Map<string, RouteHandler> | undefined, method: string | undefined, path: string | undefined): RouteHandler | undefined {
  if (!routes || !path) return undefined;
  for (const [key, handler] of routes) {
    if (!key.endsWith('/*')) continue;
    const [routeMethod, prefix] = key.slice(0, -1).split(' ');
    if (routeMethod === method && prefix && path.startsWith(prefix) && path.length > prefix.length) return handler;
  }
  return undefined;
}
