import { Agent as HttpAgent, request as httpRequest } from 'node:http';
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

export function clientOptions(apiUrl: string | undefined, log: Logger, name: string): WebClientOptions {
  return {
    ...(apiUrl ? { slackApiUrl: apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/` } : {}),
    retryConfig: RETRY,
    logger: boltLogger(log, name),
    timeout: 15_000,
  };
}

export function backgroundClient(token: string, apiUrl: string | undefined, log: Logger): WebClient {
  return new webApi.WebClient(token, clientOptions(apiUrl, log, 'slack-background'));
}

/** The outbox retries on its own schedule: its client throws on 429 with the wait instead of pausing. */
export function deliveryClient(token: string, apiUrl: string | undefined, log: Logger): WebClient {
  return new webApi.WebClient(token, { ...clientOptions(apiUrl, log, 'slack-delivery'), rejectRateLimitedCalls: true, retryConfig: { retries: 0 } });
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
 */
export function postJson(url: URL, payload: string, headers: Record<string, string>, timeoutMs: number): Promise<JsonAnswer> {
  const secure = url.protocol === 'https:';
  const send = secure ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    // A plain timer rather than AbortSignal.timeout: each signal and its listeners were 2 % of the
    // bot's CPU under a burst of /incident.
    const deadline = setTimeout(() => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { name: 'TimeoutError' })), timeoutMs);
    const fail = (error: Error) => {
      clearTimeout(deadline);
      reject(error);
    };
    const req = send(url, {
      method: 'POST',
      agent: secure ? agents.https : agents.http,
      headers: { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(payload)), ...headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      const status = res.statusCode ?? 0;
      res.on('end', () => {
        clearTimeout(deadline);
        resolve({ status, ok: status >= 200 && status < 300, retryAfter: res.headers['retry-after'] as string | undefined, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', fail);
    });
    req.on('error', fail);
    req.end(payload);
  });
}

/**
 * `views.open` for the interactive path, lean: @slack/web-api stringifies and redacts every
 * request body and answer for its debug lines even with debug off (13% of the bot's CPU under a
 * burst of /incident; the report modal is ~15 KB). A JSON body with the bearer token through
 * `postJson`; no retries (a trigger_id lives 3 s). Failures are shaped like web-api's, so
 * slackErrorCode and the replies read them the same way.
 */
export class ViewOpener {
  private readonly url: URL;

  constructor(
    private readonly token: string,
    apiUrl: string | undefined,
    private readonly timeoutMs = 3_000,
  ) {
    const base = apiUrl ?? 'https://slack.com/api/';
    this.url = new URL(`${base.endsWith('/') ? base : `${base}/`}views.open`);
  }

  async open(triggerId: string, view: object): Promise<{ view?: { id?: string } }> {
    let res: JsonAnswer;
    try {
      res = await postJson(this.url, JSON.stringify({ trigger_id: triggerId, view }), { authorization: `Bearer ${this.token}` }, this.timeoutMs);
    } catch (error) {
      throw Object.assign(new Error(`views.open unreachable: ${(error as Error).message}`), { code: 'slack_webapi_request_error', original: error });
    }
    if (res.status === 429) throw Object.assign(new Error('views.open rate limited'), { code: 'slack_webapi_rate_limited_error', retryAfter: Number(res.retryAfter) || undefined });
    if (!res.ok) throw Object.assign(new Error(`views.open answered ${res.status}`), { code: 'slack_webapi_http_error', statusCode: res.status });
    const body = JSON.parse(res.body) as { ok?: boolean; error?: string; view?: { id?: string } };
    if (!body.ok) throw Object.assign(new Error(`An API error occurred: ${body.error ?? 'unknown'}`), { code: 'slack_webapi_platform_error', data: body });
    return body;
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
