import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { BOT_USER } from './fake-discord.js';

/**
 * A minimal Discord gateway (v10, JSON, no compression): HELLO, IDENTIFY → READY, RESUME →
 * replay + RESUMED, heartbeats acknowledged. Tests dispatch INTERACTION_CREATE and drop the
 * connection to see the client resume.
 */
export class FakeGateway {
  private server?: WebSocketServer;
  private socket?: WebSocket;
  private seq = 0;
  /** Dispatches sent, for replay on RESUME. */
  private readonly sent: { s: number; t: string; d: unknown }[] = [];
  readonly received: { op: number; d: unknown }[] = [];
  /** Events sent again on resume. */
  replays = 0;
  url = '';

  constructor(private readonly applicationId: string) {}

  async start(): Promise<void> {
    this.server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => this.server!.on('listening', () => resolve()));
    this.url = `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    this.server.on('connection', (socket) => {
      this.socket = socket;
      socket.send(JSON.stringify({ op: 10, d: { heartbeat_interval: 45_000 }, s: null, t: null }));
      socket.on('message', (data) => this.onMessage(socket, JSON.parse(String(data))));
    });
  }

  /** Sends an INTERACTION_CREATE dispatch as Discord does. */
  dispatchInteraction(raw: unknown): void {
    this.dispatch('INTERACTION_CREATE', raw);
  }

  /** Replay on resume also the last event the client saw (as if its acknowledgement was lost). */
  private replayLast = false;

  /** Closes the connection with a resumable code; the client reconnects and resumes. */
  drop(options: { replayLast?: boolean } = {}): void {
    this.replayLast = options.replayLast ?? false;
    this.socket?.close(4000, 'test drop');
  }

  async stop(): Promise<void> {
    for (const client of this.server?.clients ?? []) client.terminate();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private dispatch(t: string, d: unknown): void {
    const s = ++this.seq;
    this.sent.push({ s, t, d });
    this.socket?.send(JSON.stringify({ op: 0, s, t, d }));
  }

  private onMessage(socket: WebSocket, payload: { op: number; d: { seq?: number } & Record<string, unknown> }): void {
    this.received.push(payload);
    if (payload.op === 1) socket.send(JSON.stringify({ op: 11, d: null, s: null, t: null }));
    if (payload.op === 2) {
      this.dispatch('READY', {
        v: 10,
        user: BOT_USER,
        guilds: [],
        session_id: 'fake-session',
        resume_gateway_url: this.url,
        shard: [0, 1],
        application: { id: this.applicationId, flags: 0 },
      });
    }
    if (payload.op === 6) {
      // Replays everything after the client's last sequence, as Discord does on resume.
      const from = (payload.d.seq ?? 0) - (this.replayLast ? 1 : 0);
      for (const event of this.sent.filter((e) => e.s > from && e.t !== 'READY')) socket.send(JSON.stringify({ op: 0, ...event }));
      this.replays += this.sent.filter((e) => e.s > from && e.t !== 'READY').length;
      this.dispatch('RESUMED', {});
    }
  }
}
