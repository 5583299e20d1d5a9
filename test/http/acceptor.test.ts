import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createNetServer, connect, type AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { startHttp } from '../../src/http/server.js';

/**
 * The bot's HTTP server takes its connections from a thread of its own (src/http/acceptor.ts):
 * Node 20 accepts one connection per turn of the event loop, and a busy bot's turns are long.
 */
describe('connections accepted on their own thread', () => {
  let http: Awaited<ReturnType<typeof startHttp>> | undefined;
  afterEach(async () => {
    await http?.close();
    http = undefined;
  });

  const start = (routes = new Map()) => startHttp({ port: 0, ready: async () => true, metrics: async () => '', routes });

  it('GIVEN an event loop busy 40 ms a turn and 20 new connections at once THEN all are answered within a few turns, not one connection per turn', async () => {
    http = await start();
    // Clients on a thread of their own, so this thread's busy turns hold up only the server.
    const clients = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const http = require('node:http');
       const started = Date.now();
       Promise.all(Array.from({ length: 20 }, () => new Promise((resolve, reject) => {
         const req = http.request({ port: workerData.port, host: '127.0.0.1', path: '/healthz', agent: false }, (res) => { res.resume(); res.on('end', resolve); });
         req.on('error', reject);
         req.end();
       }))).then(() => parentPort.postMessage({ ms: Date.now() - started }), (error) => parentPort.postMessage({ error: String(error) }));`,
      { eval: true, workerData: { port: http.port } },
    );
    let turns = 0;
    let done = false;
    const answered = new Promise<{ ms?: number; error?: string }>((resolve) => clients.once('message', (m: { ms?: number; error?: string }) => {
      done = true;
      resolve(m);
    }));
    // A bot under a burst: every turn of its loop does 40 ms of work.
    await new Promise<void>((resolve) => {
      const turn = () => {
        if (done) return resolve();
        turns++;
        const until = performance.now() + 40;
        while (performance.now() < until);
        setImmediate(turn);
      };
      setImmediate(turn);
    });
    const result = await answered;
    await clients.terminate();
    expect(result.error).toBeUndefined();
    // One connection per turn would take 20 turns or more.
    expect(turns).toBeLessThan(8);
  });

  it('keeps a connection alive across requests, carries a large body both ways, and closes a connection the client asked to close once it has answered', async () => {
    const routes = new Map([['POST /echo', async (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(Buffer.concat(chunks));
    }]]);
    http = await start(routes);
    const url = `http://127.0.0.1:${http.port}`;
    const big = Buffer.alloc(3 * 1024 * 1024, 'x');
    const first = await fetch(`${url}/echo`, { method: 'POST', body: big });
    expect(Buffer.from(await first.arrayBuffer()).equals(big)).toBe(true);
    const second = await fetch(`${url}/echo`, { method: 'POST', body: 'again' });
    expect(await second.text()).toBe('again');

    // A raw client asking the server to close after answering: the answer comes, then the end.
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(http!.port, '127.0.0.1', () => {
        socket.write('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello');
      });
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(answer).toContain('\r\nhello\r\n');
  });

  it('closes promptly with an idle keep-alive connection open, and says so when its port is taken', async () => {
    http = await start();
    const res = await fetch(`http://127.0.0.1:${http.port}/healthz`);
    expect(await res.text()).toBe('ok\n');
    const started = Date.now();
    await http.close();
    http = undefined;
    expect(Date.now() - started).toBeLessThan(2_000);

    const taken = createNetServer();
    await new Promise<void>((resolve) => taken.listen(0, '0.0.0.0', () => resolve()));
    const port = (taken.address() as AddressInfo).port;
    await expect(startHttp({ port, ready: async () => true, metrics: async () => '' })).rejects.toThrow(/EADDRINUSE/);
    await new Promise((resolve) => taken.close(resolve));
  });
});
