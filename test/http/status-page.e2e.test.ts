import { accessSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ServiceState } from '../../src/domain/service-state.js';
import { startHttp } from '../../src/http/server.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { people, reportInput } from '../support/fixtures.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Without the background-networking flags Chromium dials out at start, and this machine's closed network refuses it. */
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SHOTS = '/tmp/status';
const PHONE = { width: 390, height: 844 };
const MIN = 60_000;
const HOSTILE_NOTE = 'Failover to the standby <b>site</b> & <script>alert(1)</script> under way; next update 10:30.';

/** A service's state document as stored (`service_states`). */
interface StoredState {
  _id: string;
  state: ServiceState;
  since?: Date;
  causes: { id: string; priority: string; major: boolean }[];
  recent: { at: Date; from: ServiceState; to: ServiceState }[];
}

/** The few browser objects the page functions below touch (the project compiles without the DOM library). */
interface BrowserElement {
  className: string;
  tagName: string;
  innerText: string;
  parentElement: BrowserElement | null;
}
interface BrowserGlobals {
  getComputedStyle(el: BrowserElement): { color: string; backgroundColor: string };
  document: { documentElement: { scrollWidth: number } };
}

/** Chromium, or a failure that says how to get it (never a silent skip). */
function chromiumPath(): string {
  try {
    accessSync(CHROMIUM, constants.X_OK);
    return CHROMIUM;
  } catch {
    throw new Error(`No Chromium at ${CHROMIUM}: run \`npx tsx scripts/prepare-chromium.ts\` (as root it installs Debian's chromium package), or set CHROMIUM_PATH`);
  }
}

