import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { people } from '../support/fixtures.js';

describe('the command pipeline (every adapter goes through it)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t.close());

  const full = { title: 'Mail down', description: 'Nobody can send mail', impact: '2', urgency: '2' };

  it('GIVEN "report" with nothing else THEN a form asks every field, none flagged yet', async () => {
    const reply = await t.app.run(people.user, 'report', {});
    expect(reply.form?.fields.map((f) => f.name)).toEqual(['title', 'description', 'impact', 'urgency', 'service', 'ci', 'category', 'subcategory', 'location', 'outageStart', 'ciOperable']);
    expect(reply.form?.fields.find((f) => f.name === 'impact')?.options?.[0]).toEqual({ value: '1', label: '1 — Very important (Leadership affected)' });
    expect(reply.form?.errors).toBeUndefined();
  });

  it('GIVEN a submitted form with a missing and an oversized field THEN each error sits on its field', async () => {
    const reply = await t.app.run(people.user, 'report', { ...full, urgency: '', title: 'x'.repeat(151) }, { submitted: true });
    expect(reply.form?.errors).toEqual({ urgency: 'Urgency is required.', title: 'Title is too long (at most 150 characters).' });
    expect(reply.form?.fields.find((f) => f.name === 'description')?.initial).toBe('Nobody can send mail');
  });

  it('GIVEN an option that is not offered THEN the error lists the choices', async () => {
    const reply = await t.app.run(people.user, 'report', { ...full, impact: '7' }, { submitted: true });
    expect(reply.form?.errors?.impact).toBe('Impact: choose one of 1 — Very important, 2 — Severe, 3 — Normal, 4 — Minor');
  });

  it('GIVEN a choice typed as its label rather than its id THEN it is that option', async () => {
    const reply = await t.app.run(people.user, 'report', { ...full, impact: 'very important', urgency: 'Urgent', category: 'Access' }, { submitted: true });
    const incident = await t.app.service.get(reply.changedIncidentId!);
    expect(incident).toMatchObject({ impact: 1, urgency: 2, category: 'access' });
  });

  it('stores hostile text as given (adapters escape it when rendering)', async () => {
    const hostile = '<!channel> @here <@U123> **bold** `code` <script>';
    const reply = await t.app.run(people.user, 'report', { ...full, title: hostile });
    const incident = await t.app.service.get(reply.changedIncidentId!);
    expect(incident.title).toBe(hostile);
    expect(reply.card?.title).toBe(`${incident.id} ${hostile}`);
  });

  it('GIVEN a button press without required input THEN the form comes back carrying the incident id', async () => {
    const { changedIncidentId: id } = await t.app.run(people.user, 'report', full);
    await t.app.run(people.desk, 'dispatch', { id, groupId: 'network' });
    const reply = await t.app.run(people.network, 'reject', { id });
    expect(reply.form).toMatchObject({ command: 'reject', args: { id }, title: `Reject ${id}` });
    expect(reply.form?.fields.map((f) => [f.name, f.required])).toEqual([['reason', true], ['suggestedGroupId', true]]);
    const done = await t.app.run(people.network, 'reject', { id, reason: 'Not network', suggestedGroupId: 'applications' }, { submitted: true });
    expect(done.text).toBe(`${id}: Reject done — now Open.`);
  });

  it('GIVEN someone who may not act THEN they are refused before any form', async () => {
    const { changedIncidentId: id } = await t.app.run(people.user, 'report', full);
    const reply = await t.app.run(people.user, 'dispatch', { id });
    expect(reply.form).toBeUndefined();
    expect(reply).toMatchObject({ ephemeral: true, error: { code: 'not_allowed' } });
  });

  it('GIVEN an unexpected failure THEN the user gets an id to quote and the error is logged with it', async () => {
    const error = vi.spyOn(t.app.log, 'error');
    const get = vi.spyOn(t.app.service, 'get').mockRejectedValueOnce(new Error('disk on fire'));
    const reply = await t.app.run(people.user, 'show', { id: 'INC-000001' });
    expect(reply.error?.code).toBe('internal');
    expect(reply.text).toBe(`Something went wrong on our side (error id ${reply.error?.ref}). Nothing was lost; quote this id to the service desk.`);
    expect(error).toHaveBeenCalledWith(expect.objectContaining({ ref: reply.error?.ref, command: 'show' }), 'command failed');
    get.mockRestore();
  });

  it('answers an unknown command and a bad reference clearly', async () => {
    expect((await t.app.run(people.user, 'frobnicate', {})).text).toBe('Unknown command "frobnicate". Try "help".');
    expect((await t.app.run(people.user, 'show', { id: 'printer' })).text).toBe('"printer" is not an incident id; use the form INC-000042.');
  });

  it('builds help from the command declarations', async () => {
    const reply = await t.app.run(people.user, 'help', {});
    const names = t.app.registry.commands.map((c) => c.name);
    expect(reply.lines).toHaveLength(names.length);
    for (const [i, name] of names.entries()) expect(reply.lines?.[i]).toMatch(new RegExp(`^${name}\\b.* — \\S`));
  });

  it('lets an unknown chat user report and follow their own incident as a guest', async () => {
    const guest = t.app.actorFor('slack', 'U999', 'Visitor');
    expect(guest).toEqual({ id: 'slack:U999', name: 'Visitor' });
    const reply = await t.app.run(guest, 'report', full);
    expect(reply.text).toMatch(/^Logged INC-\d{6} \(P2\)/);
    const list = await t.app.run(guest, 'list', {});
    expect(list.sections?.[0]?.items.map((i) => i.incidentId)).toEqual([reply.changedIncidentId]);
  });

  it('parses typed commands: id first, then positional words', () => {
    expect(t.app.registry.parseText('/incident show inc-7')).toEqual({ name: 'show', args: { id: 'inc-7' } });
    expect(t.app.registry.parseText('report Printer on fire')).toEqual({ name: 'report', args: { title: 'Printer on fire' } });
    expect(t.app.registry.parseText('escalate INC-000003')).toEqual({ name: 'redispatch', args: { id: 'INC-000003' } });
    expect(t.app.registry.parseText('')).toEqual({ name: 'help', args: {} });
    expect(t.app.registry.parseText('dance')).toBeUndefined();
    // A command word followed by words that do not fit it is plain text, not that command.
    expect(t.app.registry.parseText('Card update fails')).toBeUndefined();
    expect(t.app.registry.parseText('list of broken printers')).toBeUndefined();
    expect(t.app.registry.parseText('accept')).toEqual({ name: 'accept', args: {} });
  });
});

