import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the bot made: a Web API method (form fields, JSON ones parsed) or a response_url post. */
export interface ApiCall {
  method: string;
  params: Record<string, unknown>;
  token?: string;
  at: number;
  /** What the fake answered (ok responses), e.g. the ts of a posted message. */
  response?: Record<string, unknown>;
}

/** A scripted answer: an HTTP status (500, 429 with Retry-After) or a Slack error (`ok: false`). */
export type Scripted =
  | { status: 429; retryAfter: number }
  | { status: number; body?: string }
  | { error: string }
  | { ok: true; [key: string]: unknown };

export interface Block {
  type: string;
  block_id?: string;
  [key: string]: unknown;
}

const JSON_FIELDS = new Set(['blocks', 'view', 'attachments', 'metadata']);

/** Slack's per-channel limit on chat.postMessage: `burst` posts at once, then `perSecond` (PLATFORMS.md "Rate limits"). */
export interface ChannelLimit {
  perSecond: number;
  burst: number;
}

/**
 * A local stand-in for Slack's Web API (PLATFORMS.md "Testing without Slack"): records every call,
 * answers like Slack by default, and can be told to answer the next calls of a method with
 * `ratelimited` (429 + Retry-After), `name_taken`, or a 500 — or to limit every channel's posts
 * as Slack does (`channelLimit`).
 */
export class FakeSlackApi {
  readonly calls: ApiCall[] = [];
  private readonly scripts = new Map<string, Scripted[]>();
  private server?: Server;
  private ts = 1_700_000_000;
  private channelCount = 0;
  /** When set, views.open refuses a trigger_id issued longer ago than this (Slack: 3 s). */
  triggerLifetimeMs?: number;
  /**
   * When set, chat.postMessage into one channel (thread replies and DMs included) beyond this limit
   * is answered as Slack does: HTTP 429, `Retry-After` in whole seconds, `{ ok: false, error: 'ratelimited' }`.
   */
  channelLimit?: ChannelLimit;
  /** How many 429s `channelLimit` gave. */
  rateLimited = 0;
  /** Per channel: posts it may take now (a token bucket refilled at `perSecond`, holding `burst`). */
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  /** What users.info reports as each user's locale ("zh-CN", "en-US"); users not here have none. */
  readonly userLocales = new Map<string, string>();
  /** Files uploaded through files.uploadV2: their content by file id, and their names. */
  readonly uploads = new Map<string, string>();
  readonly fileNames = new Map<string, string>();
  private fileCount = 0;
  /** Channels created through the API (war rooms), by name. */
  private readonly channelNames = new Map<string, string>();
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  /** A response_url for a request; posts to it are recorded as method "response_url". */
  responseUrl(id: string): string {
    return `${this.url}/respond/${id}`;
  }

  /** The next calls of `method` get these answers, in order; later calls get the default again. */
  script(method: string, ...answers: Scripted[]): void {
    this.scripts.set(method, [...(this.scripts.get(method) ?? []), ...answers]);
  }