/** The PNG's width and height from its IHDR chunk. */
function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** WCAG contrast ratio of two `rgb(r, g, b)` colours. */
function contrast(a: string, b: string): number {
  const luminance = (css: string) => {
    const [r, g, bl] = (css.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map((v) => {
      const c = Number(v) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    }) as [number, number, number];
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/**
 * The status page in a real headless Chromium (Debian's package, driven by playwright-core): what
 * it shows is checked against what the database holds while an incident takes a service down,
 * degrades it and restores it; on a phone it needs no sideways scrolling; in Chinese it speaks
 * Chinese; and it is looked at (screenshots under /tmp/status).
 */
describe('GET /status in a browser', () => {
  let t: TestApp;
  let http: Awaited<ReturnType<typeof startHttp>>;
  let browser: Browser;
  let page: Page;
  let id: string;
  const url = (query = '') => `http://127.0.0.1:${http.port}/status${query}`;
  const text = async (selector: string) => (await page.locator(selector).allInnerTexts()).map((s) => s.replace(/\s+/g, ' ').trim());
  /** A screenshot of the whole page, kept for a person to look at. */
  const shoot = async (name: string) => {
    const png = await page.screenshot({ fullPage: true });
    writeFileSync(`${SHOTS}/${name}.png`, png);
    return png;
  };
  /** What the database holds for a service: its state document (absent: never changed, operational). */
  const stored = async (service: string) => t.conn.collection<StoredState>('service_states').findOne({ _id: service });
  const presenter = () => t.app.voice('en').presenter;

  /** Why there is no browser: every test fails with it (a missing Chromium is never a silent skip). */
  let missing: Error | undefined;

  beforeAll(async () => {
    let executablePath: string;
    try {
      executablePath = chromiumPath();
    } catch (error) {
      missing = error as Error;
      return;
    }
    mkdirSync(SHOTS, { recursive: true });
    t = await startTestApp();
    http = await startHttp({ port: 0, ready: async () => true, metrics: async () => '', routes: t.bot.routes });
    browser = await chromium.launch({ executablePath, args: FLAGS });
    page = await browser.newPage({ viewport: { width: 1024, height: 768 } });
  });
  beforeEach(() => {
    if (missing) throw missing;
  });
  afterAll(async () => {
    await browser?.close();
    await http?.close();
    await t?.close();
  });

  it('with nothing open: every service operational, no major incident, no history; no cache, no script', async () => {
    const response = await page.goto(url());
    expect(response?.status()).toBe(200);
    expect(response?.headers()['cache-control']).toBe('no-store');
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await text('.summary')).toEqual(['✓ All services are operational.']);
    expect(await page.locator('.service.operational').count()).toBe(t.app.config.policy.services.length);
    expect(await text('#majors + p')).toEqual(['No major incident is open.']);
    expect(await page.locator('script').count()).toBe(0);
    await shoot('1-operational');
  });

  it('GIVEN a P1 on OA whose CI cannot work, with an update WHEN the page is opened THEN OA is out, since when the database says, with the update', async () => {
    t.clock.set(new Date('2026-01-05T09:00:00Z'));
    id = (await t.app.service.report(people.user, reportInput({ title: 'OA login fails <for> everyone', service: 'oa', ci: 'oa-app-01', ciOperable: false, impact: 1, urgency: 1 }))).incident.id;
    t.clock.advance(5 * MIN);
    await t.app.service.act(id, 'update', people.desk, { note: HOSTILE_NOTE });
    await page.goto(url());
    const oa = await stored('oa');
    expect(oa).toMatchObject({ state: 'outage', causes: [{ id, priority: 'P1', major: true }] });
    const since = presenter().formatTime(oa!.since);
    expect(await text('.service.outage')).toEqual([`Office automation (OA) ✕ Outage Since ${since} Open incidents: ${id} (P1, major incident)`]);
    expect(await text('.summary.outage')).toEqual([`✕ 1 of ${t.app.config.policy.services.length} services affected: Office automation (OA).`]);
    // The major incident's latest update is the newest "update" event's note, as stored; its markup is text.
    const update = await t.conn.collection('incident_events').findOne({ incidentId: id, action: 'update' });
    expect(update?.note).toBe(HOSTILE_NOTE);
    expect(await text('.major h3')).toEqual([`${id} (P1)`]);
    expect(await text('.major .update')).toEqual([HOSTILE_NOTE]);
    expect(await text('.major .update-at')).toEqual([`Latest update, ${presenter().formatTime(update!.at as Date)}:`]);
    expect(await page.locator('.major b, script').count()).toBe(0);
    // Nothing internal: no title (showInternal is off), no person, no CI.
    const body = await page.locator('body').innerText();
    for (const secret of ['OA login fails', people.user.name, people.desk.name, 'oa-app-01']) expect(body).not.toContain(secret);
    expect(await text('.history li')).toEqual([`${since} Office automation (OA): Operational → Outage`]);
    await shoot('2-outage');
  });

  it('is accessible: landmarks, one h1, the state in words as well as colour, contrast of at least 4.5:1', async () => {
    for (const landmark of ['header', 'main', 'footer', 'nav[aria-label]']) expect(await page.locator(landmark).count(), landmark).toBe(1);
    expect(await page.locator('h1').count()).toBe(1);
    expect(await page.locator('h2').allInnerTexts()).toEqual(['Services', 'Major incidents', 'Changes in the last 14 days']);
    // Each element's colour on the first background behind it that is not transparent.
    const colours = await page.locator('.badge, .summary, .since, .updated, nav a').evaluateAll((found: unknown[]) =>
      (found as BrowserElement[]).map((el) => {
        const style = (node: BrowserElement) => (globalThis as unknown as BrowserGlobals).getComputedStyle(node);
        let bg = 'rgba(0, 0, 0, 0)';
        for (let node: BrowserElement | null = el; node && /rgba\(0, 0, 0, 0\)|transparent/.test(bg); node = node.parentElement) bg = style(node).backgroundColor;
        return { what: `${el.className || el.tagName} "${el.innerText}"`, fg: style(el).color, bg };
      }),
    );
    expect(colours.length).toBeGreaterThan(15);
    for (const c of colours) expect(contrast(c.fg, c.bg), `${c.what}: ${c.fg} on ${c.bg}`).toBeGreaterThanOrEqual(4.5);
  });

  it('fits a phone: 390 px wide, nothing to scroll sideways', async () => {
    const phone = await browser.newPage({ viewport: PHONE, deviceScaleFactor: 1, isMobile: true });
    try {
      await phone.goto(url());
      expect(await phone.evaluate(() => (globalThis as unknown as BrowserGlobals).document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
      expect(await phone.locator('meta[name=viewport]').getAttribute('content')).toBe('width=device-width, initial-scale=1');
      const png = await phone.screenshot({ fullPage: true });
      writeFileSync(`${SHOTS}/3-outage-phone.png`, png);
      const size = pngSize(png);
      expect(size.width).toBe(PHONE.width);
      expect(size.height).toBeGreaterThanOrEqual(PHONE.height);
      expect(png.length).toBeGreaterThan(20_000);
    } finally {
      await phone.close();
    }
  });

  it('WHEN the incident is downgraded THEN OA shows degraded; WHEN it is resolved THEN operational, with the history newest first', async () => {
    t.clock.advance(10 * MIN);
    await t.app.service.act(id, 'change-priority', people.desk, { priority: 'P3', reason: 'A workaround lets most people in' });
    await page.goto(url());
    expect(await stored('oa')).toMatchObject({ state: 'degraded' });
    expect(await text('.service.degraded h3')).toEqual(['Office automation (OA)']);
    expect(await text('.service.degraded .badge')).toEqual(['▲ Degraded']);
    await shoot('4-degraded');

    t.clock.advance(20 * MIN);
    await t.app.service.act(id, 'resolve', people.desk, { resolutionCode: 'resolved-by-workaround', solution: 'Restarted the SSO bridge' });
    await page.goto(url());
    const oa = await stored('oa');
    expect(oa).toMatchObject({ state: 'operational', causes: [] });
    expect(await text('.summary')).toEqual(['✓ All services are operational.']);
    expect(await text('#majors + p')).toEqual(['No major incident is open.']);
    const recent = oa!.recent.map((c) => `${presenter().formatTime(c.at)} Office automation (OA): ${t.app.m.serviceState[c.from]} → ${t.app.m.serviceState[c.to]}`);
    expect(recent).toHaveLength(3);
    expect(await text('.history li')).toEqual(recent);
    expect(recent[0]).toContain('Degraded → Operational');
    expect(pngSize(await shoot('5-restored')).width).toBe(1024);
  });

  it('speaks Chinese: ?lang=zh-CN, and a browser that asks for Chinese', async () => {
    await page.goto(url('?lang=zh-CN'));
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
    expect(await page.title()).toBe('服务状态');
    expect(await text('.summary')).toEqual(['✓ 所有服务运行正常。']);
    expect(await text('.history li')).toContainEqual(expect.stringContaining('Office automation (OA)：正常 → 中断'));
    expect(await text('h2')).toEqual(['服务', '重大事件', '最近 14 天的状态变化']);
    await shoot('6-zh-CN');
    const chinese = await browser.newPage({ locale: 'zh-CN', extraHTTPHeaders: { 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.5' } });
    try {
      await chinese.goto(url());
      expect(await chinese.locator('html').getAttribute('lang')).toBe('zh-CN');
      await chinese.goto(url('?lang=en'));
      expect(await chinese.locator('h1').innerText()).toBe('Service status');
    } finally {
      await chinese.close();
    }
  });
});
