import type { Server } from 'node:http';
import { Duplex } from 'node:stream';
import { Worker } from 'node:worker_threads';

/**
 * Connections accepted on a thread of their own and handed to the bot's HTTP server.
 *
 * Why: Node 20's libuv accepts one connection per turn of the event loop (libuv 1.45 stopped
 * accepting in a loop). Under a burst the bot's turns take 20–100 ms, so fifty new connections
 * took one to two seconds to be accepted, and a client that opens a connection per request (a
 * proxy without upstream keep-alive) got one request in per turn: `npm run bench:slack` with
 * BENCH_KEEPALIVE=0 took 9.4 s to send its 1,000 submissions (3.1 s with this thread).
 * This thread does nothing else, so it accepts each connection at once; the bytes cross to the
 * main thread as messages, served in arrival order a few milliseconds' worth per turn, so a
 * burst of new connections waits for turns of work rather than one turn each. The HTTP server
 * itself (parsing, routes, Slack's receiver) stays on the main thread: Node's server takes any
 * duplex stream as a connection.
 */
const ACCEPTOR_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const net = require('node:net');
const sockets = new Map();
let next = 0;
// Messages go to the main thread together, once per turn of this thread's loop.
let outgoing = [];
let transfers = [];
function post(message, transfer) {
  outgoing.push(message);
  if (transfer) transfers.push(transfer);
  if (outgoing.length === 1) setImmediate(flush);
}
function flush() {
  const batch = outgoing;
  const moved = transfers;
  outgoing = [];
  transfers = [];
  if (batch.length > 0) parentPort.postMessage(batch, moved);
}
const server = net.createServer({ noDelay: true, allowHalfOpen: true }, (socket) => {
  const id = ++next;
  sockets.set(id, socket);
  post({ t: 'open', id, address: socket.remoteAddress, port: socket.remotePort, family: socket.remoteFamily });
  socket.on('data', (chunk) => {
    const bytes = new Uint8Array(chunk);
    post({ t: 'data', id, bytes }, bytes.buffer);
  });
  socket.on('end', () => post({ t: 'end', id }));
  socket.on('timeout', () => post({ t: 'timeout', id }));
  socket.on('error', () => undefined);
  socket.on('close', () => {
    sockets.delete(id);
    post({ t: 'close', id });
  });
});
server.on('error', (error) => post({ t: 'error', message: error.message, code: error.code }));
parentPort.on('message', (batch) => {
  for (const m of batch) handle(m);
});
function handle(m) {
  if (m.t === 'unlisten') {
    server.close();
    return;
  }
  if (m.t === 'stop') {
    for (const socket of sockets.values()) socket.destroy();
    return;
  }
  const socket = sockets.get(m.id);
  if (!socket) return;
  if (m.t === 'write') socket.write(m.bytes);
  else if (m.t === 'end') socket.end();
  else if (m.t === 'destroy') socket.destroy();
  else if (m.t === 'pause') socket.pause();
  else if (m.t === 'resume') socket.resume();
  else if (m.t === 'timeout') socket.setTimeout(m.ms);
}
server.listen(workerData.port, workerData.host, () => post({ t: 'listening', port: server.address().port }));
`;

/** Milliseconds of a turn of the main thread's loop spent on what the acceptor sent (see the queue). */
const TURN_BUDGET_MS = 5;

type FromAcceptor =
  | { t: 'listening'; port: number }
  | { t: 'error'; message: string; code?: string }
  | { t: 'open'; id: number; address?: string; port?: number; family?: string }
  | { t: 'data'; id: number; bytes: Uint8Array }
  | { t: 'end' | 'timeout' | 'close'; id: number };

type ToAcceptor =
  | { t: 'write'; id: number; bytes: Uint8Array }
  | { t: 'end' | 'destroy' | 'pause' | 'resume'; id: number }
  | { t: 'timeout'; id: number; ms: number }
  | { t: 'unlisten' | 'stop' };

/** One accepted connection as the HTTP server sees it: a duplex whose bytes come from and go to the acceptor thread. */
class AcceptedSocket extends Duplex {
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  readonly remoteFamily: string | undefined;
  private paused = false;

  constructor(
    private readonly id: number,
    private readonly send: (message: ToAcceptor, transfer?: ArrayBuffer[]) => void,
    peer: { address?: string; port?: number; family?: string },
  ) {
    super({ allowHalfOpen: true });
    this.remoteAddress = peer.address;
    this.remotePort = peer.port;
    this.remoteFamily = peer.family;
  }

  /** Bytes from the client; the thread stops reading while the server has not taken what it has. */
  received(bytes: Uint8Array): void {
    if (this.closedHere()) return;
    if (!this.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)) && !this.paused) {
      this.paused = true;
      this.send({ t: 'pause', id: this.id });
    }
  }

  /** The client ended its side. */
  ended(): void {
    if (!this.closedHere()) this.push(null);
  }

  /** Bytes or an end still in flight from the thread when the server had already closed the connection are dropped. */
  private closedHere(): boolean {
    return this.destroyed || this.readableEnded;
  }

  override _read(): void {
    if (!this.paused) return;
    this.paused = false;
    this.send({ t: 'resume', id: this.id });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const bytes = new Uint8Array(chunk);
    this.send({ t: 'write', id: this.id, bytes }, [bytes.buffer]);
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.send({ t: 'end', id: this.id });
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.send({ t: 'destroy', id: this.id });
    callback(error);
  }

  /** The HTTP server's idle and keep-alive timeouts, kept by the thread that sees the traffic. */
  setTimeout(ms: number, callback?: () => void): this {
    this.send({ t: 'timeout', id: this.id, ms });
    if (callback) this.once('timeout', callback);
    return this;
  }

  /** Set on the real socket already (no Nagle delay); TCP keep-alive is not used. */
  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  /** Ends the connection once what was written has gone. */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }
}

/**
 * Listens on `port` from the acceptor thread and hands each connection to `server` (which is not
 * listening itself). Resolves with the port once it is bound; rejects if it cannot be (in use).
 * A thread that stops on its own afterwards is an error on `server`: the bot can take no more
 * requests, so it fails loudly rather than answer nothing.
 */
export async function listenOnAcceptor(server: Server, port: number, host: string): Promise<{ port: number; close(graceMs?: number): Promise<void> }> {
  const worker = new Worker(ACCEPTOR_SOURCE, { eval: true, workerData: { port, host } });
  const sockets = new Map<number, AcceptedSocket>();
  // What goes to the thread goes together, once per turn of this thread's loop: a request's
  // bytes, its response and the server's two timeout changes were four messages, and posting
  // them was 2 % of the main thread in a burst of reports (each also woke the thread up).
  let outgoing: ToAcceptor[] = [];
  let transfers: ArrayBuffer[] = [];
  const flush = () => {
    const batch = outgoing;
    const moved = transfers;
    outgoing = [];
    transfers = [];
    if (batch.length > 0) worker.postMessage(batch, moved);
  };
  const send = (message: ToAcceptor, transfer?: ArrayBuffer[]) => {
    outgoing.push(message);
    if (transfer) transfers.push(...transfer);
    if (outgoing.length === 1) setImmediate(flush);
  };
  let closing = false;
  let listening = false;
  const bound = new Promise<number>((resolve, reject) => {
    const failed = (error: Error) => {
      if (closing) return;
      if (listening) server.emit('error', error);
      else reject(error);
    };
    worker.on('error', failed);
    worker.on('exit', (code) => failed(new Error(`the HTTP acceptor thread stopped (exit code ${code})`)));
    const handle = (message: FromAcceptor) => {
      switch (message.t) {
        case 'listening':
          listening = true;
          resolve(message.port);
          return;
        case 'error':
          failed(Object.assign(new Error(`HTTP server: ${message.message}`), { code: message.code }));
          return;
        case 'open': {
          const socket = new AcceptedSocket(message.id, send, message);
          sockets.set(message.id, socket);
          server.emit('connection', socket);
          return;
        }
        case 'data':
          sockets.get(message.id)?.received(message.bytes);
          return;
        case 'end':
          sockets.get(message.id)?.ended();
          return;
        case 'timeout':
          sockets.get(message.id)?.emit('timeout');
          return;
        case 'close': {
          const socket = sockets.get(message.id);
          sockets.delete(message.id);
          if (socket && !socket.destroyed) socket.destroy();
          return;
        }
      }
    };
    // What the thread sends is served a few milliseconds' worth per turn of this thread's loop:
    // Node hands a worker's messages over all at once, and each can run a request's handler, so a
    // backlog of hundreds would hold up the database's answers and every timer for a second.
    const queue: FromAcceptor[] = [];
    let head = 0;
    let draining = false;
    const drain = () => {
      const until = performance.now() + TURN_BUDGET_MS;
      try {
        while (head < queue.length && performance.now() < until) handle(queue[head++]!);
      } finally {
        // Even after a throw (then uncaught, as any handler's), the rest of the queue is served.
        if (head < queue.length) setImmediate(drain);
        else {
          queue.length = 0;
          head = 0;
          draining = false;
        }
      }
    };
    worker.on('message', (batch: FromAcceptor[]) => {
      for (const message of batch) queue.push(message);
      if (draining) return;
      draining = true;
      setImmediate(drain);
    });
  });
  const actualPort = await bound.catch(async (error: unknown) => {
    closing = true;
    await worker.terminate();
    throw error;
  });
  // Node's server keeps its list of connections (idle ones closed on close(), slow headers timed
  // out) from the moment it is listening: it is told so, since its own socket is the thread's.
  server.emit('listening');
  return {
    port: actualPort,
    /** Stops accepting; connections still answering get `graceMs` to finish, then all are closed. */
    async close(graceMs = 5_000) {
      closing = true;
      send({ t: 'unlisten' });
      await new Promise<void>((resolve) => server.close(() => resolve()));
      const deadline = Date.now() + graceMs;
      while (sockets.size > 0 && Date.now() < deadline) {
        server.closeIdleConnections();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      send({ t: 'stop' });
      for (const socket of sockets.values()) socket.destroy();
      sockets.clear();
      flush();
      await worker.terminate();
    },
  };
}
