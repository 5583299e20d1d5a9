import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDiscord, type DiscordHarness } from '../support/discord/harness.js';
import { IDS, button, buttonId, modalSubmit, select, selectId, slash, users, type Raw } from '../support/discord/payloads.js';

/**
 * SPEC §3 end to end on Discord: report (modal + follow-up) → dispatch → reject → dispatch →
 * accept → resolve → confirm → close, driven by raw gateway payloads, asserted on the REST calls
 * made to a fake Discord and on the state stored.
 */
describe('Discord: an incident from report to close', () => {
  let h: DiscordHarness;
  let cardMessage: Raw;

  beforeAll(async () => {
    h = await startDiscord();
  });
  afterAll(async () => {
    await h.close();
  });

  /** Presses a card button; answers the modal it opens (if any) with `values`. */
  async function press(user: (typeof users)[keyof typeof users], label: string | RegExp, values?: Record<string, string>): Promise<Raw> {
    const card = await h.card('INC-000001');
    const pressed = await h.deliver(button(user, buttonId(card, label), card));
    if (!values) return h.answerOf(pressed);
    const submitted = await h.deliver(modalSubmit(user, h.modalOf(pressed), values));
    return h.answerOf(submitted);
  }

  it('GIVEN Lin Na WHEN she runs /incident report THEN a modal with Label components asks title, description, impact, urgency and category', async () => {
    const raw = await h.deliver(slash(users.user, 'report'));
    const modal = h.modalOf(raw);
    expect(modal.title).toBe('Report an incident');
    expect(modal.components).toHaveLength(5);
    expect(modal.components.every((c: Raw) => c.type === 18)).toBe(true);
    expect(modal.components.map((c: Raw) => c.component.custom_id)).toEqual(['title', 'description', 'impact', 'urgency', 'category']);
    expect(modal.components[2].component).toMatchObject({ type: 3, required: true });
    expect(modal.components[0].component).toMatchObject({ type: 4, style: 1, required: true, max_length: 150 });

    // Submitting the modal asks the rest in an ephemeral follow-up with select menus.
    const submitted = await h.deliver(
      modalSubmit(users.user, modal, { title: 'Core switch down @everyone', description: 'All floors lost the network <@&500000000000000001>', impact: '3', urgency: '3', category: 'failure' }),
    );
    const panel = h.answerOf(submitted);
    expect(panel.flags & 64).toBe(64);
    expect(panel.content).toContain('almost done');
    const serviceSelect = selectId(panel, /Affected service/);
    expect(await h.t.app.service.list({})).toHaveLength(0);

    const chosen = await h.deliver(select(users.user, serviceSelect, ['network'], panel));
    expect(h.fake.callbacks(chosen.id)[0]?.body.type).toBe(7); // the panel is updated in place
    const updatedPanel = h.answerOf(chosen);
    expect(updatedPanel.content).toContain('Affected service: Network');

    const sent = await h.deliver(button(users.user, buttonId(updatedPanel, 'Report an incident'), updatedPanel));
    const receipt = h.answerOf(sent);
    expect(receipt.content).toContain('Logged INC-000001 (P3)');
    expect(h.fake.callbacks(sent.id)[0]?.body.data.allowed_mentions).toEqual({ parse: [] });

    const incident = await h.t.app.service.get('INC-000001');
    expect(incident).toMatchObject({ status: 'open', service: 'network', category: 'failure', reporterId: 'lin.na', priority: 'P3' });

    // The shared card is posted once to the service-desk channel, pings off, user text escaped.
    const posts = h.fake.find('POST', `/channels/${IDS.serviceDesk}/messages`);
    expect(posts).toHaveLength(1);
    expect(posts[0]!.body.allowed_mentions).toEqual({ parse: [] });
    expect(posts[0]!.body.embeds[0].title).toBe('INC-000001 Core switch down @\u200beveryone');
    cardMessage = await h.card('INC-000001');
    expect(buttonId(cardMessage, 'Dispatch')).toMatch(/^a\|dispatch\|id=INC-000001$/);

    // One stakeholder thread per incident: a starter message, a thread on it, the event inside.
    const starter = h.fake.find('POST', `/channels/${IDS.stakeholders}/messages`);
    expect(starter).toHaveLength(1);
    const thread = h.fake.find('POST', new RegExp(`^/channels/${IDS.stakeholders}/messages/\\d+/threads$`));
    expect(thread).toHaveLength(1);
    expect(thread[0]!.body.name).toMatch(/^INC-000001 Core switch down/);
  });

  it('WHEN a reporter presses Dispatch THEN she is told why, ephemerally, and nothing changes', async () => {
    const answer = await press(users.user, 'Dispatch');
    expect(answer.flags & 64).toBe(64);
    expect(answer.content).toContain('You cannot dispatch INC-000001: only first line (service desk), an incident manager may.');
    expect((await h.t.app.service.get('INC-000001')).status).toBe('open');
  });

  it('WHEN Chen Jing dispatches to Network THEN the card is edited in place', async () => {
    const answer = await press(users.desk, 'Dispatch', { groupId: 'network', note: 'Core network is down' });
    expect(answer.content).toContain('INC-000001: Dispatch done — now Assigned.');
    const incident = await h.t.app.service.get('INC-000001');
    expect(incident).toMatchObject({ status: 'assigned', groupId: 'network', recorderId: 'chen.jing' });
    expect(h.fake.find('POST', `/channels/${IDS.serviceDesk}/messages`)).toHaveLength(1);
    const edits = h.fake.find('PATCH', `/channels/${IDS.serviceDesk}/messages/${cardMessage.id}`);
    expect(edits.length).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(edits.at(-1)!.body.embeds[0].fields)).toContain('Assigned');
  });

  it('WHEN Li Wei rejects without a reason THEN the form comes back with the error; with one, the incident returns to first line', async () => {
    const card = await h.card('INC-000001');
    const pressed = await h.deliver(button(users.network, buttonId(card, 'Reject'), card));
    const modal = h.modalOf(pressed);
    expect(modal.components.map((c: Raw) => c.component.custom_id)).toEqual(['reason', 'suggestedGroupId']);
    const bad = await h.deliver(modalSubmit(users.network, modal, { reason: '   ', suggestedGroupId: 'applications' }));
    const fix = h.answerOf(bad);
    expect(fix.content).toContain('Reason is required.');
    expect((await h.t.app.service.get('INC-000001')).status).toBe('assigned');
    const editPressed = await h.deliver(button(users.network, buttonId(fix, 'Edit the form…'), fix));
    const again = h.modalOf(editPressed);
    const good = await h.deliver(modalSubmit(users.network, again, { reason: 'The switch is fine: routing application fault' }, fix));
    expect(h.answerOf(good).content).toContain('INC-000001: Reject done — now Open.');
    expect(await h.t.app.service.get('INC-000001')).toMatchObject({ status: 'open', rejectCount: 1 });
  });

  it('WHEN Chen Jing dispatches again and Liu Yang accepts, delivered twice by the gateway THEN it is accepted once', async () => {
    const dispatched = await press(users.desk, 'Dispatch', { groupId: 'applications' });
    expect(dispatched.content).toContain('now Assigned');
    const card = await h.card('INC-000001');
    const accept = button(users.apps, buttonId(card, 'Accept'), card);
    await Promise.all([h.deliver(accept), h.deliver(structuredClone(accept))]);
    await h.deliver(structuredClone(accept));
    expect(h.fake.callbacks(accept.id)).toHaveLength(1);
    expect(h.answerOf(accept).content).toContain('INC-000001: Accept done — now In progress.');
    const events = await h.t.app.service.timeline('INC-000001');
    expect(events.filter((e) => e.action === 'accept')).toHaveLength(1);
    expect(await h.t.app.service.get('INC-000001')).toMatchObject({ status: 'in_progress', ownerId: 'liu.yang' });
  });

  it('WHEN Li Wei, no longer in the group, presses Resolve THEN he is refused ephemerally', async () => {
    const card = await h.card('INC-000001');
    const pressed = await h.deliver(button(users.network, buttonId(card, 'Resolve'), card));
    const answer = h.answerOf(pressed);
    expect(answer.flags & 64).toBe(64);
    expect(answer.content).toMatch(/You cannot resolve INC-000001/);
  });

  it('WHEN Liu Yang resolves, Lin Na confirms and Chen Jing closes THEN the incident is closed and the card says so', async () => {
    const resolved = await press(users.apps, 'Resolve', { resolutionCode: 'resolved-by-workaround', solution: 'Restarted the routing service' });
    expect(resolved.content).toContain('INC-000001: Resolve done — now Resolved.');
    const confirmed = await press(users.user, 'Confirm resolution');
    expect(confirmed.content).toContain('INC-000001: Confirm resolution done — now Resolved.');
    const closed = await press(users.desk, 'Close', { closureCode: 'completed' });
    expect(closed.content).toContain('INC-000001: Close done — now Closed.');

    const incident = await h.t.app.service.get('INC-000001');
    expect(incident).toMatchObject({ status: 'closed', closureCode: 'completed', resolutionCode: 'resolved-by-workaround' });
    expect(incident.confirmedAt).toBeDefined();
    const actions = (await h.t.app.service.timeline('INC-000001')).map((e) => e.action);
    expect(actions).toEqual(['report', 'dispatch', 'reject', 'dispatch', 'accept', 'resolve', 'confirm', 'close']);

    // Still one card, edited after every change; its embed shows Closed.
    expect(h.fake.find('POST', `/channels/${IDS.serviceDesk}/messages`)).toHaveLength(1);
    const card = await h.card('INC-000001');
    expect(card.embeds[0].fields.find((f: Raw) => f.name === 'Status').value).toBe('Closed');
    const ref = await h.t.app.surfaceStore.get('discord:card:INC-000001');
    expect(ref?.rev).toBe(incident.rev);
    // Every event went to the stakeholder thread once; no war room for a P3.
    const thread = (await h.t.app.surfaceStore.get('discord:stakeholders:INC-000001'))!;
    expect(h.fake.find('POST', `/channels/${thread.channel}/messages`)).toHaveLength(actions.length);
    expect(h.fake.find('POST', `/guilds/${IDS.guild}/channels`)).toHaveLength(0);
    // Nothing the bot sent could ping anyone.
    for (const call of h.fake.calls.filter((c) => c.method !== 'GET' && c.body && typeof c.body === 'object' && ('content' in c.body || 'data' in c.body))) {
      const body = call.body.data ?? call.body;
      if (body.content !== undefined) expect(body.allowed_mentions ?? body.allowedMentions).toEqual({ parse: [] });
    }
  });
});