  callsOf(method: string): ApiCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Waits until a call of `method` matches; returns it. */
  async waitFor(method: string, match: (call: ApiCall) => boolean = () => true, timeoutMs = 10_000, from = 0): Promise<ApiCall> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.calls.slice(from).find((c) => c.method === method && match(c));
      if (found) return found;
      if (Date.now() > deadline) {
        const seen = this.calls.map((c) => c.method).join(', ');
        throw new Error(`no ${method} call matched within ${timeoutMs} ms; calls so far: ${seen}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const path = (req.url ?? '').split('?')[0] ?? '';
    const type = req.headers['content-type'] ?? '';
    const params = type.includes('application/json') ? (JSON.parse(raw || '{}') as Record<string, unknown>) : parseForm(raw);
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '') || (params.token as string | undefined);
    // files.uploadV2's second step: the file's bytes, posted to the upload URL the first step gave.
    if (path.startsWith('/upload/')) {
      // @slack/web-api posts it as multipart form data (one file part); anything else is the bytes themselves.
      let content = raw;
      if (type.startsWith('multipart/form-data')) {
        const form = await new Response(Buffer.from(raw, 'utf8'), { headers: { 'content-type': type } }).formData();
        const part = [...form.values()].find((v) => typeof v !== 'string');
        content = part && typeof part !== 'string' ? await part.text() : '';
      }
      this.uploads.set(path.slice('/upload/'.length), content);
      this.calls.push({ method: 'file_upload', params: { url: path, length: content.length }, at: Date.now() });
      return void res.writeHead(200, { 'content-type': 'text/plain' }).end(`OK - ${raw.length}`);
    }
    if (path.startsWith('/respond/')) {
      this.calls.push({ method: 'response_url', params: { ...params, url: path }, at: Date.now() });
      return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    }
    const method = path.replace(/^\/api\//, '');
    const call: ApiCall = { method, params, token, at: Date.now() };
    this.calls.push(call);
    const scripted = this.scripts.get(method)?.shift();
    if (scripted) return this.answerScripted(res, scripted, method, params);
    const waitMs = method === 'chat.postMessage' ? this.overChannelLimit(String(params.channel)) : 0;
    if (waitMs > 0) {
      this.rateLimited++;
      return this.answerScripted(res, { status: 429, retryAfter: Math.max(1, Math.ceil(waitMs / 1000)) }, method, params);
    }
    call.response = this.defaultAnswer(method, params);
    return json(res, call.response);
  }

  /** 0 when the channel may take a post now (and it is counted), else how long until it may. */
  private overChannelLimit(channel: string): number {
    if (!this.channelLimit) return 0;
    const { perSecond, burst } = this.channelLimit;
    const now = Date.now();
    const bucket = this.buckets.get(channel) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) * perSecond) / 1000);
    bucket.at = now;
    this.buckets.set(channel, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return ((1 - bucket.tokens) * 1000) / perSecond;
  }

  private answerScripted(res: ServerResponse, scripted: Scripted, method: string, params: Record<string, unknown>): void {
    if ('retryAfter' in scripted) {
      return void res.writeHead(429, { 'retry-after': String(scripted.retryAfter), 'content-type': 'application/json' }).end(JSON.stringify({ ok: false, error: 'ratelimited' }));
    }
    if ('status' in scripted && typeof scripted.status === 'number') {
      return void res.writeHead(scripted.status, { 'content-type': 'text/plain' }).end(String(scripted.body ?? 'server error'));
    }
    if ('error' in scripted) return json(res, { ok: false, error: scripted.error });
    return json(res, { ...this.defaultAnswer(method, params), ...scripted });
  }

  private defaultAnswer(method: string, params: Record<string, unknown>): Record<string, unknown> {
    switch (method) {
      case 'auth.test':
        return { ok: true, url: 'https://acme.slack.com/', team: 'Acme', user: 'incidentbot', team_id: 'T0001', user_id: 'UBOT', bot_id: 'BBOT' };
      case 'chat.postMessage':
        return { ok: true, channel: params.channel, ts: this.nextTs(), message: { text: params.text } };
      case 'chat.update':
        return { ok: true, channel: params.channel, ts: params.ts };
      case 'chat.postEphemeral':
        return { ok: true, message_ts: this.nextTs() };
      case 'views.open':
        // As Slack: a trigger_id is good for 3 s (test/support's trigger ids start with their issue time).
        if (this.triggerLifetimeMs !== undefined && Date.now() - Number(String(params.trigger_id).split('.')[0]) > this.triggerLifetimeMs) {
          return { ok: false, error: 'expired_trigger_id' };
        }
        return { ok: true, view: { id: `V${this.nextTs().replace('.', '')}`, ...(params.view as object) } };
      case 'views.update':
      case 'views.publish':
        return { ok: true, view: { id: (params.view_id as string | undefined) ?? `V${this.nextTs().replace('.', '')}`, ...(params.view as object) } };
      case 'conversations.create': {
        if (this.channelNames.has(String(params.name))) return { ok: false, error: 'name_taken' };
        this.channelCount++;
        const channel = { id: `CWAR${this.channelCount}`, name: String(params.name) };
        this.channelNames.set(channel.name, channel.id);
        return { ok: true, channel };
      }
      case 'users.info': {
        const user = String(params.user);
        const locale = params.include_locale === true || params.include_locale === 'true' ? this.userLocales.get(user) : undefined;
        return { ok: true, user: { id: user, ...(locale ? { locale } : {}) } };
      }
      case 'files.getUploadURLExternal': {
        const id = `F${String(++this.fileCount).padStart(6, '0')}`;
        this.fileNames.set(id, String(params.filename));
        return { ok: true, upload_url: this.apiUrl.replace(/\/api\/?$/, `/upload/${id}`), file_id: id };
      }
      case 'files.completeUploadExternal':
        return { ok: true, files: (JSON.parse(String(params.files ?? '[]')) as { id: string }[]).map((f) => ({ id: f.id, name: this.fileNames.get(f.id) })) };
      case 'conversations.list':
        return { ok: true, channels: [...this.channelNames].map(([name, id]) => ({ id, name })), response_metadata: { next_cursor: '' } };
      // A direct message's channel is the user id here (the fake's chat.postMessage answers so too).
      case 'conversations.open':
        return { ok: true, channel: { id: String(params.users ?? params.channel) } };
      // Newest first, with metadata when asked (include_all_metadata), as Slack answers.
      case 'conversations.history':
        return { ok: true, messages: this.history(String(params.channel), (m) => !m.threadTs || m.threadTs === m.ts, params.include_all_metadata) };
      case 'conversations.replies':
        return { ok: true, messages: this.history(String(params.channel), (m) => m.ts === params.ts || m.threadTs === params.ts, params.include_all_metadata) };
      default:
        return { ok: true };
    }
  }

  /** Messages as they stand now in a channel: posted, then replaced by chat.update. */
  messages(channel?: string): { channel: string; ts: string; text: string; blocks: Block[]; threadTs?: string }[] {
    const byTs = new Map<string, { channel: string; ts: string; text: string; blocks: Block[]; threadTs?: string }>();
    for (const call of this.calls) {
      const p = call.params;
      if (call.method === 'chat.postMessage' && call.response) {
        const ts = String(call.response.ts);
        byTs.set(ts, { channel: String(p.channel), ts, text: String(p.text ?? ''), blocks: (p.blocks as Block[] | undefined) ?? [], threadTs: p.thread_ts as string | undefined });
      }
      if (call.method === 'chat.update' && call.response) {
        const existing = byTs.get(String(p.ts));
        if (existing) Object.assign(existing, { text: String(p.text ?? ''), blocks: (p.blocks as Block[] | undefined) ?? [] });
      }
    }
    return [...byTs.values()].filter((m) => channel === undefined || m.channel === channel);
  }

  private history(channel: string, keep: (m: { ts: string; threadTs?: string }) => boolean, withMetadata: unknown) {
    const metadata = new Map(this.calls.filter((c) => c.method === 'chat.postMessage' && c.response).map((c) => [String(c.response!.ts), c.params.metadata]));
    return this.messages(channel)
      .filter(keep)
      .reverse()
      .map((m) => ({ ts: m.ts, text: m.text, ...(m.threadTs ? { thread_ts: m.threadTs } : {}), ...(withMetadata && metadata.get(m.ts) ? { metadata: metadata.get(m.ts) } : {}) }));
  }

  private nextTs(): string {
    this.ts += 1;
    return `${this.ts}.000100`;
  }
}

function parseForm(raw: string): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    params[key] = JSON_FIELDS.has(key) ? safeJson(value) : value;
  }
  return params;
}

function safeJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

function json(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (data += chunk));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}
