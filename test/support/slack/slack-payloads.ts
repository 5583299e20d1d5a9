import { createHmac, randomBytes } from 'node:crypto';

/**
 * Request bodies exactly as Slack sends them: slash commands as form fields, interactions as a form
 * field `payload` holding JSON, events as JSON; each signed with the app's signing secret.
 */
export const TEAM = { id: 'T0001', domain: 'acme' };
export const APP_ID = 'A0INCIDENT';

export interface SlackUser {
  id: string;
  name: string;
}

export function sign(body: string, secret: string, timestamp = Math.floor(Date.now() / 1000)): Record<string, string> {
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return { 'x-slack-signature': signature, 'x-slack-request-timestamp': String(timestamp) };
}

export function triggerId(): string {
  return `${Date.now()}.${randomBytes(4).readUInt32BE()}.${randomBytes(8).toString('hex')}`;
}

export function slashCommandBody(options: { user: SlackUser; text: string; channel: string; responseUrl: string; triggerId: string; command?: string }): string {
  return new URLSearchParams({
    token: 'verification-token-unused',
    team_id: TEAM.id,
    team_domain: TEAM.domain,
    channel_id: options.channel,
    channel_name: 'service-desk',
    user_id: options.user.id,
    user_name: options.user.name,
    command: options.command ?? '/incident',
    text: options.text,
    api_app_id: APP_ID,
    is_enterprise_install: 'false',
    response_url: options.responseUrl,
    trigger_id: options.triggerId,
  }).toString();
}

export interface ButtonElement {
  type: 'button';
  action_id: string;
  text: { type: 'plain_text'; text: string };
  value?: string;
  style?: string;
}

export function blockActionsBody(options: {
  user: SlackUser;
  button: ButtonElement;
  blockId: string;
  triggerId: string;
  responseUrl?: string;
  channel?: string;
  messageTs?: string;
  ephemeral?: boolean;
  home?: boolean;
}): string {
  const container = options.home
    ? { type: 'view', view_id: 'VHOME' }
    : { type: 'message', message_ts: options.messageTs ?? '1.000001', channel_id: options.channel, is_ephemeral: Boolean(options.ephemeral) };
  const payload = {
    type: 'block_actions',
    user: { id: options.user.id, username: options.user.name, name: options.user.name, team_id: TEAM.id },
    api_app_id: APP_ID,
    token: 'verification-token-unused',
    container,
    trigger_id: options.triggerId,
    team: TEAM,
    enterprise: null,
    is_enterprise_install: false,
    ...(options.home ? { view: { id: 'VHOME', type: 'home' } } : { channel: { id: options.channel, name: 'service-desk' } }),
    ...(options.ephemeral || options.home ? {} : { message: { type: 'message', ts: options.messageTs, bot_id: 'BBOT' } }),
    state: { values: {} },
    ...(options.responseUrl ? { response_url: options.responseUrl } : {}),
    actions: [{ ...options.button, block_id: options.blockId, action_ts: `${Date.now() / 1000}` }],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export function viewSubmissionBody(options: {
  user: SlackUser;
  view: { id: string; callback_id: string; private_metadata: string; blocks: unknown[]; title?: unknown };
  values: Record<string, Record<string, unknown>>;
  triggerId: string;
}): string {
  const payload = {
    type: 'view_submission',
    team: TEAM,
    user: { id: options.user.id, username: options.user.name, name: options.user.name, team_id: TEAM.id },
    api_app_id: APP_ID,
    token: 'verification-token-unused',
    trigger_id: options.triggerId,
    view: {
      id: options.view.id,
      team_id: TEAM.id,
      type: 'modal',
      blocks: options.view.blocks,
      private_metadata: options.view.private_metadata,
      callback_id: options.view.callback_id,
      state: { values: options.values },
      hash: `${Date.now()}.abc`,
      title: options.view.title,
      root_view_id: options.view.id,
      app_id: APP_ID,
      bot_id: 'BBOT',
      previous_view_id: null,
    },
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** What Slack posts while someone types into an external_select: the bot answers with the options. */
export function blockSuggestionBody(options: { user: SlackUser; view: { id: string; callback_id: string; private_metadata: string }; actionId: string; value: string; values?: Record<string, Record<string, unknown>> }): string {
  const payload = {
    type: 'block_suggestion',
    user: { id: options.user.id, username: options.user.name, name: options.user.name, team_id: TEAM.id },
    container: { type: 'view', view_id: options.view.id },
    api_app_id: APP_ID,
    token: 'verification-token-unused',
    action_id: options.actionId,
    block_id: options.actionId,
    value: options.value,
    team: TEAM,
    view: { id: options.view.id, type: 'modal', callback_id: options.view.callback_id, private_metadata: options.view.private_metadata, app_id: APP_ID, state: { values: options.values ?? {} } },
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export function messageShortcutBody(options: { user: SlackUser; channel: string; message: { ts: string; text: string; user: string }; triggerId: string; responseUrl: string; callbackId?: string }): string {
  const payload = {
    type: 'message_action',
    token: 'verification-token-unused',
    action_ts: `${Date.now() / 1000}`,
    team: TEAM,
    user: { id: options.user.id, username: options.user.name, name: options.user.name, team_id: TEAM.id },
    channel: { id: options.channel, name: 'general' },
    is_enterprise_install: false,
    enterprise: null,
    callback_id: options.callbackId ?? 'report_as_incident',
    trigger_id: options.triggerId,
    response_url: options.responseUrl,
    message_ts: options.message.ts,
    message: { type: 'message', user: options.message.user, ts: options.message.ts, text: options.message.text },
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export function appHomeOpenedBody(options: { user: string; eventId: string }): string {
  return JSON.stringify({
    token: 'verification-token-unused',
    team_id: TEAM.id,
    api_app_id: APP_ID,
    event: { type: 'app_home_opened', user: options.user, channel: 'DHOME', tab: 'home', event_ts: `${Date.now() / 1000}` },
    type: 'event_callback',
    event_id: options.eventId,
    event_time: Math.floor(Date.now() / 1000),
  });
}
