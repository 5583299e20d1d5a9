import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Board, MajorView, ServiceStatus } from './service-status.js';
import type { Voice } from '../app/voice.js';
import type { ConfigFile } from '../config/config.schema.js';
import type { ServiceState, ServiceView } from '../domain/service-state.js';
import { catalog, LOCALES, localeOf, type Locale } from '../i18n/index.js';
import { escapeHtml } from '../links/page.js';
import type { RouteHandler } from '../http/server.js';

export const STATUS_ROUTE = 'GET /status';

export interface StatusPageDeps {
  config: ConfigFile;
  status: Pick<ServiceStatus, 'board' | 'causeText'>;
  voice(locale: Locale): Voice;
  now(): Date;
}

/** Where a sentence's time goes, replaced by a `<time>` element (no catalog text holds it). */
const TIME_SLOT = '\u0000';

/** A symbol beside each state's word, so the state never rests on colour alone. */
const MARK: Record<ServiceState, string> = { operational: '✓', degraded: '▲', outage: '✕' };

/**
 * `GET /status`: the services' states, the open major incidents behind them with their latest
 * update, and the recent changes, as one server-rendered page (no script, no outside asset) in
 * the reader's language: `?lang=`, else Accept-Language, else the organisation's. Public, so it
 * shows nothing internal unless the policy says `showInternal` (then incident titles too).
 */
export function statusRoute(deps: StatusPageDeps): RouteHandler {
  return async (req: IncomingMessage, res: ServerResponse) => {
    const locale = pickLocale(req, deps.config.organisation.locale);
    const now = deps.now();
    const html = renderStatusPage(deps, deps.voice(locale), await deps.status.board(now), now);
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-language': locale,
      vary: 'Accept-Language',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    });
    res.end(html);
  };
}

/** `?lang=zh-CN`, else the first language of Accept-Language the bot speaks (by weight), else the fallback. */
export function pickLocale(req: Pick<IncomingMessage, 'url' | 'headers'>, fallback: Locale): Locale {
  const asked = new URL(req.url ?? '/', 'http://localhost').searchParams.get('lang');
  const fromQuery = localeOf(asked);
  if (fromQuery) return fromQuery;
  const ranked = String(req.headers['accept-language'] ?? '')
    .split(',')
    .map((part, i) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = Number(params.find((p) => p.trim().startsWith('q='))?.trim().slice(2) ?? 1);
      return { tag, q: Number.isFinite(q) ? q : 0, i };
    })
    .filter((r) => r.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const { tag } of ranked) {
    const locale = localeOf(tag);
    if (locale) return locale;
  }
  return fallback;
}

export function renderStatusPage(deps: Pick<StatusPageDeps, 'config' | 'status'>, voice: Voice, board: Board, now: Date): string {
  const { m, presenter, locale } = voice;
  const page = deps.config.policy.statusPage;
  const title = page.title ? presenter.say(page.title) : m.statusPage.title;
  const affected = board.services.filter((s) => s.state !== 'operational');
  const worst: ServiceState = affected.some((s) => s.state === 'outage') ? 'outage' : affected.length > 0 ? 'degraded' : 'operational';
  const summary = affected.length === 0
    ? m.statusPage.summaryAllGood
    : m.statusPage.summaryAffected({ count: affected.length, total: board.services.length, services: affected.map((s) => presenter.serviceLabel(s.id)).join(', ') });
  return `<!doctype html>
<html lang="${locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head><body>
<header><h1>${escapeHtml(title)}</h1><p class="updated">${escapeHtml(m.statusPage.updated({ at: presenter.formatTime(now) }))}</p>
${languages(voice)}</header>
<main>
<p class="summary ${worst}" role="status">${stateMark(worst)} ${escapeHtml(summary)}</p>
<section aria-labelledby="services"><h2 id="services">${escapeHtml(m.statusPage.services)}</h2>
<ul class="services">
${board.services.map((s) => serviceItem(deps, voice, s)).join('\n')}
</ul></section>
<section aria-labelledby="majors"><h2 id="majors">${escapeHtml(m.statusPage.majors)}</h2>
${board.majors.length === 0 ? `<p>${escapeHtml(m.statusPage.noMajors)}</p>` : board.majors.map((major) => majorItem(deps, voice, major)).join('\n')}
</section>
<section aria-labelledby="history"><h2 id="history">${escapeHtml(m.statusPage.history({ days: page.history.days }))}</h2>
${historyList(voice, board)}
</section>
</main>
<footer><p>${escapeHtml(m.statusPage.contact({ contact: deps.config.organisation.serviceDeskContact }))}</p></footer>
</body></html>`;
}

function stateMark(state: ServiceState): string {
  return `<span class="mark" aria-hidden="true">${MARK[state]}</span>`;
}

function badge({ m }: Voice, state: ServiceState): string {
  return `<span class="badge ${state}">${stateMark(state)} ${escapeHtml(m.serviceState[state])}</span>`;
}

function time({ presenter }: Voice, at: Date): string {
  return `<time datetime="${at.toISOString()}">${escapeHtml(presenter.formatTime(at))}</time>`;
}

/** A sentence of the catalog with a `<time>` element where its time goes (the words around it escaped). */
function withTime(sentence: (p: { at: string }) => string, voice: Voice, at: Date): string {
  const [before = '', after = ''] = sentence({ at: TIME_SLOT }).split(TIME_SLOT);
  return `${escapeHtml(before)}${time(voice, at)}${escapeHtml(after)}`;
}

