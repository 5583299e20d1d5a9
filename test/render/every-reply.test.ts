import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planForm, renderModal as discordModal } from '../../adapters/discord/form.renderer.js';
import { renderReply as discordReply } from '../../adapters/discord/discord.renderer.js';
import { fieldPrompt, renderReply as shellReply } from '../../adapters/shell/shell.renderer.js';
import { renderModal as slackModal, renderReply as slackReply } from '../../adapters/slack/slack.renderer.js';
import type { Reply } from '../../src/app/view.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { people } from '../support/fixtures.js';

/**
 * STYLE.md: every command's reply renders on every adapter. Each reply is rendered by the shell,
 * Slack and Discord renderers and checked against the platform's limits, with hostile text in it.
 */
const HOSTILE = '<!channel> @everyone @here <@U0123> **x** `y` ' + 'é'.repeat(40);

describe('every command renders on every adapter', () => {
  let t: TestApp;
  const replies: { name: string; reply: Reply }[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    const report = await t.app.run(people.user, 'report', { title: HOSTILE.slice(0, 150), description: HOSTILE.repeat(30).slice(0, 3000), impact: '1', urgency: '1', ci: 'core-1' });
    const id = report.changedIncidentId!;
    replies.push({ name: 'report (receipt)', reply: report });
    // Each command as a button press (forms, refusals, cards) and as first line and a resolver would see it.
    for (const command of t.app.registry.commands) {
      for (const actor of [people.manager, people.network, people.user]) {
        replies.push({ name: `${command.name} as ${actor.id}`, reply: await t.app.run(actor, command.name, command.takesIncident ? { id } : {}) });
      }
    }
    await t.app.run(people.desk, 'dispatch', { id, groupId: 'network' });
    for (let i = 0; i < 30; i++) await t.app.run(people.user, 'update', { id, note: `${HOSTILE} #${i}` });
    replies.push({ name: 'timeline (long)', reply: await t.app.run(people.manager, 'timeline', { id }) });
    replies.push({ name: 'list', reply: await t.app.run(people.manager, 'list', {}) });
  });
  afterAll(async () => t.close());

  it('covers every command', () => {
    for (const command of t.app.registry.commands) expect(replies.some((r) => r.name.startsWith(`${command.name} as`))).toBe(true);
  });

  it('renders in the terminal', () => {
    for (const { name, reply } of replies) {
      // The terminal asks a form field by field; everything else is printed.
      const text = reply.form ? reply.form.fields.map((f) => fieldPrompt(f, t.app.m)).join('') : shellReply(reply, t.app.m).text;
      expect(text.length, name).toBeGreaterThan(0);
    }
  });

  it('renders as Slack messages and modals within Block Kit limits, with no live mention', () => {
    for (const { name, reply } of replies) {
      const message = slackReply(reply);
      expect(message.blocks.length, name).toBeLessThanOrEqual(50);
      const json = JSON.stringify(message);
      expect(json, name).not.toMatch(/<!channel>|<!here>|<@U0123>/);
      for (const block of message.blocks) {
        const text = (block.text as { text?: string } | undefined)?.text ?? '';
        expect(text.length, name).toBeLessThanOrEqual(3000);
      }
      if (reply.form) {
        const modal = slackModal(reply.form, JSON.stringify({ c: reply.form.command, a: reply.form.args }));
        expect(modal.blocks.length, name).toBeLessThanOrEqual(100);
        expect(modal.title.text.length, name).toBeLessThanOrEqual(24);
        expect(modal.private_metadata.length, name).toBeLessThanOrEqual(3000);
      }
    }
  });

  it('renders as Discord messages and modals within limits, never pinging anyone', () => {
    for (const { name, reply } of replies) {
      const message = discordReply(reply, t.app.m);
      expect(message.allowed_mentions.parse, name).toEqual([]);
      expect(message.components.length, name).toBeLessThanOrEqual(5);
      expect((message.content ?? '').length, name).toBeLessThanOrEqual(2000);
      expect(message.content ?? '', name).not.toMatch(/@everyone|@here/);
      for (const row of message.components) {
        expect(row.components.length, name).toBeLessThanOrEqual(5);
        for (const component of row.components) {
          const id = (component as { custom_id?: string }).custom_id ?? '';
          expect(id.length, name).toBeLessThanOrEqual(100);
        }
      }
      for (const embed of message.embeds) expect((embed.description ?? '').length, name).toBeLessThanOrEqual(4096);
      if (reply.form) {
        const plan = planForm(reply.form);
        expect(plan.modal.length, name).toBeLessThanOrEqual(5);
        const modal = discordModal(reply.form.title, 'form:x', plan.modal, {}, {}, t.app.m);
        expect(modal.title.length, name).toBeLessThanOrEqual(45);
        expect(modal.custom_id.length, name).toBeLessThanOrEqual(100);
      }
    }
  });
});