describe('duplicate detection proposes (SPEC §10)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t.close());

  const on = (ci: string) => ({ title: 'VPN down', description: 'again', impact: '3', urgency: '3', ci });

  it('GIVEN an unresolved incident on the same CI within the window WHEN first line logs another THEN it offers to mark it a duplicate', async () => {
    const first = await t.app.run(people.user, 'report', on('vpn-gw-9'));
    t.clock.advance(30 * 60_000);
    const second = await t.app.run(people.desk, 'report', on('vpn-gw-9'));
    expect(second.text).toContain(`Possible duplicate of ${first.changedIncidentId} (same CI vpn-gw-9, still unresolved).`);
    const button = second.card?.actions[0];
    expect(button).toEqual({ label: `Mark duplicate of ${first.changedIncidentId}`, command: 'mark-duplicate', args: { id: second.changedIncidentId, masterId: first.changedIncidentId } });
    const pressed = await t.app.run(people.desk, button!.command, button!.args);
    expect(pressed.text).toBe(`${second.changedIncidentId}: Mark duplicate done — now Open.`);
    expect((await t.app.service.get(second.changedIncidentId!)).links.masterId).toBe(first.changedIncidentId);
  });

  it('GIVEN the earlier one is older than the window, or on another CI THEN nothing is proposed', async () => {
    await t.app.run(people.user, 'report', on('printer-1'));
    t.clock.advance(61 * 60_000);
    expect((await t.app.run(people.user, 'report', on('printer-1'))).text).not.toContain('Possible duplicate');
    expect((await t.app.run(people.user, 'report', on('printer-2'))).text).not.toContain('Possible duplicate');
  });

  it('GIVEN another symptom on the same CI THEN it is not proposed; the same symptom in other words that share one is', async () => {
    await t.app.run(people.user, 'report', { ...on('core-sw-3'), title: 'Switch fan is very loud' });
    const other = await t.app.run(people.desk, 'report', { ...on('core-sw-3'), title: 'Port 12 has no link' });
    expect(other.text).not.toContain('Possible duplicate');
    const same = await t.app.run(people.desk, 'report', { ...on('core-sw-3'), title: 'Loud fan noise from the switch' });
    expect(same.text).toContain('Possible duplicate of');
  });

  it('GIVEN the earlier one was withdrawn, or marked a duplicate itself THEN it is not proposed, and proposing queries no incidents', async () => {
    const withdrawn = await t.app.run(people.user, 'report', on('switch-7'));
    await t.app.run(people.desk, 'withdraw', { id: withdrawn.changedIncidentId, reason: 'Reported twice by mistake' });
    const master = await t.app.run(people.user, 'report', on('switch-7'));
    const linked = await t.app.run(people.desk, 'report', on('switch-7'));
    await t.app.run(people.desk, 'mark-duplicate', { id: linked.changedIncidentId, masterId: master.changedIncidentId });
    await t.bot.settle();
    const next = await t.app.run(people.desk, 'report', on('switch-7'));
    expect(next.text).toContain(`Possible duplicate of ${master.changedIncidentId} (same CI`);
    expect(next.text).not.toContain(withdrawn.changedIncidentId!);
    expect(next.text).not.toContain(linked.changedIncidentId!);
    // The proposal comes from the CI's open set: no query over incidents, whatever the history.
    const finds: string[] = [];
    const client = t.conn.getClient() as unknown as { on(e: string, f: (ev: { commandName: string; command: Record<string, unknown> }) => void): void; removeAllListeners(e: string): void };
    client.on('commandStarted', (ev) => {
      if (ev.commandName === 'find' && ev.command.find === 'incidents' && !('_id' in ((ev.command.filter as object | undefined) ?? {}))) finds.push(JSON.stringify(ev.command.filter));
    });
    await t.app.run(people.desk, 'report', on('switch-7'));
    client.removeAllListeners('commandStarted');
    expect(finds).toEqual([]);
  });

  it('GIVEN twenty reports on a new CI at once THEN every one is logged, the CI open set holds them all, and all but the first are told of a possible duplicate, in fewer writes than reports', async () => {
    const writes: string[] = [];
    const client = t.conn.getClient() as unknown as { on(e: string, f: (ev: { commandName: string; command: Record<string, unknown> }) => void): void; removeAllListeners(e: string): void };
    client.on('commandStarted', (ev) => {
      if (ev.commandName === 'findAndModify' && ev.command.findAndModify === 'ci_open_incidents') writes.push(JSON.stringify(ev.command.query));
    });
    const replies = await Promise.all(Array.from({ length: 20 }, () => t.app.run(people.user, 'report', on('core-sw-new'))));
    client.removeAllListeners('commandStarted');
    expect(replies.filter((r) => !r.changedIncidentId).map((r) => r.text)).toEqual([]);
    const set = await t.conn.collection<{ _id: string; o: Record<string, unknown> }>('ci_open_incidents').findOne({ _id: 'core-sw-new' });
    expect(Object.keys(set?.o ?? {}).sort()).toEqual(replies.map((r) => r.changedIncidentId).sort());
    // Each report sees the ones that joined the set before it, whether in an earlier write or earlier in the same one.
    expect(replies.filter((r) => r.text?.includes('Possible duplicate of'))).toHaveLength(19);
    expect(writes.length).toBeLessThan(20);
  });

  it('GIVEN reports on ten CIs at once THEN each CI\'s open set holds its own, and the later report on each CI is told of the earlier', async () => {
    const cis = Array.from({ length: 10 }, (_, i) => `edge-sw-${i}`);
    const first = await Promise.all(cis.map((ci) => t.app.run(people.user, 'report', on(ci))));
    const second = await Promise.all(cis.map((ci) => t.app.run(people.desk, 'report', on(ci))));
    const sets = t.conn.collection<{ _id: string; o: Record<string, unknown> }>('ci_open_incidents');
    for (const [i, ci] of cis.entries()) {
      expect(Object.keys((await sets.findOne({ _id: ci }))?.o ?? {}).sort()).toEqual([first[i]!.changedIncidentId, second[i]!.changedIncidentId].sort());
      expect(first[i]!.text).not.toContain('Possible duplicate');
      expect(second[i]!.text).toContain(`Possible duplicate of ${first[i]!.changedIncidentId} (same CI ${ci}`);
    }
  });

  it('GIVEN twenty joins on ten CIs, two on each, asked for together THEN one round of two commands, each join told who was there before it', async () => {
    const commands: string[] = [];
    const client = t.conn.getClient() as unknown as { on(e: string, f: (ev: { commandName: string; command: Record<string, unknown> }) => void): void; removeAllListeners(e: string): void };
    client.on('commandStarted', (ev) => {
      if (ev.command[ev.commandName] === 'ci_open_incidents') commands.push(ev.commandName);
    });
    const at = t.clock.now();
    const cis = Array.from({ length: 10 }, (_, i) => `rack-${i}`);
    const firsts = Promise.all(cis.map((ci) => t.app.store.joinCi(ci, `INC-${ci}-a`, at, ['rack'])));
    const seconds = Promise.all(cis.map((ci) => t.app.store.joinCi(ci, `INC-${ci}-b`, at, ['rack'])));
    const [before1, before2] = await Promise.all([firsts, seconds]);
    client.removeAllListeners('commandStarted');
    expect(before1.map((open) => open.map((o) => o.id))).toEqual(cis.map(() => []));
    expect(before2.map((open) => open.map((o) => o.id))).toEqual(cis.map((ci) => [`INC-${ci}-a`]));
    // Both waves asked for before the round starts: one read and one bulk write (a findAndModify a
    // CI, as before, would be ten).
    expect(commands).toEqual(['find', 'update']);
  });

  it('GIVEN a CI\'s open set that cannot be written THEN the report is still logged and answered, only without possible duplicates', async () => {
    const earlier = await t.app.run(people.user, 'report', on('fw-broken'));
    const collection = t.conn.model('CiOpen').collection;
    const failing = vi.spyOn(collection, 'findOneAndUpdate').mockRejectedValue(Object.assign(new Error('disk full'), { code: 14031 }));
    try {
      const reply = await t.app.run(people.desk, 'report', on('fw-broken'));
      expect(reply.error).toBeUndefined();
      expect(reply.text).toContain(reply.changedIncidentId!);
      expect(reply.text).not.toContain('Possible duplicate');
      expect(failing).toHaveBeenCalled();
      expect(await t.app.service.get(reply.changedIncidentId!)).toMatchObject({ ci: 'fw-broken', status: 'open' });
    } finally {
      failing.mockRestore();
    }
    expect(earlier.changedIncidentId).toBeDefined();
  });

  it('GIVEN a CI open set as the version before kept it (dates and word arrays) THEN its incidents are still proposed, and leave it when withdrawn', async () => {
    const earlier = await t.app.run(people.user, 'report', on('router-old'));
    const id = earlier.changedIncidentId!;
    const sets = t.conn.collection<{ _id: string; open?: object; words?: object; o?: object }>('ci_open_incidents');
    await sets.replaceOne({ _id: 'router-old' }, { open: { [id]: t.clock.now() }, words: { [id]: ['printer', 'down'] } });
    const next = await t.app.run(people.desk, 'report', on('router-old'));
    expect(next.text).toContain(`Possible duplicate of ${id}`);
    await t.app.run(people.desk, 'withdraw', { id, reason: 'Reported twice by mistake' });
    await t.bot.settle();
    const set = await sets.findOne({ _id: 'router-old' });
    expect({ ...set?.open, ...set?.words, ...set?.o }).not.toHaveProperty(id);
  });

  it('shows the reporter the hint but not the button', async () => {
    await t.app.run(people.user, 'report', on('scanner-3'));
    const reply = await t.app.run(people.vip, 'report', on('scanner-3'));
    expect(reply.text).toContain('Possible duplicate of');
    expect(reply.card?.actions.some((a) => a.command === 'mark-duplicate')).toBe(false);
  });
});

