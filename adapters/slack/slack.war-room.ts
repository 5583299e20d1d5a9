import type { webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import type { App } from '../../src/app/app.js';
import type { Incident, IncidentEvent } from '../../src/domain/incident.js';
import { slackErrorCode } from './slack.clients.js';
import type { SlackDirectory } from './slack.directory.js';
import { refKey, type SlackRef, type SlackRefs } from './slack.refs.js';
import { renderCard } from './slack.renderer.js';
import { safeMrkdwn } from './slack.text.js';

const MAX_NAME = 80;
const NAME_ATTEMPTS = 5;
/** Invite errors that mean "nothing to do" rather than failure. */
const HARMLESS_INVITE = new Set(['already_in_channel', 'cant_invite_self']);

/** `inc-000123-printer-on-fire`: lowercase letters, digits and "-", at most 80 (Slack's channel rules). */
/** A war-room claim with no channel after this long was left by a crashed process; another may take it over. */
export const STALE_CLAIM_MS = 2 * 60_000;

export function warRoomName(incidentId: string, title: string, suffix = ''): string {
  const base = incidentId.toLowerCase();
  const slug = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  const room = MAX_NAME - base.length - suffix.length - 1;
  const cut = slug.slice(0, room).replace(/-+$/, '');
  return `${base}${cut ? `-${cut}` : ''}${suffix}`;
}

/**
 * The major-incident war room (SPEC §12): a channel for the recovery team, invited, with the summary
 * posted and pinned; archived with a closing summary when the incident closes. The channel id is
 * stored before anyone is invited, so a retry never creates a second channel.
 */
export class WarRooms {
  constructor(
    private readonly app: App,
    private readonly client: webApi.WebClient,
    private readonly refs: SlackRefs,
    private readonly dir: SlackDirectory,
    private readonly log: Logger,
  ) {}

  get(incidentId: string): Promise<SlackRef | undefined> {
    return this.refs.get(refKey.warRoom(incidentId));
  }

  /** Opens the war room once; later calls (re)invite the current team. Returns the channel id. */
  async ensure(incident: Incident): Promise<string | undefined> {
    const key = refKey.warRoom(incident.id);
    const ours = (await this.refs.claim(key, incident.id)) || (await this.refs.takeOverStale(key, incident.id, 'channel', STALE_CLAIM_MS));
    if (!ours) {
      const existing = await this.refs.waitFor(key, 'channel');
      if (existing?.channel && !existing.archived) await this.invite(existing.channel, incident);
      return existing?.channel;
    }
    let channel: { id: string; name: string };
    try {
      channel = await this.create(incident);
      await this.refs.set(key, { channel: channel.id, name: channel.name });
    } catch (error) {
      await this.refs.release(key);
      throw error;
    }
    await this.invite(channel.id, incident);
    const { m, presenter } = this.app;
    const intro = m.slack.warRoomOpened({ id: incident.id, priority: incident.priority });
    const posted = await this.client.chat.postMessage({
      channel: channel.id,
      text: safeMrkdwn(intro),
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: safeMrkdwn(intro) } }, ...renderCard(presenter.card(incident, this.app.clock.now()), { noButtons: true })],
    });
    if (posted.ts) {
      await this.refs.set(key, { ts: posted.ts });
      await this.client.pins.add({ channel: channel.id, timestamp: posted.ts });
    }
    return channel.id;
  }

  /** Posts the closing summary and archives the room (once per closing event). */
  async close(incident: Incident, event: IncidentEvent): Promise<void> {
    const ref = await this.get(incident.id);
    if (!ref?.channel || ref.archived) return;
    if (!(await this.refs.claim(refKey.sent(incident.id, event.seq, 'warroom-close'), incident.id))) return;
    const { m, presenter } = this.app;
    const code = incident.closureCode ?? incident.resolutionCode ?? event.action;
    const text = m.slack.warRoomClosed({ id: incident.id, code });
    await this.client.chat.postMessage({
      channel: ref.channel,
      text: safeMrkdwn(text),
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: safeMrkdwn(text) } }, ...renderCard(presenter.card(incident, this.app.clock.now()), { noButtons: true })],
    });
    try {
      await this.client.conversations.archive({ channel: ref.channel });
    } catch (error) {
      if (slackErrorCode(error) !== 'already_archived') throw error;
    }
    await this.refs.set(refKey.warRoom(incident.id), { archived: true });
  }

  /** Creates the channel; a taken name gets "-2", "-3", … */
  private async create(incident: Incident): Promise<{ id: string; name: string }> {
    for (let attempt = 1; attempt <= NAME_ATTEMPTS; attempt++) {
      const name = warRoomName(incident.id, incident.title, attempt === 1 ? '' : `-${attempt}`);
      try {
        const result = await this.client.conversations.create({ name, is_private: false });
        const id = result.channel?.id;
        if (!id) throw new Error('conversations.create returned no channel id');
        return { id, name: result.channel?.name ?? name };
      } catch (error) {
        if (slackErrorCode(error) !== 'name_taken' || attempt === NAME_ATTEMPTS) throw error;
        this.log.info({ name, incidentId: incident.id }, 'war-room name taken; trying another');
      }
    }
    throw new Error('unreachable');
  }

  private async invite(channel: string, incident: Incident): Promise<void> {
    const users = this.dir.recoveryTeam(incident);
    if (users.length === 0) return;
    try {
      await this.client.conversations.invite({ channel, users: users.join(','), force: true });
    } catch (error) {
      if (!HARMLESS_INVITE.has(slackErrorCode(error))) throw error;
    }
  }
}
