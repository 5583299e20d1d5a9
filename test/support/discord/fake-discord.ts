import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for Discord's REST API (v10): records every call, keeps the channels and
 * messages the bot made, and can answer 429 (with `retry_after` and a Retry-After header) or 500
 * for chosen routes. Interaction callbacks answer 204 without a JSON body, as Discord does.
 */
export interface RecordedCall {
  method: string;
  /** Path after /api/v10, e.g. "/channels/123/messages". */
  path: string;
  query: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  status: number;
  /** Files sent with the message (multipart), by name and content. */
  files?: { name: string; content: string }[];
}

interface Fault {
  method: string;
  pattern: RegExp;
  status: 429 | 500 | 403;
  times: number;
  retryAfterS: number;
  /** Send Retry-After as a header too (Discord does); discord.js reads the header. */
  header: boolean;
  /** Only calls whose JSON body matches. */
  body?: RegExp;
}

export const BOT_USER = { id: '900000000000000001', username: 'incident-bot', discriminator: '0', global_name: null, avatar: null, bot: true };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

export class FakeDiscord {
  readonly calls: RecordedCall[] = [];
  readonly channels = new Map<string, Json>();
  readonly messages = new Map<string, Json>();
  private readonly faults: Fault[] = [];
  private server?: Server;
  private next = 1_100_000_000_000_000_000n;
  port = 0;
  /** Answered by GET /gateway/bot. */
  gatewayUrl = 'ws://127.0.0.1:9';