function serviceItem(deps: Pick<StatusPageDeps, 'status'>, voice: Voice, s: ServiceView): string {
  const { m, presenter } = voice;
  const since = s.since ? `<span class="since">${withTime(m.statusPage.since, voice, s.since)}</span>` : '';
  const causes = s.causes.length > 0 ? `<p class="causes">${escapeHtml(m.statusPage.incidents({ list: s.causes.map((c) => deps.status.causeText(m, c)).join('; ') }))}</p>` : '';
  return `<li class="service ${s.state}"><div class="row"><h3>${escapeHtml(presenter.serviceLabel(s.id))}</h3>${badge(voice, s.state)}</div>${since}${causes}</li>`;
}

function majorItem(deps: Pick<StatusPageDeps, 'config'>, voice: Voice, major: MajorView): string {
  const { m, presenter } = voice;
  const title = deps.config.policy.statusPage.showInternal ? major.title : '';
  const update = major.update
    ? `<p class="update-at">${escapeHtml(m.statusPage.latestUpdate({ at: presenter.formatTime(major.update.at) }))}</p><blockquote class="update">${escapeHtml(major.update.text)}</blockquote>`
    : `<p>${escapeHtml(m.statusPage.noUpdate)}</p>`;
  return `<article class="major"><h3>${escapeHtml(m.statusPage.majorHeading({ id: major.id, priority: major.priority, title }))}</h3>
<p>${escapeHtml(m.statusPage.affects({ services: major.services.map((id) => presenter.serviceLabel(id)).join(', ') }))}</p>
${update}</article>`;
}

function historyList(voice: Voice, board: Board): string {
  const { m, presenter } = voice;
  if (board.history.length === 0) return `<p>${escapeHtml(m.statusPage.noHistory)}</p>`;
  const items = board.history.map(
    (c) => `<li>${time(voice, c.at)} <span>${escapeHtml(m.statusPage.change({ service: presenter.serviceLabel(c.service), from: m.serviceState[c.from], to: m.serviceState[c.to] }))}</span></li>`,
  );
  return `<ol class="history">\n${items.join('\n')}\n</ol>`;
}

/** Links to the page in each language, each named in its own language. */
function languages({ m, locale }: Voice): string {
  const links = LOCALES.map((l) => `<a href="?lang=${l}" hreflang="${l}" lang="${l}"${l === locale ? ' aria-current="page"' : ''}>${escapeHtml(catalog(l).language[l])}</a>`);
  return `<nav aria-label="${escapeHtml(m.statusPage.language)}">${links.join(' · ')}</nav>`;
}

/** Readable on a phone (one column, wrapping), large enough type, WCAG AA contrast for every colour pair. */
const STYLE = [
  ':root{color-scheme:light;--fg:#1b1f24;--muted:#4a5360;--line:#d5dae0}',
  '*{box-sizing:border-box}',
  'body{margin:0;font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","PingFang SC","Microsoft YaHei","WenQuanYi Micro Hei",sans-serif;color:var(--fg);background:#f6f7f9;overflow-wrap:anywhere}',
  'header,main,footer{max-width:48rem;margin:0 auto;padding:0 1rem}',
  'header{padding-top:1.5rem}h1{font-size:1.75rem;margin:0 0 .25rem}h2{font-size:1.25rem;margin:1.75rem 0 .75rem}h3{font-size:1.05rem;margin:0}',
  '.updated,.since,.causes,.update-at,footer{color:var(--muted)}',
  'nav a{color:#0b57d0}nav a[aria-current]{font-weight:700;color:var(--fg);text-decoration:none}',
  '.summary{font-weight:600;padding:.75rem 1rem;border-radius:.5rem;border:1px solid var(--line);background:#fff}',
  '.summary.outage{background:#fde8e7;border-color:#b3261e}.summary.degraded{background:#fff4d6;border-color:#8a5a00}.summary.operational{background:#e6f4ea;border-color:#1e6b34}',
  '.services{list-style:none;margin:0;padding:0;display:grid;gap:.5rem}',
  '.service{background:#fff;border:1px solid var(--line);border-left-width:.4rem;border-radius:.5rem;padding:.75rem 1rem}',
  '.service.outage{border-left-color:#b3261e}.service.degraded{border-left-color:#8a5a00}.service.operational{border-left-color:#1e6b34}',
  '.row{display:flex;align-items:center;justify-content:space-between;gap:.75rem}.row h3{min-width:0}',
  '.since{display:block;font-size:.9rem}.causes{margin:.25rem 0 0;font-size:.9rem}',
  '.badge{display:inline-block;padding:.1rem .6rem;border-radius:999px;font-weight:600;font-size:.9rem;white-space:nowrap}',
  '.badge.operational{background:#e6f4ea;color:#14532d}.badge.degraded{background:#fff4d6;color:#6b4500}.badge.outage{background:#b3261e;color:#fff}',
  '.major{background:#fff;border:1px solid var(--line);border-radius:.5rem;padding:.75rem 1rem;margin-bottom:.5rem}.major p{margin:.25rem 0}',
  '.update{margin:.25rem 0 0;padding:.5rem .75rem;border-left:.25rem solid var(--line);background:#f6f7f9;white-space:pre-wrap}',
  '.history{margin:0;padding:0;list-style:none}.history li{margin:.25rem 0}.history time{color:var(--muted);margin-right:.5rem}',
  'footer{padding-top:1rem;padding-bottom:2rem}',
].join('');
