import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../app/clock.js';
import type { Reply } from '../app/view.js';
import type { Voice } from '../app/voice.js';
import type { Actor } from '../domain/directory.js';
import type { Incident } from '../domain/incident.js';
import type { RouteHandler } from '../http/server.js';
import type { LinkStore } from './link.store.js';
import { renderPage, type Page } from './page.js';
import type { LinkAction, LinkClaims, LinkSigner } from './signer.js';

export const LINKS_GET_ROUTE = 'GET /links/*';
export const LINKS_POST_ROUTE = 'POST /links/*';
/** How long an e-mailed link works. */
export const LINK_TTL_MS = 7 * 24 * 3_600_000;
const MAX_BODY = 16_384;

export interface ReporterLinksDeps {
  signer: LinkSigner;
  store: LinkStore;
  /** Where the bot's HTTP server is reached from outside (PUBLIC_URL), without a trailing slash. */
  baseUrl: string;
  clock: Clock;
  load(id: string): Promise<Incident | undefined>;
  run(actor: Actor, name: string, args: Record<string, string>, options: { key: string }): Promise<Reply>;
  /** The organisation's words (the pages are for people outside chat, whose language is not known). */
  voice(): Voice;
  contact: string;
  ttlMs?: number;
}

/**
 * Confirm and Reopen for reporters who are not in chat: signed links in their e-mail, served by the
 * bot's HTTP server. Opening a link (GET) only shows what it will do, so a mail scanner that follows
 * links changes nothing; the button on the page (POST) acts, as the reporter, once. A forged,
 * expired, reused or outdated link gets a page that says so and changes nothing.
 */
export class ReporterLinks {
  constructor(private readonly deps: ReporterLinksDeps) {}

  /** The link for this answer to the incident's current resolution. */
  url(incident: Incident, action: LinkAction): string {
    const answers = action === 'rate' ? incident.closedAt : incident.resolvedAt;
    const claims: LinkClaims = { incidentId: incident.id, action, resolvedAt: answers?.getTime() ?? 0, expires: this.expiresAt().getTime() };
    return `${this.deps.baseUrl}/links/${this.deps.signer.sign(claims)}`;
  }

  expiresAt(): Date {
    return new Date(this.deps.clock.now().getTime() + (this.deps.ttlMs ?? LINK_TTL_MS));
  }

  route(): RouteHandler {
    return async (req, res) => {
      let token: string;
      try {
        token = decodeURIComponent((req.url ?? '').split('?')[0]!.slice('/links/'.length));
      } catch {
        token = ''; // a malformed escape: checked as the forged link it is
      }
      const page = req.method === 'POST' ? await this.answer(token, await readForm(req)) : await this.show(token);
      send(res, page);
    };
  }

  /** GET: what the link will do, or why it will not. */
  private async show(token: string): Promise<Page> {
    const checked = await this.check(token);
    if ('page' in checked) return checked.page;
    return this.question(checked.claims, checked.incident);
  }

  /** POST: the answer, given once, as the reporter. */
  private async answer(token: string, form: Record<string, string>): Promise<Page> {
    const checked = await this.check(token);
    if ('page' in checked) return checked.page;
    const { claims, incident } = checked;
    const { m } = this.deps.voice();
    const reason = (form.reason ?? '').trim().slice(0, 2000);
    if (claims.action === 'reopen' && !reason) {
      const asked = this.question(claims, incident);
      return { ...asked, status: 422, form: { ...asked.form!, error: m.link.reasonRequired } };
    }
    const score = (form.score ?? '').trim();
    if (claims.action === 'rate' && !/^[1-5]$/.test(score)) {
      const asked = this.question(claims, incident);
      return { ...asked, status: 422, form: { ...asked.form!, error: m.link.scoreRequired } };
    }
    const actor: Actor = { id: incident.reporterId, name: incident.reporterName };
    const comment = (form.comment ?? '').trim().slice(0, 1000);
    const args: Record<string, string> =
      claims.action === 'reopen' ? { id: incident.id, reason } : claims.action === 'rate' ? { id: incident.id, score, ...(comment ? { comment } : {}) } : { id: incident.id };
    // The same answer twice (a double click, two tabs) is one change: the key makes the second a replay.
    const reply = await this.deps.run(actor, claims.action, args, { key: `link:${answerId(claims)}` });
    if (reply.error || reply.form) return this.page(422, claims, [m.link.refused({ reason: reply.text ?? '' })]);
    await this.deps.store.use(answerId(claims), claims.action, this.deps.clock.now());
    const done = claims.action === 'confirm' ? m.link.confirmed({ id: incident.id }) : claims.action === 'rate' ? m.link.rated({ id: incident.id, score }) : m.link.reopened({ id: incident.id });
    return this.page(200, claims, [done]);
  }

