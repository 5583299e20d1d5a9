import { randomUUID } from 'node:crypto';
import {
  MessageFlags,
  type AutocompleteInteraction,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type Interaction,
  type MessageContextMenuCommandInteraction,
  type ModalSubmitInteraction,
  type RepliableInteraction,
  type StringSelectMenuInteraction,
} from 'discord.js';
import type { Logger } from 'pino';
import type { AdapterCore } from '../../src/bot/adapter.js';
import type { RawArgs } from '../../src/app/command.js';
import { enteredLines, type FormView, type Reply } from '../../src/app/view.js';
import type { Actor } from '../../src/domain/directory.js';
import type { Catalog, Locale } from '../../src/i18n/index.js';
import { decodeRef, encodeRef } from './custom-id.js';
import { OWN_COMMANDS } from './discord.commands.js';
import { describeDiscordError, type DiscordApi } from './discord.api.js';
import type { DiscordInbox, Draft, DiscordStore, HeldDiscordSubmission } from './discord.models.js';
import { forInteraction, renderReply, renderText, type DiscordMessage } from './discord.renderer.js';
import { LIMITS, NO_MENTIONS, cut, show } from './discord.text.js';
import { panelLayout, planForm, renderModal, renderPanel } from './form.renderer.js';

export interface InteractionDeps {
  app: AdapterCore;
  store: DiscordStore;
  /** Submitted forms from the moment they are taken until their person has the answer. */
  inbox: DiscordInbox;
  /** REST, to answer a held submission another process took (its interaction's token, or a DM). */
  api: DiscordApi;
  applicationId: string;
  log: Logger;
  /** Past this, an interaction is deferred before the work ends (Discord allows 3 s). */
  deadlineMs?: number;
}

type How = 'reply' | 'update';

/** An interaction's token answers for 15 minutes; a minute is kept in hand. */
const INTERACTION_TOKEN_MS = 14 * 60_000;

/**
 * Every interaction the gateway delivers: claimed once (a redelivery is ignored), mapped to a
 * command run as the Discord user, answered or deferred within the deadline, and rendered.
 */
export class InteractionHandler {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly deadlineMs: number;

  constructor(private readonly deps: InteractionDeps) {
    this.deadlineMs = deps.deadlineMs ?? 2000;
  }

  /** The `interactionCreate` listener; tracks the work so `idle()` can wait for it. */
  readonly dispatch = (interaction: Interaction): void => {
    const work = this.handle(interaction, Date.now()).catch((error: unknown) => this.deps.log.error({ err: error }, 'discord: interaction failed'));
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  };

  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  async handle(interaction: Interaction, startedAt = Date.now()): Promise<void> {
    if (interaction.isAutocomplete()) return this.autocomplete(interaction);
    if (!interaction.isRepliable()) return;
    if (!(await this.deps.store.claimOnce(`i:${interaction.id}`))) {
      this.deps.log.info({ interaction: interaction.id }, 'discord: interaction delivered again; already handled');
      return;
    }
    const actor = this.actorOf(interaction);
    // The person's language: their setting, else the Discord client's (remembered for later notices).
    const locale = this.deps.app.localeFor(actor.id, interaction.locale);
    const ctx: Ctx = { startedAt, actor, locale, m: this.deps.app.voice(locale).m };
    try {
      if (interaction.isChatInputCommand()) return await this.slashCommand(interaction, ctx);
      if (interaction.isMessageContextMenuCommand()) return await this.reportFromMessage(interaction, ctx);
      if (interaction.isModalSubmit()) return await this.modalSubmit(interaction, ctx);
      if (interaction.isButton() || interaction.isStringSelectMenu()) return await this.component(interaction, ctx);
    } catch (error) {
      await this.fail(interaction, error, ctx.m);
    }
  }

