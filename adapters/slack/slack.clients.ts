import { Agent as HttpAgent, request as httpRequest, type ClientRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { LogLevel, webApi, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from 'pino';

type WebClient = webApi.WebClient;
type WebClientOptions = webApi.WebClientOptions;

/**
 * Two Web API clients (PLATFORMS.md "Rate limits"): `@slack/web-api` pauses a client's whole queue
 * for a 429's Retry-After, so background posting (cards, threads, war rooms) gets its own client and
 * never stalls the calls a person is waiting for (views.open within 3 s). Both honour Retry-After;
 * 5xx answers are retried briefly, then reported instead of retried for half an hour.
 */
export const RETRY = { retries: 3, factor: 2, minTimeout: 200, maxTimeout: 2_000, randomize: false };

/** The Web API's base URL with its trailing slash: SLACK_API_URL's, else Slack's own. */
function apiBase(apiUrl: string | undefined): string {
  const base = apiUrl ?? 'https://slack.com/api/';
  return base.endsWith('/') ? base : `${base}/`;
}

export function clientOptions(apiUrl: string | undefined, log: Logger, name: string): WebClientOptions {
  return {
    ...(apiUrl ? { slackApiUrl: apiBase(apiUrl) } : {}),
    retryConfig: RETRY,
    logger: boltLogger(log, name),
    timeout: 15_000,
  };
}

export function backgroundClient(token: string, apiUrl: string | undefined, log: Logger): WebClient {
  return new webApi.WebClient(token, clientOptions(apiUrl, log, 'slack-background'));
}

const DELIVERY_TIMEOUT_MS = 15_000;

/** The outbox retries on its own schedule: its client throws on 429 with the wait instead of pausing. */
export function deliveryClient(token: string, apiUrl: string | undefined, log: Logger, timeoutMs = DELIVERY_TIMEOUT_MS): WebClient {
  return new DeliveryClient(token, apiUrl, log.child({ component: 'slack-delivery' }), timeoutMs, {
    ...clientOptions(apiUrl, log, 'slack-delivery'), timeout: timeoutMs, rejectRateLimitedCalls: true, retryConfig: { retries: 0 },
  });
}

/** Kept-alive connections for the interactive path's own posts (views.open, response_url answers). */
const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

export interface JsonAnswer {
  status: number;
  /** A 2xx status. */
  ok: boolean;
  retryAfter?: string;
  body: string;
}

/**
 * POSTs a JSON text over Node's own HTTP client with kept-alive connections, without the global
 * `fetch`: under a burst its request and stream objects were a tenth of the bot's CPU on the
 * path a person waits on (a profile of /incident, then of report receipts). Resolves with any
 * HTTP answer; rejects only when none came (unreachable, timed out).
 *
 * A kept-alive connection the server closes for idleness just as a request goes out on it fails
 * with ECONNRESET before the server read anything (seen once in 52,000 `views.open` of a bench,
 * after the bot had been idle for a few seconds): that request is sent again once, on a new
 * connection, as Node's documentation advises (`request.reusedSocket`).
 */
export function postJson(url: URL, payload: string, headers: Record<string, string>, timeoutMs: number): Promise<JsonAnswer> {
  const secure = url.protocol === 'https:';
  const send = secure ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    let req: ClientRequest;
    // A plain timer rather than AbortSignal.timeout: each signal and its listeners were 2 % of the
    // bot's CPU under a burst of /incident. It covers both attempts.
    const deadline = setTimeout(() => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { name: 'TimeoutError' })), timeoutMs);
    const fail = (error: Error) => {
      clearTimeout(deadline);
      reject(error);
    };
    const attempt = (fresh: boolean) => {
      let answered = false;
      req = send(url, {
        method: 'POST',
        // The second attempt on a connection of its own (closed after it), not another pooled one.
        agent: fresh ? false : secure ? agents.https : agents.http,
        headers: { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(payload)), ...headers },
      }, (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        const status = res.statusCode ?? 0;
        res.on('end', () => {
          clearTimeout(deadline);
          resolve({ status, ok: status >= 200 && status < 300, retryAfter: res.headers['retry-after'] as string | undefined, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', fail);
      });
      const sent = req;
      sent.on('error', (error: NodeJS.ErrnoException) => {
        if (!fresh && !answered && sent.reusedSocket && error.code === 'ECONNRESET') return attempt(true);
        fail(error);
      });
      sent.end(payload);
    };
    attempt(false);
  });
}

/**
 * One Web API call, lean: a JSON body with the bearer token through `postJson`, no retries, no
 * queue. @slack/web-api stringifies and redacts every request body and answer for its debug lines
 * even with debug off, sends the body form-encoded (each block list a JSON text inside it) through
 * `fetch`: 13 % of the bot's CPU under a burst of /incident (the report modal is ~15 KB), and under
 * a burst of reports a fifth of everything the bot allocated (a sampling heap profile: the
 * querystring encoder, fetch's streams, the redaction). Failures are shaped like web-api's (`code`,
 * `retryAfter` in seconds, `statusCode`, `data`), so slackErrorCode, retryAfterMs and the replies
 * read them the same way.
 */
export async function callLean(url: URL, token: string, method: string, args: object, timeoutMs: number): Promise<webApi.WebAPICallResult> {
  let res: JsonAnswer;
  try {
    res = await postJson(url, JSON.stringify(args), { authorization: `Bearer ${token}` }, timeoutMs);
  } catch (error) {
    throw Object.assign(new Error(`${method} unreachable: ${(error as Error).message}`), { code: 'slack_webapi_request_error', original: error });
  }
  if (res.status === 429) {
    const seconds = Number.parseInt(res.retryAfter ?? '', 10);
    throw Object.assign(new Error(`${method} rate limited`), { code: 'slack_webapi_rate_limited_error', retryAfter: Number.isNaN(seconds) ? undefined : seconds });
  }
  if (!res.ok) throw Object.assign(new Error(`${method} answered ${res.status}`), { code: 'slack_webapi_http_error', statusCode: res.status, body: res.body });
  let body: webApi.WebAPICallResult & { error?: string };
  try {
    body = JSON.parse(res.body) as webApi.WebAPICallResult & { error?: string };
  } catch {
    throw Object.assign(new Error(`${method} answered something other than JSON`), { code: 'slack_webapi_http_error', statusCode: res.status, body: res.body.slice(0, 200) });
  }
  if (!body.ok) throw Object.assign(new Error(`An API error occurred: ${body.error ?? 'unknown'}`), { code: 'slack_webapi_platform_error', data: body });
  return body;
}

/** `views.open` for the interactive path, lean (callLean); a trigger_id lives 3 s, so no retries. */
export class ViewOpener {
  private readonly url: URL;

  constructor(
    private readonly token: string,
    apiUrl: string | undefined,
    private readonly timeoutMs = 3_000,
  ) {
    this.url = new URL('views.open', apiBase(apiUrl));
  }

  async open(triggerId: string, view: object): Promise<{ view?: { id?: string } }> {
    return callLean(this.url, this.token, 'views.open', { trigger_id: triggerId, view }, this.timeoutMs) as Promise<{ view?: { id?: string } }>;
  }
}

/** The outbox's posts of every card and thread line: sent through callLean (see DeliveryClient). */
const LEAN_METHODS = ['chat.postMessage', 'chat.update'];

/**
 * The outbox's client: `chat.postMessage` and `chat.update`, made for every card and every thread
 * line, go lean (callLean); anything rarer (war rooms, pins, history reads, uploads) through
 * web-api as configured. Neither retries: the outbox retries on its own schedule, and a 429 throws
 * with its wait.
 */
class DeliveryClient extends webApi.WebClient {
  /** The lean methods' URLs, by method. */
  private readonly lean: Map<string, URL>;

  constructor(
    private readonly bearer: string,
    apiUrl: string | undefined,
    private readonly log: Logger,
    private readonly timeoutMs: number,
    options: WebClientOptions,
  ) {
    super(bearer, options);
    this.lean = new Map(LEAN_METHODS.map((method) => [method, new URL(method, apiBase(apiUrl))]));
  }

  override async apiCall(method: string, options: Record<string, unknown> = {}): Promise<webApi.WebAPICallResult> {
    const url = this.lean.get(method);
    if (!url || options.token !== undefined) return super.apiCall(method, options);
    const result = await callLean(url, this.bearer, method, options, this.timeoutMs);
    // As web-api does: Slack's warnings about a call (say, a missing fallback text) reach the log.
    for (const warning of result.response_metadata?.warnings ?? []) this.log.warn({ method, slackWarning: warning }, 'Slack warned about a call');
    return result;
  }
}

/** A short, stable name for a Web API failure: the platform error code, "ratelimited", or the HTTP status. */
export function slackErrorCode(error: unknown): string {
  const e = error as { code?: string; data?: { error?: string }; statusCode?: number; retryAfter?: number; original?: Error; message?: string };
  if (e?.data?.error) return e.data.error;
  if (e?.code === 'slack_webapi_rate_limited_error') return 'ratelimited';
  if (typeof e?.statusCode === 'number') return `http ${e.statusCode}`;
  if (e?.code === 'slack_webapi_request_error') return 'unreachable';
  return e?.message?.slice(0, 80) ?? 'unknown error';
}

export function retryAfterMs(error: unknown): number | undefined {
  const e = error as { code?: string; retryAfter?: number };
  return e?.code === 'slack_webapi_rate_limited_error' && typeof e.retryAfter === 'number' ? e.retryAfter * 1000 : undefined;
}

/** Bolt and web-api log through pino, so one log stream (with redaction) covers everything. */
export function boltLogger(log: Logger, name: string): BoltLogger {
  let level = LogLevel.INFO;
  const child = log.child({ component: name });
  const text = (msg: unknown[]) => msg.map((m) => (typeof m === 'string' ? m : JSON.stringify(m))).join(' ');
  // Bolt and web-api log every request at debug: nothing is formatted unless the level is on.
  const at = (name: 'debug' | 'info' | 'warn' | 'error') => (...msg: unknown[]) => {
    if (child.isLevelEnabled(name)) child[name](text(msg));
  };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    setLevel: (l: LogLevel) => void (level = l),
    getLevel: () => level,
    setName: () => undefined,
  };
}
