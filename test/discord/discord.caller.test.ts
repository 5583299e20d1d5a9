import { afterEach, describe, expect, it } from 'vitest';
import { startDiscord, type DiscordHarness } from '../support/discord/harness.js';
import { autocomplete, button, buttonId, modalSubmit, select, selectId, slash, subcommandAutocomplete, users, type Raw } from '../support/discord/payloads.js';

let h: DiscordHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/**
 * Discord: a desk agent logs a walk-in for an outside contact. The report's first modal holds five
 * fields; the panel asks how it was reported with a select, and the contact's fields come in the
 * "More details…" modals, as many as it takes.
 */
describe('Discord: logging an incident for a caller', () => {
  it('GIVEN a desk agent THEN the panel and its More details modals ask source, reporter and contact; the incident is logged for the contact', async () => {
    h = await startDiscord();
    const opened = await h.deliver(slash(users.desk, 'report'));
    let panel: Raw = h.answerOf(await h.deliver(modalSubmit(users.desk, h.modalOf(opened), { title: 'Badge reader dead', description: 'Gate 2', impact: '3', urgency: '2' })));
    panel = h.answerOf(await h.deliver(select(users.desk, selectId(panel, /^How it was reported/), ['walk_in'], panel)));
    const asked: string[] = [];
    const answers: Record<string, string> = { contactName: 'Ma Li', contactPhone: '138 0000 1111', contactEmail: 'ma.li@example.com' };
    for (let round = 0; round < 3 && !asked.includes('contactEmail'); round++) {
      const modal = h.modalOf(await h.deliver(button(users.desk, buttonId(panel, 'More details…'), panel)));
      const names: string[] = modal.components.map((c: Raw) => c.component.custom_id as string);
      asked.push(...names);
      panel = h.answerOf(await h.deliver(modalSubmit(users.desk, modal, Object.fromEntries(names.filter((n) => answers[n]).map((n) => [n, answers[n]!])))));
    }
    expect(asked).toEqual(expect.arrayContaining(['reporterId', 'contactName', 'contactPhone', 'contactEmail']));
    const receipt = h.answerOf(await h.deliver(button(users.desk, buttonId(panel, 'Report an incident'), panel)));
    const id = /INC-\d{6}/.exec(receipt.content as string)?.[0];
    expect(id).toBeDefined();
    expect(await h.t.app.store.load(id!)).toMatchObject({ source: 'walk_in', reporterName: 'Ma Li', contact: { name: 'Ma Li', phone: '138 0000 1111', email: 'ma.li@example.com' } });
  });
});

describe('Discord: the area follows the category', () => {
  it('GIVEN a category chosen in the first modal THEN the panel offers only that category\'s areas', async () => {
    h = await startDiscord();
    const opened = await h.deliver(slash(users.user, 'report'));
    const panel: Raw = h.answerOf(await h.deliver(modalSubmit(users.user, h.modalOf(opened), { title: 'Cannot log in to VPN', description: 'Since the reset', impact: '4', urgency: '3', category: 'access' })));
    const id = selectId(panel, /^Area/);
    const area = panel.components.flatMap((r: Raw) => r.components).find((c: Raw) => c.custom_id === id);
    expect(area.options.map((o: Raw) => o.value)).toEqual(['access/authorisation-error', 'access/login-failure', 'access/login-failure/vpn', 'access/login-failure/single-sign-on', 'access/login-failure/e-mail']);
    const chosen = h.answerOf(await h.deliver(select(users.user, id, ['access/login-failure/vpn'], panel)));
    const receipt = h.answerOf(await h.deliver(button(users.user, buttonId(chosen, 'Report an incident'), chosen)));
    const incidentId = /INC-\d{6}/.exec(receipt.content as string)![0];
    expect(await h.t.app.store.load(incidentId)).toMatchObject({ category: 'access', subcategory: 'login-failure', subarea: 'vpn' });
  });
});

describe('Discord: the CI catalog looked up as it is typed', () => {
  it('GIVEN /incident-ci with "core" typed THEN the bot offers the matching verbs and the active catalog CIs', async () => {
    h = await startDiscord();
    await h.t.app.service.catalog.save({ id: 'core-sw-1', name: 'Core switch 1', status: 'active' }, new Date());
    await h.t.app.service.catalog.save({ id: 'old-sw-9', name: 'Old core switch', status: 'retired' }, new Date());
    const typed = await h.deliver(autocomplete(users.desk, 'incident-ci', { action: 'core' }, 'action'));
    const [answer] = h.fake.callbacks(typed.id);
    expect(answer!.body.type).toBe(8);
    expect(answer!.body.data.choices).toEqual([{ name: 'core-sw-1 — Core switch 1', value: 'core-sw-1' }]);
    const verbs = await h.deliver(autocomplete(users.desk, 'incident-ci', { action: 're' }, 'action'));
    // Verbs first, then CIs holding the text ("co-re").
    expect(h.fake.callbacks(verbs.id)[0]!.body.data.choices).toEqual([{ name: 'retire', value: 'retire' }, { name: 'core-sw-1 — Core switch 1', value: 'core-sw-1' }]);
  });

  it('GIVEN /incident report with "core" typed as its CI THEN the catalog CIs are offered, and the form opens with the one picked, which the incident then holds with its service', async () => {
    h = await startDiscord();
    await h.t.app.service.catalog.save({ id: 'core-sw-1', name: 'Core switch 1', service: 'network', status: 'active' }, new Date());
    const typed = await h.deliver(subcommandAutocomplete(users.user, 'report', { ci: 'core' }, 'ci'));
    expect(h.fake.callbacks(typed.id)[0]!.body.data.choices).toEqual([{ name: 'core-sw-1 — Core switch 1', value: 'core-sw-1' }]);
    const opened = await h.deliver(slash(users.user, 'report', { ci: 'core-sw-1' }));
    const panel: Raw = h.answerOf(await h.deliver(modalSubmit(users.user, h.modalOf(opened), { title: 'Core switch drops packets', description: 'Since 09:00', impact: '3', urgency: '3', category: 'failure' })));
    expect(panel.content).toContain('Configuration item (CI): core-sw-1');
    const receipt = h.answerOf(await h.deliver(button(users.user, buttonId(panel, 'Report an incident'), panel)));
    const incidentId = /INC-\d{6}/.exec(receipt.content as string)![0];
    expect(await h.t.app.store.load(incidentId)).toMatchObject({ ci: 'core-sw-1', service: 'network' });
  });

  it('GIVEN /incident-search THEN group, assignee and CI are looked up as typed, and become the search\'s filters', async () => {
    h = await startDiscord();
    await h.t.app.service.catalog.save({ id: 'mail-01', name: 'Mail server 1', status: 'active' }, new Date());
    const group = await h.deliver(autocomplete(users.desk, 'incident-search', { group: 'net' }, 'group'));
    expect(h.fake.callbacks(group.id)[0]!.body.data.choices).toEqual([{ name: 'Network', value: 'network' }]);
    const person = await h.deliver(autocomplete(users.desk, 'incident-search', { assignee: 'li w' }, 'assignee'));
    expect(h.fake.callbacks(person.id)[0]!.body.data.choices).toEqual([{ name: 'Li Wei', value: 'li.wei' }]);
    const ci = await h.deliver(autocomplete(users.desk, 'incident-search', { ci: 'mail' }, 'ci'));
    expect(h.fake.callbacks(ci.id)[0]!.body.data.choices).toEqual([{ name: 'mail-01 — Mail server 1', value: 'mail-01' }]);
  });
});