  /**
   * Suggestions while an option is typed (up to 25): `/incident-ci`'s first option offers its verbs
   * and the catalog's CIs holding the text; `/incident-search`'s group, assignee and CI options the
   * groups, people and CIs; `/incident report`'s CI the CIs. Reads only; a failure answers with nothing.
   */
  private async autocomplete(i: AutocompleteInteraction): Promise<void> {
    const focused = i.options.getFocused(true);
    const typed = String(focused.value).trim();
    const lower = typed.toLowerCase();
    const own = OWN_COMMANDS[i.commandName];
    const { directory, presenter } = this.deps.app;
    const cis = async () => (typed ? (await this.deps.app.suggest('ci', typed).catch(() => [])).map((c) => ({ name: cut(c.label, 100), value: c.value.slice(0, 100) })) : []);
    let choices: { name: string; value: string }[] = [];
    if (own === 'search' && focused.name === 'group') {
      choices = directory.allGroups().map((g) => ({ name: presenter.nameOf(g.id), value: g.id })).filter((g) => !lower || g.value.includes(lower) || g.name.toLowerCase().includes(lower)).map((g) => ({ ...g, name: cut(g.name, 100) }));
    } else if (own === 'search' && focused.name === 'assignee') {
      choices = directory.allPeople().filter((p) => !lower || p.id.includes(lower) || p.name.toLowerCase().includes(lower)).map((p) => ({ name: cut(p.name, 100), value: p.id }));
    } else if ((own === 'search' || (!own && i.options.getSubcommand(false) === 'report')) && focused.name === 'ci') {
      choices = await cis();
    } else if (own === 'ci' && focused.name === 'action') {
      const verbs = ['search', 'add', 'retire'].filter((v) => lower && v.startsWith(lower));
      choices = [...verbs.map((v) => ({ name: v, value: v })), ...(await cis())];
    }
    await i.respond(choices.slice(0, 25)).catch((err: unknown) => this.deps.log.warn({ err }, 'discord: autocomplete answer failed'));
  }

  /** The Discord user as a configured person (or a guest), with the groups their roles stand for. */
  actorOf(interaction: RepliableInteraction): Actor {
    const { app } = this.deps;
    const member = interaction.member as unknown as { displayName?: string; nick?: string | null; roles?: unknown; _roles?: string[] } | null;
    const name = member?.displayName ?? member?.nick ?? interaction.user.globalName ?? interaction.user.username;
    const actor = app.actorFor('discord', interaction.user.id, name ?? undefined);
    const roles = rolesOf(member);
    const groups = app.directory.allGroups().filter((g) => g.discord.role && roles.includes(g.discord.role)).map((g) => g.id);
    return groups.length > 0 ? { ...actor, groups } : actor;
  }

  private async slashCommand(i: ChatInputCommandInteraction, ctx: Ctx): Promise<void> {
    const args: RawArgs = {};
    // A command of its own (/incident-search) carries its options itself; /incident a subcommand's.
    const own = OWN_COMMANDS[i.commandName];
    const name = own ?? i.options.getSubcommand(false) ?? 'help';
    const options = own ? i.options.data : (i.options.data.find((o) => o.name === name)?.options ?? []);
    for (const option of options) if (option.value !== undefined) args[option.name] = String(option.value);
    await this.runCommand(i, ctx, name, own === 'search' ? searchArgs(args) : args, 'reply');
  }

  /** "Report as incident" on a message: the report form, pre-filled from the message. */
  private async reportFromMessage(i: MessageContextMenuCommandInteraction, ctx: Ctx): Promise<void> {
    const { app } = this.deps;
    const message = i.targetMessage;
    const text = (message.content || message.embeds[0]?.description || '').trim();
    const limits = app.config.policy.limits;
    const title = cut(text.split('\n')[0] ?? '', limits.title);
    const url = `https://discord.com/channels/${i.guildId ?? '@me'}/${message.channelId}/${message.id}`;
    const source = app.m.discord.fromMessage({ author: message.author?.username ?? '?', url });
    const description = `${cut(text, Math.max(0, limits.text - source.length - 2))}\n\n${source}`.trim();
    await this.runCommand(i, ctx, 'report', { title, description }, 'reply');
  }