describe('a form whose fields are all optional', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t.close());

  it('GIVEN the Classify button WHEN pressed THEN the form opens instead of changing nothing', async () => {
    const { changedIncidentId: id } = await t.app.run(people.user, 'report', { title: 'Slow ERP', description: 'slow', impact: '3', urgency: '3' });
    const pressed = await t.app.run(people.desk, 'classify', { id });
    expect(pressed.form?.command).toBe('classify');
    expect(pressed.form?.fields.find((f) => f.name === 'impact')?.initial).toBe('3');
    const submitted = await t.app.run(people.desk, 'classify', { id, category: 'performance', service: 'finance' }, { submitted: true });
    expect(submitted.text).toBe(`${id}: Classify done — now Open.`);
    expect(await t.app.service.get(id!)).toMatchObject({ category: 'performance', service: 'finance' });
  });

  it('GIVEN Confirm (an optional note only) WHEN pressed THEN it just confirms', async () => {
    const { changedIncidentId: id } = await t.app.run(people.user, 'report', { title: 'Slow ERP', description: 'slow', impact: '3', urgency: '3' });
    await t.app.run(people.desk, 'resolve', { id, resolutionCode: 'resolved-by-user-instruction', solution: 'cleared the cache' });
    expect((await t.app.run(people.user, 'confirm', { id })).text).toBe(`${id}: Confirm resolution done — now Resolved.`);
  });
});
