import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planForm, renderModal as discordModal } from '../../adapters/discord/form.renderer.js';
import { renderReply as discordReply } from '../../adapters/discord/discord.renderer.js';
import { fieldPrompt, renderReply as shellReply } from '../../adapters/shell/shell.renderer.js';
import { renderModal as slackModal, renderReply as slackReply } from '../../adapters/slack/slack.renderer.js';
import type { Reply } from '../../src/app/view.js';
import { LOCALES, type Locale } from '../../src/i18n/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { people } from '../support/fixtures.js';

/**
 * STYLE.md: every command's reply renders on every adapter. Each reply is rendered by the shell,
 * Slack and Discord renderers and checked against the platform's limits, with hostile text in it.
 */
const HOSTILE = '<!channel> @everyone @here <@U0123> **x** `y` ' + 'é'.repeat(40);

const HAN = /\p{Script=Han}/u;

describe('every command renders on every adapter, in every language', () => {
  let t: TestApp;
  const replies: { name: string; reply: Reply; locale: Locale }[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    for (const locale of LOCALES) {
      const add = (name: string, reply: Reply) => replies.push({ name: `[${locale}] ${name}`, reply, locale });
      const report = await t.app.run(people.user, 'report', { title: HOSTILE.slice(0, 150), description: HOSTILE.repeat(30).slice(0, 3000), impact: '1', urgency: '1', ci: `core-${locale}` }, { locale });
      const id = report.changedIncidentId!;
      add('report (receipt)', report);
      // Each command as a button press (forms, refusals, cards) and as first line and a resolver would see it.
      for (const command of t.app.registry.commands) {
        for (const actor of [people.manager, people.network, people.user]) {
          add(`${command.name} as ${actor.id}`, await t.app.run(actor, command.name, command.takesIncident ? { id } : {}, { locale }));
        }
      }
      await t.app.run(people.desk, 'dispatch', { id, groupId: 'network' }, { locale });
      for (let i = 0; i < 30; i++) await t.app.run(people.user, 'update', { id, note: `${HOSTILE} #${i}` }, { locale });
      add('timeline (long)', await t.app.run(people.manager, 'timeline', { id }, { locale }));
      add('list', await t.app.run(people.manager, 'list', {}, { locale }));
      add('search', await t.app.run(people.manager, 'search', { text: 'channel everyone' }, { locale }));
      add('search (nothing)', await t.app.run(people.manager, 'search', { text: locale === 'en' ? 'nonexistentword' : '不存在的词' }, { locale }));
      add('refusal', await t.app.run(people.user, 'close', { id, closureCode: 'completed' }, { locale }));
    }
  });
  afterAll(async () => t.close());

  it('covers every command in every language', () => {
    for (const locale of LOCALES) {
      for (const command of t.app.registry.commands) expect(replies.some((r) => r.name.startsWith(`[${locale}] ${command.name} as`))).toBe(true);
    }
  });

  it('speaks Chinese to a Chinese reader: every sentence, form, field and button the bot writes', () => {
    const chinese = replies.filter((r) => r.locale === 'zh-CN');
    expect(chinese.length).toBeGreaterThan(80);
    for (const { name, reply } of chinese) {
      if (reply.text) expect(reply.text, name).toMatch(HAN);
      for (const section of reply.sections ?? []) expect(section.heading, name).toMatch(HAN);
      for (const button of reply.card?.actions ?? []) expect(button.label, name).toMatch(HAN);
      for (const field of reply.card?.fields ?? []) expect(field.label, name).toMatch(HAN);
      if (reply.form) {
        expect(reply.form.title, name).toMatch(HAN);
        expect(reply.form.submitLabel, name).toMatch(HAN);
        expect(reply.form.cancelLabel, name).toMatch(HAN);
        for (const field of reply.form.fields) expect(field.label, name).toMatch(HAN);
      }
    }
    // And English to an English reader.
    for (const { name, reply } of replies.filter((r) => r.locale === 'en')) if (reply.text) expect(reply.text, name).not.toMatch(HAN);
  });

  it('renders in the terminal', () => {
    for (const { name, reply, locale } of replies) {
      const { m } = t.app.voice(locale);
      // The terminal asks a form field by field; everything else is printed.
      const text = reply.form ? reply.form.fields.map((f) => fieldPrompt(f, m)).join('') : shellReply(reply, m).text;
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
    for (const { name, reply, locale } of replies) {
      const { m } = t.app.voice(locale);
      const message = discordReply(reply, m);
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
        const modal = discordModal(reply.form.title, 'form:x', plan.modal, {}, {}, m);
        expect(modal.title.length, name).toBeLessThanOrEqual(45);
        expect(modal.custom_id.length, name).toBeLessThanOrEqual(100);
      }
    }
  });
});