  private async component(i: ButtonInteraction | StringSelectMenuInteraction, ctx: Ctx): Promise<void> {
    const ref = decodeRef(i.customId);
    if (!ref) return this.send(i, renderText(ctx.m.discord.formExpired), 'reply');
    const chosen = i.isStringSelectMenu() ? (i.values[0] ?? '') : '';
    switch (ref.kind) {
      case 'action':
        return this.runCommand(i, ctx, ref.command, ref.args, 'reply');
      case 'pick':
        return this.runCommand(i, ctx, ref.command, { id: chosen }, 'reply');
      case 'modal':
        return this.send(i, renderText(ctx.m.discord.formExpired), 'reply');
      default: {
        const draft = await this.draftFor(i, ref.draftId, ctx);
        if (!draft) return;
        if (ref.kind === 'field') {
          if (chosen) draft.values[ref.field] = chosen;
          else delete draft.values[ref.field];
          delete draft.problems[ref.field];
          if (!draft.asked.includes(ref.field)) draft.asked.push(ref.field);
          await this.deps.store.saveDraft(draft);
          return this.send(i, this.panel(draft, ctx.m), 'update');
        }
        if (ref.kind === 'edit') {
          const { modalFields } = panelLayout(draft.form, draft.asked, draft.problems);
          const fields = draft.asked.length === 0 ? planForm(draft.form).modal : modalFields;
          return i.showModal(renderModal(draft.form.title, encodeRef({ kind: 'modal', draftId: draft._id, step: draft.asked.length === 0 ? 1 : 2 }), fields, draft.values, draft.problems, ctx.m));
        }
        if (ref.kind === 'cancel') {
          await this.deps.store.deleteDraft(draft._id);
          return this.send(i, renderText(ctx.m.reply.formCancelled), 'update');
        }
        return this.submit(i, ctx, draft, 'update');
      }
    }
  }

  private async modalSubmit(i: ModalSubmitInteraction, ctx: Ctx): Promise<void> {
    const ref = decodeRef(i.customId);
    if (ref?.kind !== 'modal') return this.send(i, renderText(ctx.m.discord.formExpired), 'reply');
    const draft = await this.draftFor(i, ref.draftId, ctx);
    if (!draft) return;
    const fixing = Object.keys(draft.problems).length > 0;
    for (const [name, value] of Object.entries(modalValues(i))) {
      if (value.trim()) draft.values[name] = value;
      else delete draft.values[name];
      delete draft.problems[name];
      if (!draft.asked.includes(name)) draft.asked.push(name);
    }
    const remaining = draft.form.fields.filter((f) => !draft.asked.includes(f.name));
    // The first modal held everything, or the user just fixed what was refused: send it.
    if (remaining.length === 0 && (ref.step === 1 || fixing)) return this.submit(i, ctx, draft, ref.step === 2 ? 'update' : 'reply');
    await this.deps.store.saveDraft(draft);
    await this.send(i, this.panel(draft, ctx.m), ref.step === 2 ? 'update' : 'reply');
  }

  /** Runs a command and answers: a form opens as a modal (or a panel), anything else is rendered. */
  private async runCommand(i: RepliableInteraction, ctx: Ctx, name: string, args: RawArgs, how: How): Promise<void> {
    const { app } = this.deps;
    const reply = await this.beforeDeadline(i, ctx, app.run(ctx.actor, name, args, { key: `discord:${i.id}`, locale: ctx.locale }), how);
    if (reply.form) return this.openForm(i, reply.form, how, ctx.m);
    await this.send(i, renderReply(reply, ctx.m), how);
  }

  private async submit(i: RepliableInteraction, ctx: Ctx, draft: Draft, how: How): Promise<void> {
    const { app, inbox, log } = this.deps;
    const args = { ...draft.args, ...draft.values };
    // One key per form: a double press of "Report" logs one incident.
    const key = `discord:form:${draft._id}`;
    const held: HeldDiscordSubmission = {
      _id: key, draftId: draft._id, actor: ctx.actor, userId: i.user.id, command: draft.command, args, locale: ctx.locale, token: i.token, at: new Date(),
    };
    // Held before it runs: from here a process that stops leaves it to the next one, which answers
    // through the interaction's token. Not held (the database is down): it still runs and answers.
    await inbox.hold(held).catch((err: unknown) => log.warn({ err, key }, 'discord: could not hold a submission; running it anyway'));
    await inbox.settle(key, async () => {
      const reply = await this.beforeDeadline(i, ctx, app.run(ctx.actor, draft.command, args, { submitted: true, key, locale: ctx.locale }), how);
      await this.send(i, await this.afterSubmit(draft, reply, ctx.m), how);
    });
  }

  /** What a submitted form's person sees: the panel again with the problems, or the answer (the draft then goes). */
  private async afterSubmit(draft: Draft, reply: Reply, m: Catalog): Promise<DiscordMessage> {
    const { store } = this.deps;
    if (reply.form) {
      draft.form = { ...reply.form, args: draft.args };
      draft.problems = reply.form.errors ?? {};
      await store.saveDraft(draft);
      return this.panel(draft, m);
    }
    await store.deleteDraft(draft._id);
    return renderReply(reply, m);
  }

