import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { config, people } from '../support/fixtures.js';

/**
 * The knowledge base (SPEC §13): an article written and published, offered on a report whose words
 * match, "This fixed it" closing the incident as a first-line fix with the use counted once; a
 * successful closure drafting the next article; a resolver recording a use.
 */
describe('knowledge base: articles that answer reports before anyone is paged', () => {
  let t: TestApp;
  const knowledgeOwner = people.desk;
  beforeAll(async () => {
    t = await startTestApp(config);
  });
  afterAll(async () => t.close());

  const run = (who: { id: string; name: string }, text: string, key?: string) => {
    const parsed = t.app.registry.parseText(text)!;
    return t.app.run(who, parsed.name, parsed.args, key ? { key } : {});
  };
  const idOf = (text: string | undefined) => /INC-\d+/.exec(text ?? '')![0];

  it('GIVEN a draft THEN only a knowledge owner publishes it; search finds it', async () => {
    const drafted = await run(people.network, 'kb new title=Outlook keeps asking for the password symptoms=Outlook prompts for the password again and again cause=A stale saved credential solution=Remove the saved Outlook entries in Credential Manager, then sign in again service=oa category=access');
    expect(drafted.text).toBe('Draft KB-000001 "Outlook keeps asking for the password" saved; a knowledge owner publishes it (kb publish KB-000001).');
    expect((await run(people.user, 'kb new title=x symptoms=y solution=z')).text).toBe('Only people who work incidents (a group member), knowledge owners and process owners can write articles.');
    expect((await run(people.network, 'kb publish KB-000001')).text).toContain('Only knowledge owners and process owners');
    expect((await run(people.user, 'kb search outlook password')).text).toBe('No article matches "outlook password".');
    expect((await run(knowledgeOwner, 'kb publish kb-1')).text).toBe('KB-000001 is now published.');
    expect((await run(people.user, 'kb search outlook password')).text).toBe('1 article(s) match "outlook password"\nKB-000001 — Outlook keeps asking for the password');
    expect((await run(people.network, 'kb new title=x colour=red')).text).toContain('use title=, symptoms=, cause=, solution=, ci=, service=, category=');
    expect((await run(knowledgeOwner, 'kb new title=x symptoms=y solution=z service=payroll')).text).toBe('There is no service "payroll".');
    expect((await run(people.user, 'kb KB-000099')).text).toBe('There is no knowledge article "KB-000099" (ids look like KB-000001).');
  });

  it('GIVEN a report whose words match THEN the reporter is offered the article with "This fixed it"; first line sees it on the card; pressing it closes the incident as a first-line fix, counted once', async () => {
    const reply = await t.app.run(people.user, 'report', { title: 'Outlook asks for my password all the time', description: 'Since this morning', impact: '4', urgency: '3' }, { submitted: true });
    const id = idOf(reply.text);
    expect(reply.text).toContain('Known solutions that may fix this.');
    expect(reply.text).toContain('• KB-000001 Outlook keeps asking for the password: Remove the saved Outlook entries in Credential Manager, then sign in again');
    const button = reply.card!.actions.find((a) => a.label === 'This fixed it (KB-000001)')!;
    expect(button).toEqual({ label: 'This fixed it (KB-000001)', command: 'kb', args: { action: 'fix', text: `${id} KB-000001` } });
    const card = t.app.presenter.card((await t.app.store.load(id))!, t.clock.now());
    expect(card.fields).toEqual(expect.arrayContaining([{ label: 'Known solutions', value: 'KB-000001 Outlook keeps asking for the password', short: false }]));
    // The card offers no bare "fixed by an article" button: it would not know which article.
    expect(card.actions.map((a) => a.command)).not.toContain('kb-fix');
    expect(card.actions.map((a) => a.command)).not.toContain('kb-use');

    // Someone else's incident: not theirs to close.
    expect((await t.app.run(people.network, button.command, button.args)).text).toContain(`You cannot`);
    const pressed = await t.app.run(people.user, button.command, button.args, { key: 'press-1' });
    expect(pressed.text).toContain(`${id}: Fixed by a knowledge article done — now Closed.`);
    expect(pressed.text).toContain('Glad KB-000001 helped: closed as a first-line fix.');
    const closed = (await t.app.store.load(id))!;
    expect(closed).toMatchObject({ status: 'closed', resolutionCode: 'resolved-by-user-instruction', closureCode: 'completed', knowledge: ['KB-000001'], resolvedById: people.user.id });
    expect(closed.confirmedAt).toBeDefined();
    expect(closed.solution).toContain('KB-000001: Remove the saved Outlook entries');
    // Pressed twice (a double click): one change, one use.
    expect((await t.app.run(people.user, button.command, button.args, { key: 'press-1' })).text).toContain('already');
    const shown = await run(people.user, 'kb KB-000001');
    expect(shown.text).toContain('Used on 1 incident(s)');
    expect(JSON.stringify(await run(people.user, `timeline ${id}`))).toContain('closed it with a knowledge article (first-line fix)');
  });

  it('GIVEN a report whose words do not match THEN nothing is offered', async () => {
    const reply = await t.app.run(people.user, 'report', { title: 'Badge reader at gate 2', description: 'Dead', impact: '4', urgency: '4' }, { submitted: true });
    expect(reply.text).not.toContain('Known solutions');
    expect(reply.card!.actions.some((a) => a.command === 'kb')).toBe(false);
  });

  it('GIVEN a successful closure THEN the reply offers a draft from its solution; a resolver records a use', async () => {
    const reply = await t.app.run(people.user, 'report', { title: 'VPN drops after sleep', description: 'Laptop wakes, VPN gone', impact: '4', urgency: '3' }, { submitted: true });
    const id = idOf(reply.text);
    await t.app.run(people.desk, 'dispatch', { id, groupId: 'network' });
    await t.app.run(people.network, 'accept', { id });
    expect((await run(people.network, `kb use ${id} KB-000001`)).text).toContain(`${id}: Used a knowledge article done`);
    await t.app.run(people.network, 'resolve', { id, resolutionCode: 'resolved-by-user-instruction', solution: 'Turn off "allow the computer to turn off this device" on the Wi-Fi adapter' });
    await t.app.run(people.user, 'confirm', { id });
    const closed = await t.app.run(people.desk, 'close', { id, closureCode: 'completed' });
    expect(closed.text).toContain(`Worth keeping? Save the solution as a knowledge article: kb draft ${id}`);
    const draftButton = closed.card!.actions.find((a) => a.label === 'Save as knowledge article')!;
    const drafted = await t.app.run(people.desk, draftButton.command, draftButton.args);
    expect(drafted.text).toBe('Draft KB-000002 "VPN drops after sleep" saved; a knowledge owner publishes it (kb publish KB-000002).');
    expect(await t.app.service.knowledge.get('KB-000002')).toMatchObject({ symptoms: 'Laptop wakes, VPN gone', fromIncident: id, status: 'draft', ownerId: people.desk.id });
    expect((await run(people.user, 'kb KB-000001')).text).toContain('Used on 2 incident(s)');
    // A draft cannot be used on an incident.
    expect((await run(people.network, `kb use ${id} KB-000002`)).text).toBe('KB-000002 is draft, not published: only published articles can be used on an incident.');
  });
});
