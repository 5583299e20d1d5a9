import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackBot, slackUsers, type SlackBot as Bot } from '../support/slack/slack-bot.js';
import { slashCommandBody, triggerId } from '../support/slack/slack-payloads.js';
import type { ApiCall } from '../support/slack/fake-slack-api.js';

/** Report and dispatch an incident to the network group through Slack; returns its id. */
async function assignedToNetwork(bot: Bot, title: string): Promise<string> {
  const command = await bot.slash(slackUsers.user, title);
  await bot.submit(slackUsers.user, await bot.modalFor(command.triggerId), { Description: 'From the test', Impact: '3', Urgency: '3' });
  await bot.idle();
  const id = /INC-\d{6}/.exec(bot.lastResponse(command).text)![0];
  const dispatch = await bot.click(slackUsers.desk, bot.card(id), 'Dispatch');
  await bot.submit(slackUsers.desk, await bot.modalFor(dispatch.triggerId), { 'Assignment group': 'Network' });
  await bot.idle();
  return id;
}

describe("Slack: the protocol's hard edges", () => {
  let bot: SlackBot;

  beforeAll(async () => {
    bot = await SlackBot.start();
  });
  afterAll(async () => {
    await bot?.close();
  });

  it('GIVEN a forged signature THEN 401 and nothing is done', async () => {
    const body = slashCommandBody({ user: slackUsers.user, text: 'report Forged', channel: 'CDESK', responseUrl: bot.api.responseUrl('forged'), triggerId: triggerId() });
    const before = bot.api.calls.length;
    const forged = await bot.post(body, { secret: 'not-the-secret' });
    expect(forged.status).toBe(401);
    const tampered = await bot.post(body, { headers: { 'x-slack-signature': 'v0=' + '0'.repeat(64) } });
    expect(tampered.status).toBe(401);
    await bot.idle();
    expect(bot.api.calls.slice(before).filter((c) => c.method !== 'auth.test')).toEqual([]);
    expect(await bot.app.service.list({})).toEqual([]);
  });

  it('GIVEN a replayed request signed more than 5 minutes ago THEN 401 and nothing is done', async () => {
    const body = slashCommandBody({ user: slackUsers.user, text: 'list', channel: 'CDESK', responseUrl: bot.api.responseUrl('replay'), triggerId: triggerId() });
    const before = bot.api.calls.length;
    const replayed = await bot.post(body, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    expect(replayed.status).toBe(401);
    await bot.idle();
    expect(bot.api.calls.slice(before)).toEqual([]);
  });

  it("GIVEN Slack's unsigned ssl_check THEN 200 and nothing else in the body is read", async () => {
    const before = bot.api.calls.length;
    const smuggled = slashCommandBody({ user: slackUsers.user, text: 'report Smuggled', channel: 'CDESK', responseUrl: bot.api.responseUrl('ssl'), triggerId: triggerId() });
    const check = await bot.post(`ssl_check=1&${smuggled}`, { headers: { 'x-slack-signature': 'v0=' + '0'.repeat(64) } });
    expect(check.status).toBe(200);
    await bot.idle();
    expect(bot.api.calls.slice(before)).toEqual([]);
  });

  it("GIVEN Slack's url_verification THEN its challenge is answered", async () => {
    const answer = await bot.post(JSON.stringify({ type: 'url_verification', challenge: 'ch-123', token: 'x' }), { json: true });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ challenge: 'ch-123' });
  });

  it('GIVEN a signed body that is not JSON, or larger than Slack ever sends THEN 400 and 413, and nothing is done', async () => {
    const before = bot.api.calls.length;
    expect((await bot.post('{"type": "event_callback", ', { json: true })).status).toBe(400);
    expect((await bot.post(`payload=${encodeURIComponent('{"type":')}`)).status).toBe(400);
    expect((await bot.post(`text=${'x'.repeat(11 * 1024 * 1024)}`)).status).toBe(413);
    await bot.idle();
    expect(bot.api.calls.slice(before)).toEqual([]);
  });

  it('acknowledges within 3 s even when the core is slow, spending the trigger_id on a waiting modal at once', async () => {
    const original = bot.app.run.bind(bot.app);
    bot.app.run = async (...args) => {
      await new Promise((r) => setTimeout(r, 2_500));
      return original(...args);
    };
    try {
      const started = Date.now();
      const command = await bot.slash(slackUsers.user, 'Slow database day');
      expect(command.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(1_000);
      const waiting = await bot.api.waitFor('views.open', (c) => c.params.trigger_id === command.triggerId);
      expect(waiting.at - started).toBeLessThan(2_500);
      expect(JSON.stringify(waiting.params.view)).toContain('Working on it');
      const form = await bot.modalFor(command.triggerId);
      expect(form.callback_id).toBe('incident_form');
    } finally {
      bot.app.run = original;
    }
    await bot.idle();
  });

  it('GIVEN the same event delivered again (same event_id, retry header) THEN it is handled once', async () => {
    const first = await bot.homeOpened(slackUsers.network, 'Ev0001');
    const retry = await bot.post(
      JSON.stringify({ ...JSON.parse(homeBody(slackUsers.network.id, 'Ev0001')) }),
      { json: true, headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } },
    );
    expect([first.status, retry.status]).toEqual([200, 200]);
    await bot.idle();
    const published = bot.api.callsOf('views.publish').filter((c) => c.params.user_id === slackUsers.network.id);
    expect(published).toHaveLength(1);
    expect(JSON.stringify(published[0]!.params.view)).toContain('Report an incident');
  });

  it('GIVEN a double-clicked Accept THEN the incident is accepted once', async () => {
    const id = await assignedToNetwork(bot, 'Double click');
    const card = bot.card(id);
    const [a, b] = await Promise.all([bot.click(slackUsers.network, card, 'Accept'), bot.click(slackUsers.network, card, 'Accept')]);
    expect([a.status, b.status]).toEqual([200, 200]);
    await bot.idle();
    const accepts = (await bot.app.service.timeline(id)).filter((e) => e.action === 'accept');
    expect(accepts).toHaveLength(1);
    const answers = [bot.lastResponse(a).text, bot.lastResponse(b).text].sort();
    expect(answers.some((t) => t.includes('Accept done'))).toBe(true);
    expect(answers.some((t) => /already (handled|accepted)/.test(t))).toBe(true);
  });

  it('GIVEN two people pressing Accept at once on two bot processes THEN one wins and the other is told who', async () => {
    const peer = await bot.peer();
    try {
      const id = await assignedToNetwork(bot, 'Concurrent accept');
      const card = bot.card(id);
      const [li, zhang] = await Promise.all([bot.click(slackUsers.network, card, 'Accept'), peer.click(slackUsers.network2, card, 'Accept')]);
      await Promise.all([bot.idle(), peer.idle()]);
      const incident = await bot.app.service.get(id);
      expect(incident.status).toBe('in_progress');
      const accepts = (await bot.app.service.timeline(id)).filter((e) => e.action === 'accept');
      expect(accepts).toHaveLength(1);
      const winner = incident.ownerId === 'li.wei' ? li : zhang;
      const loser = winner === li ? zhang : li;
      const loserBot = loser === li ? bot : peer;
      expect(loserBot.lastResponse(loser).text).toMatch(new RegExp(`${id} was already accepted by (Li Wei|Zhang Min)`));
      expect((winner === li ? bot : peer).lastResponse(winner).text).toContain('Accept done');
    } finally {
      await peer.close();
    }
  });

  it('GIVEN Slack answers ratelimited with Retry-After THEN that post waits in the outbox for the wait, then lands once', async () => {
    const from = bot.api.calls.length;
    bot.api.script('chat.postMessage', { status: 429, retryAfter: 1 });
    const command = await bot.slash(slackUsers.user, 'Rate limited card');
    await bot.submit(slackUsers.user, await bot.modalFor(command.triggerId), { Description: 'x', Impact: '4', Urgency: '4' });
    await bot.idle();
    const id = /INC-\d{6}/.exec(bot.lastResponse(command).text)![0];
    const posts = () => bot.api.calls.slice(from).filter((c) => c.method === 'chat.postMessage');
    const limited = posts().find((c) => !c.response)!;
    const key = (c: ApiCall) => (c.params.metadata as { event_payload?: { key?: string } } | undefined)?.event_payload?.key;
    expect(key(limited)).toContain(id);
    const attempts = () => posts().filter((c) => key(c) === key(limited));
    // Not before Slack's Retry-After…
    bot.testApp.clock.advance(500);
    await bot.idle();
    expect(attempts()).toHaveLength(1);
    // …then once, and everything else once too.
    bot.testApp.clock.advance(1_000);
    await bot.idle();
    expect(attempts().map((c) => Boolean(c.response))).toEqual([false, true]);
    expect(bot.card(id)).toBeDefined();
    const keys = posts().filter((c) => c.response).map(key);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('GIVEN Slack answers 500 to views.open THEN the person is told, with an error id', async () => {
    // views.open is not retried (a trigger_id lives 3 s): one 500 is the answer the person hears about.
    bot.api.script('views.open', { status: 500 });
    const command = await bot.slash(slackUsers.user, '');
    await bot.idle();
    expect(bot.lastResponse(command).text).toMatch(/Slack could not do that \(http 500\)\. Error id [0-9a-f]{8}/);
  });

  it('GIVEN Slack answers 500 when the card is updated THEN the change is saved, the person told, and the card updated by the outbox after its backoff', async () => {
    const id = await assignedToNetwork(bot, 'The shared card cannot be updated');
    bot.api.script('chat.update', { status: 500 });
    const accept = await bot.click(slackUsers.network, bot.card(id), 'Accept');
    await bot.idle();
    const texts = bot.responses(accept.responseUrl).map((c) => String(c.params.text));
    expect(texts[0]).toContain('Accept done');
    expect((await bot.app.service.get(id)).status).toBe('in_progress');
    expect(JSON.stringify(bot.card(id).blocks)).not.toContain('In progress');
    const waiting = (await bot.app.outboxStore.forIncident(id)).filter((e) => e.rule === 'surface' && e.status === 'pending');
    expect(waiting.map((e) => e.lastError)).toEqual([expect.stringContaining('http 500')]);
    bot.testApp.clock.advance(60_000);
    await bot.idle();
    expect(JSON.stringify(bot.card(id).blocks)).toContain('In progress');
  });
});

function homeBody(user: string, eventId: string): string {
  return JSON.stringify({
    token: 'x', team_id: 'T0001', api_app_id: 'A0INCIDENT', type: 'event_callback', event_id: eventId, event_time: Math.floor(Date.now() / 1000),
    event: { type: 'app_home_opened', user, channel: 'DHOME', tab: 'home', event_ts: `${Date.now() / 1000}` },
  });
}