  /**
   * Forms another process took and never answered (it stopped): run again, once each (their
   * request keys), and answered in place of the "thinking…" their person was left with while the
   * interaction's token lasts, else by direct message. Called at start and once a minute.
   */
  replayHeld(olderThanMs: number, giveUpAfterMs?: number): Promise<number> {
    return this.deps.inbox.replay(olderThanMs, { run: (held) => this.runHeld(held), giveUp: (held) => this.giveUp(held) }, this.deps.log, giveUpAfterMs);
  }

  /**
   * A held form still failing an hour after it was sent: its person is told by direct message, with
   * what they entered (the whole of each field, in an embed), and the draft goes. Throws if the
   * message cannot be sent, so the form stays held.
   */
  private async giveUp(held: HeldDiscordSubmission): Promise<void> {
    const { app, store, api } = this.deps;
    const { m } = app.voice(held.locale);
    const draft = await store.draft(held.draftId);
    const entered = draft ? enteredLines(draft.form.fields, held.args) : Object.entries(held.args).filter(([, v]) => v?.trim()).map(([k, v]) => `${k}: ${v}`);
    const message: DiscordMessage = {
      content: show(entered.length > 0 ? `${m.notice.formGaveUp}\n${m.notice.youEntered}` : m.notice.formGaveUp, LIMITS.content),
      embeds: entered.length > 0 ? [{ description: show(entered.join('\n'), LIMITS.embedDescription) }] : [],
      components: [],
      allowed_mentions: NO_MENTIONS,
    };
    await api.postMessage(String((await api.openDm(held.userId)).id), message);
    if (draft) await store.deleteDraft(draft._id);
  }

  private async runHeld(held: HeldDiscordSubmission): Promise<void> {
    const { app, store, inbox, api, applicationId, log } = this.deps;
    const { m } = app.voice(held.locale);
    await inbox.settle(held._id, async () => {
      const reply = await app.run(held.actor, held.command, held.args, { submitted: true, key: held._id, locale: held.locale });
      const draft = await store.draft(held.draftId);
      const message = draft ? await this.afterSubmit(draft, reply, m) : renderReply(reply.form ? { ephemeral: true, text: Object.values(reply.form.errors ?? {}).join('\n') || m.discord.formExpired } : reply, m);
      const tokenLasts = Date.now() - new Date(held.at).getTime() < INTERACTION_TOKEN_MS;
      const edited = tokenLasts && (await api.editOriginal(applicationId, held.token, message).then(() => true, (err: unknown) => {
        log.info({ key: held._id, why: describeDiscordError(err) }, 'discord: the interaction can no longer be answered; sending a direct message');
        return false;
      }));
      if (!edited) await api.postMessage(String((await api.openDm(held.userId)).id), message);
    });
  }

  private async openForm(i: RepliableInteraction, form: FormView, how: How, m: Catalog): Promise<void> {
    const { store } = this.deps;
    const canShowModal = !i.deferred && !i.replied && !i.isModalSubmit() && 'showModal' in i;
    const plan = planForm(form);
    const values: Record<string, string> = {};
    for (const field of form.fields) if (field.initial) values[field.name] = field.initial;
    const draft: Draft = {
      _id: randomUUID().replace(/-/g, '').slice(0, 20),
      userId: i.user.id,
      command: form.command,
      args: form.args,
      values,
      form,
      asked: canShowModal ? plan.modal.map((f) => f.name) : [],
      problems: form.errors ?? {},
      createdAt: new Date(),
    };
    await store.createDraft(draft);
    if (canShowModal) {
      await i.showModal(renderModal(form.title, encodeRef({ kind: 'modal', draftId: draft._id, step: 1 }), plan.modal, values, draft.problems, m));
      return;
    }
    await this.send(i, this.panel(draft, m), how);
  }

  private panel(draft: Draft, m: Catalog): DiscordMessage {
    const layout = panelLayout(draft.form, draft.asked, draft.problems);
    return renderPanel({ draftId: draft._id, form: draft.form, values: draft.values, errors: draft.problems, ...layout }, m);
  }

