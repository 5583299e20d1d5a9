import { createSlackAdapter, type SlackAdapter } from '../../../adapters/slack/slack.adapter.js';
import type { PacingOptions } from '../../../adapters/slack/slack.pacer.js';
import type { App } from '../../../src/bot/app.js';
import type { Messenger } from '../../../src/app/platform.js';
import type { ConfigFile } from '../../../src/config/config.schema.js';
import type { TimerScheduler } from '../../../src/jobs/timer.service.js';
import type { Bot } from '../../../src/compose.js';
import { startHttp } from '../../../src/http/server.js';
import { startTestApp, type TestApp } from '../app.js';
import { config as defaultConfig, people } from '../fixtures.js';
import { FakeSlackApi, type ApiCall, type Block } from './fake-slack-api.js';
import {
  blockActionsBody, blockSuggestionBody, messageShortcutBody, sign, slashCommandBody, triggerId, viewSubmissionBody, appHomeOpenedBody,
  type ButtonElement, type SlackUser,
} from './slack-payloads.js';

export const SECRET = 'test-signing-secret-0123456789';
/**
 * The bot's pace per channel unless a test asks for another: the fake Slack limits no channel
 * unless told (`FakeSlackApi.channelLimit`) and these tests move the bot's clock by hand, so a post
 * is never put off for later here (test/slack/slack-pacing.test.ts paces for real).
 */
export const UNHURRIED: Partial<PacingOptions> = { perSecond: 1_000, burst: 100 };
export const CHANNELS = { desk: 'CDESK', stakeholders: 'CSTAKE', management: 'CMGMT', network: 'CNET', general: 'CGENERAL' };
export const NETWORK_USERGROUP = 'SNETWORK';

/** Each configured person's Slack user: chen.jing → UCHENJING. */
export function slackUserOf(personId: string): SlackUser {
  const person = defaultConfig.organisation.people.find((p) => p.id === personId);
  return { id: `U${personId.replace(/\W/g, '').toUpperCase()}`, name: person?.name ?? personId };
}

export const slackUsers = Object.fromEntries(Object.entries(people).map(([k, p]) => [k, slackUserOf(p.id)])) as Record<keyof typeof people, SlackUser>;
export const guest: SlackUser = { id: 'UGUEST', name: 'visitor' };

/** The shipped default configuration with Slack ids for people, channels and the network group. */
export function slackConfig(): ConfigFile {
  const config = structuredClone(defaultConfig);
  for (const person of config.organisation.people) person.slack = slackUserOf(person.id).id;
  config.organisation.channels = {
    serviceDesk: { slack: CHANNELS.desk },
    stakeholders: { slack: CHANNELS.stakeholders },
    management: { slack: CHANNELS.management },
  };
  const network = config.organisation.groups.find((g) => g.id === 'network');
  if (network) network.slack = { channel: CHANNELS.network, usergroup: NETWORK_USERGROUP };
  return config;
}

export interface Posted {
  status: number;
  body: string;
  triggerId: string;
  responseUrl: string;
}

export interface MessageView {
  channel: string;
  ts?: string;
  blocks: Block[];
  responseUrl?: string;
  ephemeral?: boolean;
  home?: boolean;
}

export interface ModalView {
  id: string;
  callback_id: string;
  private_metadata: string;
  blocks: Block[];
  title?: unknown;
}

let counter = 0;

/**
 * Talks to a bot the way Slack does, at any URL: signed requests to POST /slack/events, and what the
 * bot did read back from the fake Web API. SlackBot is one in this process; the chaos test drives a
 * bot in a child process with it.
 */
export class SlackDriver {
  constructor(
    readonly api: FakeSlackApi,
    readonly url: string,
  ) {}

