import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHttp } from '../../src/http/server.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { config, people } from '../support/fixtures.js';
import { freePort } from '../support/installation.js';
import { startSmtp, type ReceivedMail } from '../support/smtp.js';
import { RecordingMessenger } from '../support/timers.js';

/**
 * A caller phones the service desk; the agent logs the incident for them, as an outside contact
 * with an e-mail address. Everything the reporter is told — the acknowledgement, the resolution
 * with its Confirm / Reopen links, the closure — arrives at a real SMTP server as e-mail, through
 * the outbox; the links are opened and used over the bot's own HTTP server.
 */
describe('logging for a caller: e-mail to an outside contact, Confirm/Reopen links', () => {
  let t: TestApp;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let chat: RecordingMessenger;
  let base: string;
  let closeHttp: () => Promise<void>;
  const caller = { contactName: 'Huang Lei', contactPhone: '+86 10 5555 0101', contactEmail: 'Huang.Lei@example.com' };
  const report = { title: 'Printer on floor 3 jams', description: 'Jams on every job since this morning', impact: '3', urgency: '3' };

  beforeAll(async () => {
    smtp = await startSmtp();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await startTestApp(config, { env: { SMTP_URL: smtp.url, SMTP_FROM: 'Service desk <desk@example.com>', PUBLIC_URL: base, LINK_SECRET: 'a-test-secret-of-enough-length' } });
    chat = new RecordingMessenger(t.clock);
    t.app.messengers.unshift(chat);
    const http = await startHttp({ port, ready: async () => true, metrics: async () => '', routes: t.bot.routes });
    closeHttp = http.close;
  });
  afterAll(async () => {
    await closeHttp();
    await t.close();
    await smtp.close();
  });
  beforeEach(() => {
    smtp.received.length = 0;
  });

  const mailsTo = (address: string, id: string): ReceivedMail[] => smtp.received.filter((m) => m.to.includes(address) && m.subject.includes(id));
  const links = (mail: ReceivedMail) => ({
    confirm: /Confirm it: (\S+)/.exec(mail.text)?.[1] ?? '',
    reopen: /Reopen it: (\S+)/.exec(mail.text)?.[1] ?? '',
  });
  const page = async (url: string, form?: Record<string, string>) => {
    const res = await fetch(url, form ? { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() } : {});
    return { status: res.status, html: await res.text() };
  };

  async function logAndResolve(): Promise<string> {
    const reply = await t.app.run(people.desk, 'report', { ...report, ...caller, source: 'phone', ciOperable: 'false' }, { submitted: true });
    const id = /INC-\d+/.exec(reply.text ?? '')![0];
    await t.app.run(people.desk, 'dispatch', { id, groupId: 'network' });
    await t.app.run(people.network, 'accept', { id });
    await t.app.run(people.network, 'resolve', { id, resolutionCode: 'resolved-by-user-instruction', solution: 'Cleared the paper path' });
    await t.bot.settle();
    return id;
  }

  it('GIVEN a phoned-in report for an outside contact THEN the incident names the caller, and the caller (not the agent) gets the acknowledgement by e-mail', async () => {
    const reply = await t.app.run(people.desk, 'report', { ...report, ...caller, source: 'phone', ciOperable: 'false' }, { submitted: true });
    expect(reply.error).toBeUndefined();
    const id = /INC-\d+/.exec(reply.text ?? '')![0];
    const incident = (await t.app.store.load(id))!;
    expect(incident).toMatchObject({
      reporterId: 'contact:huang.lei@example.com', reporterName: 'Huang Lei', source: 'phone', ciOperable: false, recorderId: people.desk.id,
      contact: { name: 'Huang Lei', phone: '+86 10 5555 0101', email: 'huang.lei@example.com' },
    });
    expect(reply.card?.fields).toEqual(expect.arrayContaining([{ label: 'Outside contact', value: 'Huang Lei · +86 10 5555 0101 · huang.lei@example.com', short: true }]));
    await t.bot.settle();
    const [ack, ...more] = mailsTo('huang.lei@example.com', id);
    expect(more).toEqual([]);
    expect(ack!.from).toBe('desk@example.com');
    expect(ack!.subject).toBe(`[${id}] Printer on floor 3 jams`);
    expect(ack!.text).toContain(`Your incident ${id} "Printer on floor 3 jams" is logged as P3`);
    expect(ack!.text).toContain('— The service desk:');
    // The agent logged it but is not the reporter: no acknowledgement for them.
    expect(chat.to(id, 'status:open:reporter')).toEqual([]);
  });

  it('GIVEN the incident is resolved THEN the caller gets the resolution by e-mail with Confirm and Reopen links; opening one changes nothing; the button confirms once; the twin link is then spent', async () => {
    const id = await logAndResolve();
    const [resolved] = mailsTo('huang.lei@example.com', id).filter((m) => m.text.includes('was resolved'));
    expect(resolved!.text).toContain('Cleared the paper path');
    const { confirm, reopen } = links(resolved!);
    expect(confirm.startsWith(`${base}/links/`)).toBe(true);
    expect(reopen.startsWith(`${base}/links/`)).toBe(true);
    expect(resolved!.text).toMatch(/Each link works once, until /);

    const shown = await page(confirm);
    expect(shown.status).toBe(200);
    expect(shown.html).toContain(`${id} &quot;Printer on floor 3 jams&quot; was resolved: Cleared the paper path. Is it fixed for you?`);
    expect(shown.html).toContain('<form method="post">');
    expect((await t.app.store.load(id))!.confirmedAt).toBeUndefined();

    const done = await page(confirm, {});
    expect(done.status).toBe(200);
    expect(done.html).toContain(`Thank you. ${id} is confirmed as resolved`);
    const incident = (await t.app.store.load(id))!;
    expect(incident.confirmedAt).toBeDefined();
    expect(incident.lastChangeByName).toBe('Huang Lei');

    const again = await page(confirm, {});
    expect(again.status).toBe(409);
    expect(again.html).toContain('This link was already used on');
    const twin = await page(reopen, { reason: 'still jams' });
    expect(twin.status).toBe(409);
    expect((await t.app.store.load(id))!.status).toBe('resolved');

    // First line closes it: the caller is told by e-mail too.
    await t.app.run(people.desk, 'close', { id, closureCode: 'completed' });
    await t.bot.settle();
    const closedMail = mailsTo('huang.lei@example.com', id).find((m) => m.text.includes(`${id} "Printer on floor 3 jams" is closed`))!;
    expect(closedMail).toBeDefined();

    // The closure e-mail asks for a rating (SPEC §11): a signed link to a page with 1–5 and a comment.
    const rate = /Rate the service \(1–5\): (\S+)/.exec(closedMail.text)?.[1] ?? '';
    expect(rate.startsWith(`${base}/links/`)).toBe(true);
    const ask = await page(rate);
    expect(ask.status).toBe(200);
    expect(ask.html).toContain(`${id} &quot;Printer on floor 3 jams&quot; is closed. How did we do?`);
    expect(ask.html).toContain('<input type="radio" name="score" value="5" required>');
    expect((await t.app.store.load(id))!.rating).toBeUndefined();
    const noScore = await page(rate, { comment: 'ok' });
    expect(noScore.status).toBe(422);
    expect(noScore.html).toContain('Please choose a rating from 1 to 5.');
    const rated = await page(rate, { score: '4', comment: 'Fixed over the phone, thanks' });
    expect(rated.status).toBe(200);
    expect(rated.html).toContain(`Thank you: you rated ${id} 4/5.`);
    expect((await t.app.store.load(id))!.rating).toMatchObject({ score: 4, comment: 'Fixed over the phone, thanks' });
    const twice = await page(rate, { score: '1' });
    expect(twice.status).toBe(409);
    expect((await t.app.store.load(id))!.rating?.score).toBe(4);
  });

  it('GIVEN the Reopen link THEN it asks what is still wrong, refuses without it, and reopens with it', async () => {
    const id = await logAndResolve();
    const { reopen } = links(mailsTo('huang.lei@example.com', id).find((m) => m.text.includes('was resolved'))!);
    const bare = await page(reopen, { reason: '  ' });
    expect(bare.status).toBe(422);
    expect(bare.html).toContain('Please say what is still wrong.');
    expect((await t.app.store.load(id))!.status).toBe('resolved');
    const done = await page(reopen, { reason: 'Still jams on double-sided jobs' });
    expect(done.status).toBe(200);
    expect(done.html).toContain(`${id} is reopened and back with the team.`);
    expect((await t.app.store.load(id))!.status).toBe('in_progress');
  });

  it('GIVEN a forged, an expired or an outdated link THEN a page says so and nothing changes', async () => {
    const id = await logAndResolve();
    const { confirm } = links(mailsTo('huang.lei@example.com', id).find((m) => m.text.includes('was resolved'))!);
    const token = confirm.slice(confirm.lastIndexOf('/') + 1);
    const [body, mac] = token.split('.') as [string, string];
    const forgedBody = Buffer.from(Buffer.from(body, 'base64url').toString().replace(id, 'INC-000001')).toString('base64url');
    for (const forged of [`${base}/links/${forgedBody}.${mac}`, `${base}/links/${body}.${mac.slice(0, -2)}`, `${base}/links/garbage`, `${base}/links/%E0%A4%A`]) {
      const res = await page(forged, {});
      expect(res.status).toBe(400);
      expect(res.html).toContain('This link is not valid');
    }
    expect((await t.app.store.load(id))!.confirmedAt).toBeUndefined();

    // Reopened in chat and resolved again: the first e-mail's links are for the earlier resolution.
    await t.app.run(people.desk, 'reopen', { id, reason: 'the caller rang back' });
    t.clock.advance(60_000);
    await t.app.run(people.network, 'resolve', { id, resolutionCode: 'resolved-by-user-instruction', solution: 'Replaced the roller' });
    const stale = await page(confirm, {});
    expect(stale.status).toBe(409);
    expect(stale.html).toContain(`${id} has changed since this e-mail was sent`);
    expect((await t.app.store.load(id))!.confirmedAt).toBeUndefined();

    await t.bot.settle();
    const newest = links(mailsTo('huang.lei@example.com', id).filter((m) => m.text.includes('Replaced the roller')).at(-1)!);
    t.clock.advance(8 * 24 * 3_600_000);
    const expired = await page(newest.confirm, {});
    expect(expired.status).toBe(410);
    expect(expired.html).toContain('This link expired on');
    expect((await t.app.store.load(id))!.confirmedAt).toBeUndefined();
  });

  it('GIVEN the mail server refuses for a while THEN the e-mail is retried and arrives once; a permanent refusal is kept as undeliverable with the reason', async () => {
    smtp.refuse(451, 1);
    const reply = await t.app.run(people.desk, 'report', { ...report, contactName: 'Xu Ming', contactEmail: 'xu.ming@example.com' }, { submitted: true });
    const id = /INC-\d+/.exec(reply.text ?? '')![0];
    await t.bot.settle();
    expect(mailsTo('xu.ming@example.com', id)).toEqual([]);
    t.clock.advance(10 * 60_000);
    await t.bot.settle();
    expect(mailsTo('xu.ming@example.com', id)).toHaveLength(1);

    smtp.refuse(550, 1);
    const second = await t.app.run(people.desk, 'report', { ...report, contactName: 'Gao Yan', contactEmail: 'gao.yan@example.com' }, { submitted: true });
    const id2 = /INC-\d+/.exec(second.text ?? '')![0];
    await t.bot.settle();
    const [entry] = (await t.app.outboxStore.forIncident(id2)).filter((e) => e.platform === 'email');
    expect(entry).toMatchObject({ status: 'dead' });
    expect(entry!.lastError).toContain('SMTP');
  });

  it('GIVEN bad contact details or someone outside the desk THEN a clear sentence and nothing is logged', async () => {
    const before = (await t.app.store.search([], {}, { sort: 'newest', skip: 0, limit: 1, now: t.clock.now() })).total;
    const cases: [string, Record<string, string>, string][] = [
      [people.desk.id, { ...caller, contactEmail: 'huang at example' }, '"huang at example" is not an e-mail address'],
      [people.desk.id, { ...caller, contactPhone: 'call me maybe' }, '"call me maybe" is not a phone number'],
      [people.desk.id, { contactName: 'Nobody', contactPhone: '', contactEmail: '' }, 'Give a phone number or an e-mail address for Nobody'],
      [people.desk.id, { contactPhone: '12345' }, 'An outside contact needs a name.'],
      [people.desk.id, { ...caller, reporterId: people.user.id }, 'not both'],
      [people.desk.id, { reporterId: 'nobody.here' }, 'There is no person "nobody.here".'],
      [people.user.id, { ...caller }, 'Only the service desk (first line) and incident managers can log an incident for someone else.'],
    ];
    for (const [who, extra, sentence] of cases) {
      const actor = Object.values(people).find((p) => p.id === who)!;
      const reply = await t.app.run(actor, 'report', { ...report, ...extra }, { submitted: true });
      expect(reply.text, JSON.stringify(extra)).toContain(sentence);
    }
    expect((await t.app.store.search([], {}, { sort: 'newest', skip: 0, limit: 1, now: t.clock.now() })).total).toBe(before);
  });

  it('GIVEN a desk agent logs for a colleague in the directory THEN the colleague is the reporter and is told in chat', async () => {
    const reply = await t.app.run(people.desk, 'report', { ...report, reporterId: 'Lin Na', source: 'walk_in' }, { submitted: true });
    const id = /INC-\d+/.exec(reply.text ?? '')![0];
    expect(await t.app.store.load(id)).toMatchObject({ reporterId: people.user.id, reporterName: 'Lin Na', source: 'walk_in', recorderId: people.desk.id });
    await t.bot.settle();
    expect(chat.to(id, 'status:open:reporter')).toEqual([people.user.id]);
  });
});
