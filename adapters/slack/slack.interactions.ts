import type { App as BoltApp, webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import type { AdapterCore } from '../../src/bot/adapter.js';
import type { RawArgs } from '../../src/app/command.js';
import { enteredLines, filesOf, type FormView, type Reply } from '../../src/app/view.js';
import type { Actor } from '../../src/domain/directory.js';
import { isLocale, type Locale } from '../../src/i18n/index.js';
import type { HomeTab } from './slack.home.js';
import type { SlackLocales } from './slack.locales.js';
import type { SurfaceStore } from '../../src/outbox/surface.store.js';
import type { Origin, ReplySender } from './slack.replies.js';
import {
  ACTION_PREFIX, FORM_CALLBACK, fieldErrors, fieldsOfView, parseButtonValue, readSubmission, renderModal, renderNoticeModal, type SlackModal, type SubmittedBlock,
} from './slack.renderer.js';
import { formErrors } from '../../src/app/pipeline.js';
import { LIMITS, selectOption, truncate, type SelectOption } from './slack.text.js';
import type { HeldSubmission, SlackInbox } from './slack.inbox.js';

export const SHORTCUT_REPORT = 'report_incident';
export const SHORTCUT_REPORT_MESSAGE = 'report_as_incident';

/** How long a request may wait for the core before the person sees "Working on it…" (Slack's limit is 3 s). */
export const TRIGGER_BUDGET_MS = 1_500;

interface FormMetadata {
  c: string;
  a: Record<string, string>;
  o: Origin;
}

export interface InteractionDeps {
  app: AdapterCore;
  /** The interactive client (views.*, replies); background work has its own. */
  client: webApi.WebClient;
  /** views.open on the interactive path (ViewOpener: no per-call debug serialisation). */
  views: { open(triggerId: string, view: object): Promise<{ view?: { id?: string } }> };
  /** The background client, for posts that follow a submission (thread reply on a reported message). */
  background: webApi.WebClient;
  replies: ReplySender;
  /** The shared claims store: a retried event (same event_id) is handled once. */
  claims: SurfaceStore;
  home: HomeTab;
  /** Each person's language (their setting, else Slack's locale for them). */
  locales: SlackLocales;
  log: Logger;
  /** Keeps work running after the ack visible to `idle()` and to error logging. */
  track(work: () => Promise<void>): void;
  /** Submissions acknowledged and not yet answered, so a stopped process's are run again. */
  inbox: SlackInbox;
}

type Viewed = { done: true; reply: Reply } | { done: false };

/**
 * Slack requests → commands. Every handler acknowledges first and works after (PLATFORMS.md
 * "3 seconds"); a trigger_id is spent on a modal straight away, a "Working on it…" one when the core
 * is slow. Button presses carry the incident revision, so a double click acts once.
 */
export class Interactions {
  constructor(private readonly deps: InteractionDeps) {}

  register(bolt: BoltApp): void {
    const { track } = this.deps;

    bolt.command(/^\/.+/, async ({ ack, command }) => {
      const receivedAt = Date.now();
      await ack();
      track(() => this.slashCommand(command, receivedAt));
    });

    bolt.action({ type: 'block_actions', action_id: new RegExp(`^${ACTION_PREFIX}`) }, async ({ ack, body, action }) => {
      await ack();
      track(() => this.button(body as unknown as BlockActionBody, action as { value?: string }));
    });

    bolt.view({ callback_id: FORM_CALLBACK, type: 'view_submission' }, async ({ ack, body, view }) => {
      // Checked in memory and acknowledged at once; the commit follows the ack.
      await this.submission(body.user, view as unknown as SubmittedView, (response) => ack(response as never));
    });

    bolt.view({ callback_id: FORM_CALLBACK, type: 'view_closed' }, async ({ ack }) => {
      await ack();
    });

    // A CI typed into the report form: the catalog's matches as options, the typed text first (free text stays possible).
    bolt.options({ type: 'block_suggestion', action_id: 'ci' }, async ({ ack, options, body }) => {
      await ack({ options: await this.ciOptions(options.value, parseMetadata((body as { view?: { private_metadata?: string } }).view?.private_metadata)?.o.locale) } as never);
    });

    // A choice that depends on another answer (the area under the chosen category), as its menu opens
    // or as the person types: the form's options in that field, narrowed to the answers so far.
    bolt.options({ type: 'block_suggestion', action_id: /^(?!ci$)/ }, async ({ ack, options, body }) => {
      const view = (body as { view?: { private_metadata?: string; state?: SubmittedView['state'] } }).view;
      await ack({ options: await this.choiceOptions(body.user, options.action_id, options.value, view) } as never);
    });

    bolt.shortcut(SHORTCUT_REPORT, async ({ ack, body }) => {
      await ack();
      track(() => this.execute(this.actor(body.user.id, body.user.username), 'report', {}, { user: body.user.id }, body.trigger_id));
    });

    bolt.shortcut(SHORTCUT_REPORT_MESSAGE, async ({ ack, body }) => {
      await ack();
      track(() => this.messageShortcut(body as unknown as MessageShortcutBody));
    });

    bolt.event('app_home_opened', async ({ event, body }) => {
      if (event.tab && event.tab !== 'home') return;
      // Events are retried when slow (same event_id): the first insert of its key wins.
      const eventId = (body as { event_id?: string }).event_id;
      track(async () => {
        if (eventId && !(await this.deps.claims.claim(`slack:event:${eventId}`, 'home', {}, 'done'))) return;
        await this.deps.home.publish(event.user);
      });
    });
  }

  /** Up to 25 options: what was typed (kept as typed), then the active CIs whose id or name hold it. */
  private async ciOptions(value: string | undefined, locale: Locale | undefined): Promise<SelectOption[]> {
    const typed = (value ?? '').trim().slice(0, 100);
    if (!typed) return [];
    const { m } = this.deps.app.voice(locale);
    const found = await this.deps.app.suggest('ci', typed).catch((err: unknown) => {
      this.deps.log.warn({ err }, 'CI options: the catalog could not be searched');
      return [];
    });
    return [
      ...(found.some((ci) => ci.value === typed) ? [] : [selectOption(m.slack.asTyped({ text: typed }), typed)]),
      ...found.slice(0, 24).map((ci) => selectOption(ci.label, ci.value)),
    ];
  }

  /** Up to 100 of the form's options in `field` whose label or value holds what was typed, narrowed to the answers in the view. */
  private async choiceOptions(
    user: { id: string; name?: string; username?: string },
    field: string,
    value: string | undefined,
    view: { private_metadata?: string; state?: SubmittedView['state'] } | undefined,
  ): Promise<SelectOption[]> {
    const meta = parseMetadata(view?.private_metadata);
    if (!meta) return [];
    const answers = { ...meta.a, ...readSubmission(view?.state) };
    const found = await this.deps.app.fieldOptions(this.actor(user.id, user.name ?? user.username), meta.c, meta.a, field, answers, meta.o.locale).catch((err: unknown) => {
      this.deps.log.warn({ err, field }, 'form options could not be listed');
      return [];
    });
    const typed = (value ?? '').trim().toLowerCase();
    return found
      .filter((o) => !typed || o.label.toLowerCase().includes(typed) || o.value.toLowerCase().includes(typed))
      .slice(0, LIMITS.optionsPerSelect)
      .map((o) => selectOption(o.label, o.value));
  }

  private actor(userId: string, name?: string): Actor {
    return this.deps.app.actorFor('slack', userId, name);
  }

  /** `/incident` alone or with free text reports; `/incident <command> …` runs that command. */
  private async slashCommand(command: { text: string; user_id: string; user_name: string; channel_id: string; response_url: string; trigger_id: string }, receivedAt = Date.now()): Promise<void> {
    const { app } = this.deps;
    const text = command.text.trim();
    const parsed = text === '' ? { name: 'report', args: {} } : (app.registry.parseText(text) ?? { name: 'report', args: { title: truncate(text, app.config.policy.limits.title) } });
    const origin: Origin = { user: command.user_id, channel: command.channel_id, responseUrl: command.response_url };
    await this.execute(this.actor(command.user_id, command.user_name), parsed.name, parsed.args, origin, command.trigger_id, undefined, receivedAt);
  }

  private async button(body: BlockActionBody, action: { value?: string }): Promise<void> {
    const origin: Origin = {
      user: body.user.id,
      channel: body.channel?.id ?? body.container?.channel_id,
      responseUrl: body.response_url,
    };
    const value = parseButtonValue(action.value);
    if (!value) {
      const locale = await this.deps.locales.of(body.user.id, this.actor(body.user.id));
      return this.deps.replies.text({ ...origin, locale }, this.deps.app.voice(locale).m.slack.badButton);
    }
    // The same person pressing the same button on the same card version twice acts once. Buttons of
    // one command that differ in what they carry (a rating's 1 and 5) are different presses.
    const carried = Object.entries(value.a).filter(([k]) => k !== 'id').sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`).join('&');
    const key = value.r !== undefined && value.a.id ? `slack:button:${body.user.id}:${value.a.id}:${value.c}:${value.r}${carried ? `:${carried}` : ''}` : undefined;
    await this.execute(this.actor(body.user.id, body.user.name ?? body.user.username), value.c, value.a, origin, body.trigger_id, key);
  }

  private async messageShortcut(body: MessageShortcutBody): Promise<void> {
    const { app } = this.deps;
    const message = body.message;
    const text = message.text ?? '';
    const link = body.team?.domain
      ? `https://${body.team.domain}.slack.com/archives/${body.channel.id}/p${message.ts.replace('.', '')}`
      : `${body.channel.id}/${message.ts}`;
    const firstLine = text.split('\n').find((l) => l.trim()) ?? '';
    const args: RawArgs = {
      title: truncate(firstLine.trim(), app.config.policy.limits.title),
      description: truncate(`${text}\n\n${app.m.slack.fromMessage({ link })}`, app.config.policy.limits.text),
    };
    const origin: Origin = { user: body.user.id, channel: body.channel.id, responseUrl: body.response_url, message: { channel: body.channel.id, ts: message.ts } };
    await this.execute(this.actor(body.user.id, body.user.name ?? body.user.username), 'report', args, origin, body.trigger_id);
  }

  /**
   * Runs a command for a request that carries a trigger_id. If the core answers within the budget,
   * a form opens as a modal and anything else goes back to the person; if not, a "Working on it…"
   * modal is opened while the trigger is still valid and updated with the outcome.
   */
  async execute(actor: Actor, name: string, args: RawArgs, requestOrigin: Origin, triggerId?: string, key?: string, receivedAt = Date.now()): Promise<void> {
    const { app, client, replies } = this.deps;
    const locale = await this.deps.locales.of(requestOrigin.user, actor);
    const origin: Origin = { ...requestOrigin, locale };
    const { m } = app.voice(locale);
    const running = app.run(actor, name, args, key ? { key, locale } : { locale });
    // The budget counts from when Slack sent the request, not from when its work began.
    const first = await withinBudget(running, triggerId ? Math.max(0, TRIGGER_BUDGET_MS - (Date.now() - receivedAt)) : Number.POSITIVE_INFINITY);
    let waitingViewId: string | undefined;
    if (!first.done && triggerId) {
      try {
        const opened = await this.deps.views.open(triggerId, renderNoticeModal(m.slack.modalTitle, m.slack.working, m.word.close));
        waitingViewId = opened.view?.id;
      } catch (error) {
        await replies.failure(origin, error, { method: 'views.open' });
      }
    }
    const reply = first.done ? first.reply : await running;
    if (reply.form) {
      const view = this.modal(reply.form, origin);
      try {
        if (waitingViewId) await client.views.update({ view_id: waitingViewId, view: view as never });
        else if (triggerId) await this.deps.views.open(triggerId, view);
        else await replies.text(origin, reply.form.title);
      } catch (error) {
        await replies.failure(origin, error, { method: waitingViewId ? 'views.update' : 'views.open', command: name });
      }
      return;
    }
    if (waitingViewId) {
      await client.views.update({ view_id: waitingViewId, view: renderNoticeModal(m.slack.modalTitle, reply.text ?? m.slack.done, m.word.close) as never })
        .catch((error: unknown) => this.deps.log.warn({ err: error }, 'could not update the waiting modal'));
    }
    await this.answer(origin, reply);
  }

  /**
   * A submitted modal. Its answers are checked in memory against the form as it was shown (the
   * schema the form derives, read back from the view's blocks): problems go back on the fields in
   * the ack; otherwise the ack closes the modal at once, before any database work, and the commit
   * follows. Its outcome reaches the person as a message: the receipt and card, or why nothing was
   * saved together with everything they entered, so nothing typed is lost.
   */
  private async submission(user: { id: string; name?: string; username?: string }, view: SubmittedView, ack: (response?: object) => Promise<void>): Promise<void> {
    const { app, track } = this.deps;
    const meta = parseMetadata(view.private_metadata);
    if (!meta) {
      await ack();
      return;
    }
    const submitted = readSubmission(view.state);
    const args = { ...meta.a, ...submitted };
    const fields = fieldsOfView(view.blocks);
    const { locale } = meta.o;
    const errors = fieldErrors({ fields, errors: formErrors(fields, args, app.voice(locale).m) });
    if (Object.keys(errors).length > 0) return ack({ response_action: 'errors', errors });
    await ack();
    // The view id names this one form: submitting it twice (double click, retry) acts once. Only
    // the id is kept for the work after the ack, not the view (its blocks and their option lists
    // are tens of kilobytes; a burst keeps hundreds of submissions waiting for their commit).
    const held: HeldSubmission = {
      _id: `slack:view:${view.id}`, user: { id: user.id, ...(user.name ?? user.username ? { name: user.name ?? user.username } : {}) },
      command: meta.c, args, origin: meta.o as HeldSubmission['origin'], entered: enteredLines(fields, submitted), at: new Date(),
    };
    track(async () => {
      // Written first thing after the ack: from here a stopped process's submission is run again.
      // Not written (the database is down): it still runs, and its person is told how it went.
      await this.deps.inbox.hold(held).catch((err: unknown) => this.deps.log.warn({ err, key: held._id }, 'could not hold a submission; running it anyway'));
      await this.runHeld(held, meta);
    });
  }

  /** Runs a held submission, answers its person, and lets it go. */
  private async runHeld(held: HeldSubmission, meta: FormMetadata = { c: held.command, a: held.args as Record<string, string>, o: held.origin as unknown as Origin }): Promise<void> {
    const { app, inbox } = this.deps;
    const actor = this.actor(held.user.id, held.user.name);
    const { locale } = meta.o;
    await inbox.settle(held._id, async () => {
      const reply = await app.run(actor, meta.c, held.args, { submitted: true, key: held._id, ...(locale ? { locale } : {}) });
      if (reply.form || reply.error) await this.answer(meta.o, this.notSaved(reply, held.entered, locale));
      else await this.afterSubmit(meta, reply);
    });
  }

  /**
   * Submissions another process acknowledged and never answered (it stopped): run again, once
   * each (their request keys), and their people answered. One still failing an hour after it was
   * sent is given up: its person is told, with what they entered. Called at start and once a minute.
   */
  replayHeld(olderThanMs: number, giveUpAfterMs?: number): Promise<number> {
    return this.deps.inbox.replay(olderThanMs, { run: (held) => this.runHeld(held), giveUp: (held) => this.giveUp(held) }, this.deps.log, giveUpAfterMs);
  }

  /** Tells the person a held submission was given up, with what they entered; throws if it cannot reach them. */
  private async giveUp(held: HeldSubmission): Promise<void> {
    const origin = held.origin as unknown as Origin;
    const { m } = this.deps.app.voice(origin.locale);
    const lines = [m.notice.formGaveUp, ...(held.entered.length > 0 ? [m.notice.youEntered, ...held.entered] : [])];
    await this.deps.replies.reply(origin, { ephemeral: true, text: lines.join('\n') });
  }

  /** Why a submitted form changed nothing, with what the person entered, ready to paste again. */
  private notSaved(reply: Reply, entered: string[], locale?: Locale): Reply {
    const { m } = this.deps.app.voice(locale);
    const problems = reply.form ? Object.values(reply.form.errors ?? {}).join(' ') : '';
    const lines = [reply.text ?? m.slack.notSaved({ problems: problems || m.slack.done })];
    if (entered.length > 0) lines.push(m.notice.youEntered, ...entered);
    return { ephemeral: true, text: lines.join('\n'), ...(reply.error ? { error: reply.error } : {}) };
  }

  private async afterSubmit(meta: FormMetadata, reply: Reply): Promise<void> {
    await this.answer(meta.o, reply);
    const id = reply.changedIncidentId;
    if (id && meta.c === 'report' && meta.o.message) {
      // The reported message gets a reply in its thread pointing at the incident.
      await this.deps.background.chat
        .postMessage({ channel: meta.o.message.channel, thread_ts: meta.o.message.ts, text: this.deps.app.m.slack.reportedFromMessage({ id }) })
        .catch((error: unknown) => this.deps.replies.failure(meta.o, error, { method: 'chat.postMessage', incidentId: id }));
    }
  }

  /**
   * The person's answer. What the change does to Slack (card, thread, war room, DMs) is in the
   * outbox already and follows from it, retried until it lands (`/incident admin outbox` shows any
   * that cannot).
   */
  private async answer(origin: Origin, reply: Reply): Promise<void> {
    const { replies } = this.deps;
    await replies.reply(origin, reply, reply.card?.rev).catch((error: unknown) => replies.failure(origin, error, { method: 'reply' }));
    const files = filesOf(reply);
    if (files.length > 0) await replies.files(origin, files).catch((error: unknown) => replies.failure(origin, error, { method: 'files.uploadV2' }));
  }

  private modal(form: FormView, origin: Origin): SlackModal {
    const meta: FormMetadata = { c: form.command, a: form.args, o: origin };
    let text = JSON.stringify(meta);
    // private_metadata holds 3000 characters: the response_url is the first thing to give up.
    if (text.length > 3000) text = JSON.stringify({ ...meta, o: { ...origin, responseUrl: undefined } });
    return renderModal(form, text);
  }
}

function parseMetadata(text: string | undefined): FormMetadata | undefined {
  try {
    const meta = JSON.parse(text ?? '') as Partial<FormMetadata>;
    if (typeof meta.c !== 'string' || typeof meta.o?.user !== 'string') return undefined;
    // A language the bot no longer speaks (or a forged one) reads as the person's usual language.
    const o = typeof meta.o.locale === 'string' && isLocale(meta.o.locale) ? meta.o : { ...meta.o, locale: undefined };
    return { c: meta.c, a: meta.a ?? {}, o };
  } catch {
    return undefined;
  }
}

async function withinBudget(running: Promise<Reply>, ms: number): Promise<Viewed> {
  if (!Number.isFinite(ms)) return { done: true, reply: await running };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Viewed>((resolve) => (timer = setTimeout(() => resolve({ done: false }), ms)));
  try {
    return await Promise.race([running.then((reply): Viewed => ({ done: true, reply })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface BlockActionBody {
  user: { id: string; name?: string; username?: string };
  channel?: { id: string };
  container?: { channel_id?: string; type?: string };
  response_url?: string;
  trigger_id: string;
}

interface MessageShortcutBody {
  user: { id: string; name?: string; username?: string };
  channel: { id: string };
  team?: { domain?: string };
  message: { ts: string; text?: string };
  response_url?: string;
  trigger_id: string;
}

interface SubmittedView {
  id: string;
  private_metadata?: string;
  blocks?: SubmittedBlock[];
  state?: { values?: Record<string, Record<string, { value?: string | null; selected_option?: { value?: string } | null }>> };
}