  constructor(readonly guildId: string) {}

  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api`;
  }

  /** A text channel that exists in the guild before the bot starts (service desk, stakeholders…). */
  addChannel(id: string, name: string, type = 0): void {
    this.channels.set(id, { id, type, name, guild_id: this.guildId, parent_id: null, topic: null, permission_overwrites: [] });
  }

  /** The next `times` calls matching method and path get `status`. */
  fail(method: string, pattern: RegExp, status: Fault['status'], options: { times?: number; retryAfterS?: number; header?: boolean; body?: RegExp } = {}): void {
    this.faults.push({ method, pattern, status, times: options.times ?? 1, retryAfterS: options.retryAfterS ?? 0.05, header: options.header ?? true, body: options.body });
  }

  find(method: string, pattern: RegExp | string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method && (typeof pattern === 'string' ? c.path === pattern : pattern.test(c.path)));
  }

  /** Interaction callbacks (type 4 message, 5 deferred, 6 deferred update, 7 update, 9 modal) of one interaction. */
  callbacks(interactionId: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === 'POST' && c.path.startsWith(`/interactions/${interactionId}/`) && c.status < 300);
  }

  /** Everything the bot said in answer to one interaction: callback data, edits and follow-ups of its token. */
  answers(interactionId: string, token: string): Json[] {
    return this.calls
      .filter((c) => c.status < 300 && (c.path.startsWith(`/interactions/${interactionId}/`) || c.path.includes(`/webhooks/`) && c.path.includes(`/${token}`)))
      .map((c) => (c.path.startsWith('/interactions/') ? c.body?.data : c.body))
      .filter(Boolean);
  }

  snowflake(): string {
    this.next += 1n;
    return this.next.toString();
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server!.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://x');
    const path = decodeURIComponent(url.pathname).replace(/^\/api(\/v\d+)?/, '');
    const method = req.method ?? 'GET';
    let body: Json;
    let files: { name: string; content: string }[] | undefined;
    const type = String(req.headers['content-type'] ?? '');
    if (type.startsWith('multipart/form-data')) {
      // Attachments: the message is the payload_json part, each file its own part (files[n]).
      const form = await new Response(Buffer.concat(chunks), { headers: { 'content-type': type } }).formData();
      body = JSON.parse(String(form.get('payload_json') ?? '{}'));
      files = [];
      for (const [key, value] of form.entries()) if (key.startsWith('files[') && typeof value !== 'string') files.push({ name: value.name, content: await value.text() });
    } else {
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        body = raw;
      }
    }
    const call: RecordedCall = { method, path, query: url.search, body, status: 200, ...(files ? { files } : {}) };
    this.calls.push(call);
    const fault = this.faults.find((f) => f.times > 0 && f.method === method && f.pattern.test(path) && (!f.body || f.body.test(raw)));
    if (fault) {
      fault.times--;
      call.status = fault.status;
      if (fault.status === 429) {
        const headers: Record<string, string> = { 'content-type': 'application/json', 'x-ratelimit-scope': 'user' };
        if (fault.header) headers['retry-after'] = String(fault.retryAfterS);
        res.writeHead(429, headers).end(JSON.stringify({ message: 'You are being rate limited.', retry_after: fault.retryAfterS, global: false }));
      } else if (fault.status === 403) {
        res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Missing Permissions', code: 50013 }));
      } else {
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ message: '500: Internal Server Error', code: 0 }));
      }
      return;
    }
    const [status, answer] = this.route(method, path, body);
    call.status = status;
    if (status === 204) res.writeHead(204).end();
    else res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
  }

  private route(method: string, path: string, body: Json): [number, Json?] {
    let m: RegExpExecArray | null;
    if (method === 'POST' && /^\/interactions\/\d+\/[^/]+\/callback$/.test(path)) return [204];
    if ((m = /^\/webhooks\/\d+\/([^/]+)(?:\/messages\/(@original|\d+))?$/.exec(path))) {
      const channelId = '0';
      return [200, this.message(channelId, body, m[2] === '@original' ? `orig-${m[1]!.slice(0, 8)}` : undefined)];
    }
    if (method === 'GET' && path === '/gateway/bot') {
      return [200, { url: this.gatewayUrl, shards: 1, session_start_limit: { total: 1000, remaining: 999, reset_after: 0, max_concurrency: 1 } }];
    }
    if (method === 'GET' && path === '/users/@me') return [200, BOT_USER];
    if (method === 'POST' && path === '/users/@me/channels') {
      const id = this.snowflake();
      this.channels.set(id, { id, type: 1, recipients: [{ id: body.recipient_id, username: 'user', discriminator: '0' }] });
      return [200, this.channels.get(id)];
    }
    if ((m = /^\/applications\/(\d+)(?:\/guilds\/(\d+))?\/commands$/.exec(path)) && method === 'PUT') {
      return [200, (body as Json[]).map((c) => ({ ...c, id: this.snowflake(), application_id: m![1], ...(m![2] ? { guild_id: m![2] } : {}), version: '1' }))];
    }
    if ((m = /^\/guilds\/(\d+)\/channels$/.exec(path))) {
      if (method === 'GET') return [200, [...this.channels.values()].filter((c) => c.guild_id === m![1])];
      if (method === 'POST') {
        const id = this.snowflake();
        const channel = { id, guild_id: m[1], parent_id: null, topic: null, permission_overwrites: [], ...body };
        this.channels.set(id, channel);
        return [201, channel];
      }
    }
    if ((m = /^\/channels\/(\d+)\/messages\/(\d+)\/threads$/.exec(path)) && method === 'POST') {
      // As Discord: one thread per message, and the thread takes the message's id.
      if (this.channels.has(m[2]!)) return [400, { message: 'A thread has already been created for this message', code: 160004 }];
      const id = m[2]!;
      const thread = { id, type: 11, guild_id: this.guildId, parent_id: m[1], name: body.name };
      this.channels.set(id, thread);
      return [201, thread];
    }
    if ((m = /^\/channels\/(\d+)\/messages$/.exec(path)) && method === 'POST') {
      // enforce_nonce: a nonce already used in the channel returns that message, and no new one is made (Discord's documented behaviour).
      const nonceKey = body?.enforce_nonce && body?.nonce ? `${m[1]}:${body.nonce}` : undefined;
      const earlier = nonceKey ? this.nonces.get(nonceKey) : undefined;
      if (earlier) return [200, this.messages.get(earlier)];
      const message = this.message(m[1]!, body);
      if (nonceKey) this.nonces.set(nonceKey, message.id);
      return [200, message];
    }
    if ((m = /^\/channels\/(\d+)\/messages\/(\d+)$/.exec(path)) && method === 'PATCH') {
      const existing = this.messages.get(m[2]!);
      if (!existing) return [404, { message: 'Unknown Message', code: 10008 }];
      Object.assign(existing, body, { edited_timestamp: new Date().toISOString() });
      return [200, existing];
    }
    if ((m = /^\/channels\/(\d+)$/.exec(path))) {
      const channel = this.channels.get(m[1]!);
      if (!channel) return [404, { message: 'Unknown Channel', code: 10003 }];
      if (method === 'GET') return [200, channel];
      if (method === 'PATCH') return [200, Object.assign(channel, body)];
      if (method === 'DELETE') {
        this.channels.delete(m[1]!);
        return [200, channel];
      }
    }
    if ((m = /^\/channels\/(\d+)\/permissions\/(\d+)$/.exec(path)) && method === 'PUT') return [204];
    if ((m = /^\/channels\/(\d+)\/pins\/(\d+)$/.exec(path)) && method === 'PUT') {
      const pinned = this.messages.get(m[2]!);
      if (!pinned) return [404, { message: 'Unknown Message', code: 10008 }];
      pinned.pinned = true;
      return [204];
    }
    return [404, { message: `Unknown route ${method} ${path}`, code: 0 }];
  }

  private readonly nonces = new Map<string, string>();

  private message(channelId: string, body: Json, id = this.snowflake()): Json {
    const message = {
      id,
      channel_id: channelId,
      type: 0,
      content: body?.content ?? '',
      embeds: body?.embeds ?? [],
      components: body?.components ?? [],
      attachments: [],
      author: BOT_USER,
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      flags: body?.flags ?? 0,
      ...(body?.nonce ? { nonce: body.nonce } : {}),
      mentions: [],
      mention_roles: [],
      mention_everyone: false,
      pinned: false,
      tts: false,
    };
    this.messages.set(id, message);
    return message;
  }
}