  /** POSTs a body to /slack/events, signed unless told otherwise. */
  async post(body: string, options: { json?: boolean; timestamp?: number; secret?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; body: string }> {
    const headers = {
      'content-type': options.json ? 'application/json' : 'application/x-www-form-urlencoded',
      ...sign(body, options.secret ?? SECRET, options.timestamp),
      ...options.headers,
    };
    const res = await fetch(`${this.url}/slack/events`, { method: 'POST', headers, body });
    return { status: res.status, body: await res.text() };
  }

  async slash(user: SlackUser, text: string, channel = CHANNELS.desk): Promise<Posted> {
    const trigger = triggerId();
    const responseUrl = this.api.responseUrl(`cmd${++counter}`);
    const res = await this.post(slashCommandBody({ user, text, channel, responseUrl, triggerId: trigger }));
    return { ...res, triggerId: trigger, responseUrl };
  }

  async shortcutMessage(user: SlackUser, channel: string, message: { ts: string; text: string; user: string }): Promise<Posted> {
    const trigger = triggerId();
    const responseUrl = this.api.responseUrl(`sc${++counter}`);
    const res = await this.post(messageShortcutBody({ user, channel, message, triggerId: trigger, responseUrl }));
    return { ...res, triggerId: trigger, responseUrl };
  }

  async homeOpened(user: SlackUser, eventId: string): Promise<{ status: number; body: string }> {
    return this.post(appHomeOpenedBody({ user: user.id, eventId }), { json: true });
  }

  /** Presses the button with this visible label on a message (as the bot rendered it). */
  async click(user: SlackUser, message: MessageView, label: string): Promise<Posted> {
    const found = findButton(message.blocks, label);
    if (!found) throw new Error(`no button "${label}" on the message; buttons: ${buttonLabels(message.blocks).join(', ')}`);
    const trigger = triggerId();
    const responseUrl = message.home ? undefined : (message.responseUrl ?? this.api.responseUrl(`btn${++counter}`));
    const res = await this.post(blockActionsBody({
      user, button: found.button, blockId: found.blockId, triggerId: trigger, responseUrl,
      channel: message.channel, messageTs: message.ts, ephemeral: message.ephemeral, home: message.home,
    }));
    return { ...res, triggerId: trigger, responseUrl: responseUrl ?? '' };
  }

  /** The modal opened for a trigger (after any "Working on it…" step), as the bot last rendered it. */
  async modalFor(trigger: string): Promise<ModalView> {
    const opened = await this.api.waitFor('views.open', (c) => c.params.trigger_id === trigger);
    const id = String((opened.response?.view as { id?: string } | undefined)?.id);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const updated = this.api.callsOf('views.update').filter((c) => c.params.view_id === id).at(-1);
      const view = (updated ?? opened).params.view as ModalView;
      if (view.callback_id === 'incident_form' || Date.now() > deadline) return { ...view, id };
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Fills a modal by visible field labels (select options by label or value) and submits it. */
  async submit(user: SlackUser, view: ModalView, answers: Record<string, string>): Promise<{ status: number; body: string; json?: Record<string, unknown> }> {
    const res = await this.post(this.submissionBody(user, view, answers));
    let json: Record<string, unknown> | undefined;
    try {
      json = res.body ? (JSON.parse(res.body) as Record<string, unknown>) : undefined;
    } catch {
      json = undefined;
    }
    return { ...res, json };
  }

  /** The body Slack would post for this modal submitted with these answers (by field label or block id), unsigned. */
  submissionBody(user: SlackUser, view: ModalView, answers: Record<string, string>): string {
    return viewSubmissionBody({ user, view, values: stateValues(view, answers), triggerId: triggerId() });
  }

  /**
   * Types `value` into a modal's external_select (or opens it: ''): the options the bot answers
   * with. `answers`: what the modal holds meanwhile, as Slack sends its state along.
   */
  async suggest(user: SlackUser, view: ModalView, actionId: string, value: string, answers: Record<string, string> = {}): Promise<{ text: { text: string }; value: string }[]> {
    const res = await this.post(blockSuggestionBody({ user, view, actionId, value, values: stateValues(view, answers) }));
    return (JSON.parse(res.body || '{}') as { options?: { text: { text: string }; value: string }[] }).options ?? [];
  }

  /** The service-desk card of an incident as it stands now. */
  card(incidentId: string): MessageView & { text: string } {
    const message = this.api.messages(CHANNELS.desk).find((m) => m.blocks.some((b) => b.block_id === `card:${incidentId}`));
    if (!message) throw new Error(`no card for ${incidentId} in the service-desk channel`);
    return { ...message };
  }

  /** Posts made to a response_url (the person's ephemeral answers). */
  responses(responseUrl: string): ApiCall[] {
    const path = new URL(responseUrl).pathname;
    return this.api.callsOf('response_url').filter((c) => c.params.url === path);
  }

  /** The last ephemeral answer to a request, as a clickable message. */
  lastResponse(posted: Posted, channel = CHANNELS.desk): MessageView & { text: string } {
    const call = this.responses(posted.responseUrl).at(-1);
    if (!call) throw new Error('no answer was posted to the response_url');
    return { channel, blocks: (call.params.blocks as Block[]) ?? [], text: String(call.params.text ?? ''), responseUrl: posted.responseUrl, ephemeral: true };
  }
}

/**
 * The real bot (the composition root's wiring: core + Slack adapter in HTTP mode on the bot's own
 * HTTP server + outbox delivery) against the fake Web API, driven the way Slack drives it: signed
 * requests to POST /slack/events.
 */
export class SlackBot extends SlackDriver {
  private constructor(
    api: FakeSlackApi,
    readonly testApp: TestApp,
    readonly bot: Bot,
    url: string,
    private readonly closeHttp: () => Promise<void>,
    private readonly owned: boolean,
  ) {
    super(api, url);
  }

  get app(): App {
    return this.bot.app;
  }

  get adapter(): SlackAdapter {
    return this.bot.adapters[0] as SlackAdapter;
  }

  get messengers(): Messenger[] {
    return this.bot.app.messengers;
  }

  static async start(config: ConfigFile = slackConfig(), options: { scheduler?: () => TimerScheduler; pacing?: Partial<PacingOptions> } = {}): Promise<SlackBot> {
    const api = new FakeSlackApi();
    await api.start();
    const env = { SLACK_BOT_TOKEN: 'xoxb-test-token', SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: api.apiUrl };
    const pacing = options.pacing ?? UNHURRIED;
    const testApp = await startTestApp(config, { scheduler: options.scheduler, adapters: [(host) => createSlackAdapter(host, { pacing })], env });
    return SlackBot.attach(api, testApp, testApp.bot, true);
  }

  /** A second bot process on the same database and the same Slack (behind one load balancer). */
  async peer(): Promise<SlackBot> {
    return SlackBot.attach(this.api, this.testApp, await this.testApp.peerBot(), false);
  }

  private static async attach(api: FakeSlackApi, testApp: TestApp, bot: Bot, owned: boolean): Promise<SlackBot> {
    const http = await startHttp({ port: 0, ready: async () => true, metrics: async () => '', routes: bot.routes });
    for (const adapter of bot.adapters) await adapter.start();
    return new SlackBot(api, testApp, bot, `http://127.0.0.1:${http.port}`, http.close, owned);
  }

  async close(): Promise<void> {
    await this.bot.settle();
    await this.bot.stop();
    await this.closeHttp();
    if (this.owned) {
      await this.testApp.close();
      await this.api.stop();
    }
  }

  /** Every request answered and everything the outbox holds for now delivered (cards, threads, DMs). */
  idle(): Promise<void> {
    return this.bot.settle();
  }

  /** Delivery passes, as the running bot makes every half second, until nothing due is left. */
  async deliverOutbox(): Promise<void> {
    await this.bot.settle();
  }

}

export function findButton(blocks: Block[], label: string): { button: ButtonElement; blockId: string } | undefined {
  for (const block of blocks) {
    const elements = block.type === 'actions' ? (block.elements as ButtonElement[]) : block.accessory ? [block.accessory as ButtonElement] : [];
    const button = elements.find((e) => e.type === 'button' && e.text.text === label);
    if (button) return { button, blockId: String(block.block_id ?? '') };
  }
  return undefined;
}

export function buttonLabels(blocks: Block[]): string[] {
  return blocks.flatMap((b) => (b.type === 'actions' ? (b.elements as ButtonElement[]).map((e) => e.text.text) : []));
}

/** Everything visible in blocks, as one string (for assertions on what people read). */
export function visibleText(blocks: Block[]): string {
  return JSON.stringify(blocks);
}

export { people };

/** A modal's state as Slack sends it, with these answers (by field label or block id) in it. */
function stateValues(view: ModalView, answers: Record<string, string>): Record<string, Record<string, unknown>> {
  const values: Record<string, Record<string, unknown>> = {};
  for (const block of view.blocks.filter((b) => b.type === 'input')) {
    const label = (block.label as { text: string }).text;
    const element = block.element as { type: string; action_id: string; options?: { text: { text: string }; value: string }[]; initial_value?: string; initial_option?: unknown };
    const answer = answers[label] ?? answers[String(block.block_id)];
    let value: Record<string, unknown>;
    if (element.type === 'external_select') {
      // Chosen from the options the bot loaded (suggest): Slack sends the option picked.
      value = { type: 'external_select', selected_option: answer === undefined ? (element.initial_option ?? null) : { text: { type: 'plain_text', text: answer }, value: answer } };
    } else if (element.type === 'static_select') {
      const option = answer === undefined ? element.initial_option : element.options?.find((o) => o.text.text === answer || o.value === answer);
      if (answer !== undefined && !option) throw new Error(`no option "${answer}" in ${label}`);
      value = { type: 'static_select', selected_option: option ?? null };
    } else {
      value = { type: element.type, value: answer ?? element.initial_value ?? null };
    }
    values[String(block.block_id)] = { [element.action_id]: value };
  }
  return values;
}