  private async draftFor(i: RepliableInteraction, draftId: string, ctx: Ctx): Promise<Draft | undefined> {
    const { store } = this.deps;
    const draft = await store.draft(draftId);
    if (!draft) {
      await this.send(i, renderText(ctx.m.discord.formExpired), 'reply');
      return undefined;
    }
    if (draft.userId !== i.user.id) {
      this.deps.log.info({ draftId, actor: ctx.actor.id }, 'discord: someone else pressed a form button');
      await this.send(i, renderText(ctx.m.discord.notYours), 'reply');
      return undefined;
    }
    return draft;
  }

  /**
   * Waits for the work until the deadline, then defers (Discord's 3 s) and keeps waiting. A modal
   * can no longer be shown once deferred; forms then continue in a panel.
   */
  private async beforeDeadline<T>(i: RepliableInteraction, ctx: Ctx, work: Promise<T>, how: How): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const left = Math.max(0, this.deadlineMs - (Date.now() - ctx.startedAt));
    const early = await Promise.race([work.then((value) => ({ value })), new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), left)))]);
    clearTimeout(timer);
    if (early) return early.value;
    if (!i.deferred && !i.replied) {
      if (how === 'update' && canUpdate(i)) await (i as ButtonInteraction).deferUpdate();
      else await i.deferReply({ flags: MessageFlags.Ephemeral });
      this.deps.log.info({ interaction: i.id }, 'discord: deferred a slow interaction');
    }
    return work;
  }

  private async send(i: RepliableInteraction, message: DiscordMessage, how: How): Promise<void> {
    const payload = forInteraction(message);
    if (i.deferred || i.replied) {
      await i.editReply(payload);
    } else if (how === 'update' && canUpdate(i)) {
      await (i as ButtonInteraction).update(payload);
    } else {
      await i.reply({ ...payload, flags: MessageFlags.Ephemeral });
    }
  }

  /** Unexpected errors: logged with an id, and the user sees the id. */
  private async fail(i: RepliableInteraction, error: unknown, m: Catalog): Promise<void> {
    const ref = randomUUID().slice(0, 8);
    this.deps.log.error({ err: error, ref, interaction: i.id, why: describeDiscordError(error) }, 'discord: interaction failed');
    const message = forInteraction(renderText(m.error.internal({ ref })));
    try {
      if (i.deferred || i.replied) await i.followUp({ ...message, flags: MessageFlags.Ephemeral });
      else await i.reply({ ...message, flags: MessageFlags.Ephemeral });
    } catch (second) {
      this.deps.log.error({ err: second, ref }, 'discord: could not tell the user about a failure');
    }
  }
}

interface Ctx {
  startedAt: number;
  actor: Actor;
  /** The person's language, and its catalog. */
  locale: Locale;
  m: Catalog;
}

/** `/incident-search`'s options as the search's own text: words, then `key:value` and the flags. */
function searchArgs(options: RawArgs): RawArgs {
  const parts = [options.text ?? ''];
  for (const key of ['status', 'priority', 'sort', 'group', 'assignee', 'ci'] as const) if (options[key]) parts.push(`${key}:${options[key]}`);
  for (const key of ['overdue', 'major', 'unassigned'] as const) if (options[key] === 'true') parts.push(key);
  const text = parts.join(' ').trim();
  return text ? { text } : {};
}

/** Components, and modals opened from a component, may edit the message they came from. */
function canUpdate(i: RepliableInteraction): boolean {
  return i.isMessageComponent() || (i.isModalSubmit() && i.isFromMessage());
}

/** Text inputs give `value`, selects `values`; an untouched optional select gives nothing. */
function modalValues(i: ModalSubmitInteraction): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [customId, field] of i.fields.fields) {
    const data = field as { value?: unknown; values?: unknown };
    if (typeof data.value === 'string') values[customId] = data.value.slice(0, LIMITS.textInput);
    else if (Array.isArray(data.values)) values[customId] = String(data.values[0] ?? '');
  }
  return values;
}

/** Role ids of a member: a cached GuildMember, or the raw member of an uncached guild. */
function rolesOf(member: { roles?: unknown; _roles?: string[] } | null): string[] {
  if (!member) return [];
  if (Array.isArray(member.roles)) return member.roles.map(String);
  if (Array.isArray(member._roles)) return member._roles;
  const cache = (member.roles as { cache?: Map<string, unknown> } | undefined)?.cache;
  return cache ? [...cache.keys()] : [];
}