  private async check(token: string): Promise<{ claims: LinkClaims; incident: Incident } | { page: Page }> {
    const { m, presenter } = this.deps.voice();
    const checked = this.deps.signer.check(token);
    if (!checked.ok) return { page: this.page(400, undefined, [m.link.forged]) };
    const { claims } = checked;
    if (this.deps.clock.now().getTime() > claims.expires) return { page: this.page(410, claims, [m.link.expired({ at: presenter.formatTime(new Date(claims.expires)), contact: this.deps.contact })]) };
    const used = await this.deps.store.used(answerId(claims));
    if (used) return { page: this.page(409, claims, [m.link.used({ at: presenter.formatTime(used.at) })]) };
    const incident = await this.deps.load(claims.incidentId);
    if (!incident) return { page: this.page(400, undefined, [m.link.forged]) };
    if (claims.action === 'rate') {
      if (incident.status !== 'closed' || (incident.closedAt?.getTime() ?? 0) !== claims.resolvedAt) return { page: this.page(409, claims, [m.link.stale({ id: incident.id, status: m.status[incident.status] })]) };
      if (incident.rating) return { page: this.page(409, claims, [m.link.alreadyRated({ id: incident.id, score: incident.rating.score })]) };
    } else if (incident.status !== 'resolved' || (incident.resolvedAt?.getTime() ?? 0) !== claims.resolvedAt) {
      return { page: this.page(409, claims, [m.link.stale({ id: incident.id, status: m.status[incident.status] })]) };
    }
    return { claims, incident };
  }

  private question(claims: LinkClaims, incident: Incident): Page {
    const { m } = this.deps.voice();
    const about = { id: incident.id, title: incident.title, solution: incident.solution ?? '' };
    if (claims.action === 'confirm') return { ...this.page(200, claims, [m.link.confirmAsk(about)]), form: { button: m.link.confirmButton } };
    if (claims.action === 'rate') {
      const options = [1, 2, 3, 4, 5].map((n) => ({ value: String(n), label: m.reply.ratingOption({ score: n }) }));
      return { ...this.page(200, claims, [m.link.rateAsk(about)]), form: { button: m.link.rateButton, choice: { name: 'score', label: m.link.score, options }, field: { name: 'comment', label: m.link.comment, required: false } } };
    }
    return { ...this.page(200, claims, [m.link.reopenAsk(about)]), form: { button: m.link.reopenButton, field: { name: 'reason', label: m.link.reason, required: true } } };
  }

  private page(status: number, claims: LinkClaims | undefined, lines: string[]): Page {
    const { m, locale } = this.deps.voice();
    const title = claims?.action === 'reopen' ? m.link.reopenTitle : claims?.action === 'rate' ? m.link.rateTitle : m.link.confirmTitle;
    return { status, lang: locale, title, lines };
  }
}

/** One answer per resolution: Confirm and Reopen of the same e-mail share it. A rating is its own answer, once per closure. */
function answerId(claims: LinkClaims): string {
  return claims.action === 'rate' ? `${claims.incidentId}:rated:${claims.resolvedAt}` : `${claims.incidentId}:${claims.resolvedAt}`;
}

function send(res: ServerResponse, page: Page): void {
  res.writeHead(page.status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    // The token is in the URL: never sent on as a referrer.
    'referrer-policy': 'no-referrer',
    'x-robots-tag': 'noindex',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
  }).end(renderPage(page));
}

/** An urlencoded form body, up to 16 KB (anything longer is cut off, not read). */
function readForm(req: IncomingMessage): Promise<Record<string, string>> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on('end', () => resolve(Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')))));
    req.on('error', () => resolve({}));
  });
}
