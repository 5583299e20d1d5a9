import { reviewPdf } from '../../src/app/review-pdf.js';
import { planText } from '../../src/app/plan-text.js';
import type { webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import type { Incident, IncidentEvent } from '../../src/domain/incident.js';
import { getsReview, isMajor } from '../../src/domain/major.js';
import { PacedDelivery } from '../../src/outbox/paced.js';
import { eachPart, forStakeholders, type Surface, type SurfaceSteps } from '../../src/outbox/surface.js';
import type { RefFields, SurfaceRef } from '../../src/outbox/surface.store.js';
import type { Presenter } from '../../src/app/presenter.js';
import type { Catalog } from '../../src/i18n/index.js';
import type { Clock } from '../../src/app/clock.js';
import { slackErrorCode } from './slack.clients.js';
import type { SlackDirectory } from './slack.directory.js';
import { toDeliveryError } from './slack.messenger.js';
import type { ChannelPacer } from './slack.pacer.js';
import { findPosted, withKey } from './slack.posts.js';
import { renderCard, renderReply, type SlackMessage } from './slack.renderer.js';
import { safeMrkdwn } from './slack.text.js';

const MAX_NAME = 80;
const NAME_ATTEMPTS = 5;
/** Answers that mean "already so" rather than failure. */
const HARMLESS = new Set(['already_in_channel', 'cant_invite_self', 'already_pinned', 'already_archived']);
/** After these events the recovery team may have changed: invite again. */
const TEAM_CHANGES = new Set(['report', 'dispatch', 'redispatch', 'accept', 'declare-major', 'change-priority', 'classify']);

export interface SlackSurfaceDeps {
  client: webApi.WebClient;
  /** Every chat.postMessage goes through it (shared with the messenger: one pace per channel). */
  pacer: ChannelPacer;
  dir: SlackDirectory;
  presenter: Presenter;
  m: Catalog;
  clock: Clock;
  majorPriority: Incident['priority'];
  log: Logger;
}

/** `inc-000123-printer-on-fire`: lowercase letters, digits and "-", at most 80 (Slack's channel rules). */
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
 * How an incident looks in Slack (run from the outbox, one incident at a time): the card in the
 * service-desk channel (posted once, then `chat.update`), one stakeholder thread with a line per
 * event, and for a major incident the war room (created once, the team invited, the summary
 * pinned; archived with a closing summary when the incident closes). Every post carries its key
 * in Slack message metadata, so a post a killed process made is found instead of made twice.
 */
export class SlackSurface implements Surface {
  readonly platform = 'slack';

  constructor(private readonly deps: SlackSurfaceDeps) {}

  notPosted(error: unknown): boolean {
    if (error instanceof PacedDelivery) return true;
    const code = slackErrorCode(error);
    return !code.startsWith('http 5') && code !== 'unreachable' && !/timeout|socket|ECONN/i.test(code);
  }

  async apply(incident: Incident, events: IncidentEvent[], steps: SurfaceSteps): Promise<void> {
    let room: SurfaceRef | undefined;
    let management: SurfaceRef | undefined;
    await eachPart([
      async () => {
        if (this.isMajor(incident)) room = await this.warRoom(incident, events, steps);
      },
      () => this.thread(incident, events, steps, room),
      () => this.card(incident, steps, room),
      async () => {
        if (this.isMajor(incident)) management = await this.managementLine(incident, steps);
      },
      async () => {
        if (room?.channel && !room.archived) await this.pinnedPlan(incident, steps, room.channel);
      },
      () => this.reviewFile(events, steps, room, management),
      async () => {
        if (room?.channel && !room.archived && incident.status === 'closed') await this.closeRoom(incident, steps, room);
      },
    ]).catch((error: unknown) => {
      throw toDeliveryError(error);
    });
  }

  private isMajor(incident: Incident): boolean {
    return isMajor(incident, this.deps);
  }

  /** The shared card: posted once, then updated in place to the latest revision. */
  private async card(incident: Incident, steps: SurfaceSteps, room?: SurfaceRef): Promise<void> {
    const channel = this.deps.dir.channel('serviceDesk');
    if (!channel) return;
    const key = `card:${incident.id}`;
    const message = () => this.cardMessage(incident, room);
    const ref = await steps.once(key, () => this.post(channel, key, message()).then((p) => ({ ...p, rev: incident.rev })), () => this.find(channel, key));
    if (!ref.channel || !ref.message || (ref.rev ?? 0) >= incident.rev) return;
    await this.deps.client.chat.update({ channel: ref.channel, ts: ref.message, ...message() });
    await steps.set(key, { rev: incident.rev });
  }

  private cardMessage(incident: Incident, room?: SurfaceRef): SlackMessage {
    const { presenter, clock, m } = this.deps;
    const context = room?.channel ? [m.slack.warRoomLink({ channel: `<#${room.channel}>` })] : [];
    return renderReply({ ephemeral: false, card: presenter.card(incident, clock.now()) }, { rev: incident.rev, context });
  }

  /** One parent message per incident in the stakeholder channel; each event a reply in its thread, once. */
  private async thread(incident: Incident, events: IncidentEvent[], steps: SurfaceSteps, room?: SurfaceRef): Promise<void> {
    const channel = this.deps.dir.channel('stakeholders');
    if (!channel) return;
    const { m, presenter } = this.deps;
    const key = `thread:${incident.id}`;
    const parent = await steps.once(
      key,
      () => {
        const text = m.slack.threadParent({ id: incident.id, priority: incident.priority, title: incident.title });
        return this.post(channel, key, this.withCard(text, incident));
      },
      () => this.find(channel, key),
    );
    if (!parent.channel || !parent.message) return;
    const threadTs = parent.message;
    const line = (lineKey: string, text: string) =>
      steps.once(lineKey, () => this.post(parent.channel!, lineKey, { text, blocks: [] }, threadTs), () => this.find(parent.channel!, lineKey, threadTs));
    for (const event of events) {
      if (event.action === 'report' || !forStakeholders(event)) continue;
      await line(`line:${incident.id}:${event.seq}`, safeMrkdwn(presenter.timelineLine(event)));
    }
    if (room?.channel) await line(`line:${incident.id}:warroom`, m.slack.warRoomLink({ channel: `<#${room.channel}>` }));
  }

  /**
   * A major incident's management line (SPEC §12): one parent in the management channel, opened
   * once; the summaries and leadership updates go into its thread (the messenger waits for it).
   */
  private async managementLine(incident: Incident, steps: SurfaceSteps): Promise<SurfaceRef | undefined> {
    const channel = this.deps.dir.channel('management');
    if (!channel) return undefined;
    const key = `mthread:${incident.id}`;
    return steps.once(
      key,
      () => this.post(channel, key, this.withCard(this.deps.m.slack.managementParent({ id: incident.id, priority: incident.priority, title: incident.title }), incident)),
      () => this.find(channel, key),
    );
  }

  /** The recovery plan, pinned in the war room and edited in place at each new version. */
  private async pinnedPlan(incident: Incident, steps: SurfaceSteps, channel: string): Promise<void> {
    const plan = incident.plan;
    if (!plan) return;
    const { client } = this.deps;
    const key = `warroom-plan:${incident.id}`;
    const message = (): SlackMessage => {
      const text = safeMrkdwn(planText(incident, plan, this.deps.m, this.deps.presenter));
      return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 2900) } }] };
    };
    const ref = await steps.once(
      key,
      async () => {
        const posted = await this.post(channel, key, message());
        await this.harmless(() => client.pins.add({ channel, timestamp: posted.message! }));
        return { ...posted, rev: plan.version };
      },
      () => this.find(channel, key),
    );
    if (!ref.channel || !ref.message || (ref.rev ?? 0) >= plan.version) return;
    await client.chat.update({ channel: ref.channel, ts: ref.message, ...message() });
    await steps.set(key, { rev: plan.version });
  }

  /** The post-incident review, as a file in the war room (before it is archived) and in the management line. */
  private async reviewFile(events: IncidentEvent[], steps: SurfaceSteps, room?: SurfaceRef, management?: SurfaceRef): Promise<void> {
    const written = events.find((e) => e.action === 'review-doc');
    if (!written || typeof written.data.markdown !== 'string') return;
    const name = String(written.data.name ?? `${written.incidentId}-post-incident-review.md`);
    const files: { file: Buffer; filename: string; title: string }[] = [{ file: Buffer.from(written.data.markdown, 'utf8'), filename: name, title: name }];
    const pdf = await reviewPdf(written.data.markdown);
    if (pdf) files.push({ file: pdf, filename: name.replace(/\.md$/, '.pdf'), title: name.replace(/\.md$/, '.pdf') });
    const upload = async (key: string, channel: string, threadTs?: string) => {
      await steps.once(key, async () => {
        await (threadTs ? this.deps.client.filesUploadV2({ channel_id: channel, thread_ts: threadTs, file_uploads: files }) : this.deps.client.filesUploadV2({ channel_id: channel, file_uploads: files }));
        return { channel };
      });
    };
    if (room?.channel && !room.archived) await upload(`review-file:${written.incidentId}:warroom`, room.channel);
    if (management?.channel && management.message) await upload(`review-file:${written.incidentId}:management`, management.channel, management.message);
  }

  /** Opens the war room once; invites the current team when it may have changed; pins the summary once. */
  private async warRoom(incident: Incident, events: IncidentEvent[], steps: SurfaceSteps): Promise<SurfaceRef> {
    const { client, m } = this.deps;
    const key = `warroom:${incident.id}`;
    let created = false;
    const room = await steps.once(
      key,
      async () => {
        created = true;
        return this.createRoom(incident);
      },
      () => this.findRoom(incident),
    );
    if (!room.channel || room.archived) return room;
    if (incident.status !== 'closed' && (created || events.some((e) => TEAM_CHANGES.has(e.action)))) await this.invite(room.channel, incident);
    const introKey = `warroom-intro:${incident.id}`;
    await steps.once(
      introKey,
      async () => {
        const intro = m.slack.warRoomOpened({ id: incident.id, priority: incident.priority });
        const posted = await this.post(room.channel!, introKey, this.withCard(intro, incident));
        await this.harmless(() => client.pins.add({ channel: room.channel!, timestamp: posted.message! }));
        return posted;
      },
      async () => {
        const found = await this.find(room.channel!, introKey);
        if (found?.message) await this.harmless(() => client.pins.add({ channel: room.channel!, timestamp: found.message! }));
        return found;
      },
    );
    return room;
  }

  /** The closing summary, once; then the archive (already archived is fine). */
  private async closeRoom(incident: Incident, steps: SurfaceSteps, room: SurfaceRef): Promise<void> {
    const { client, m } = this.deps;
    const channel = room.channel!;
    // The post-incident review is written just after the close: the room stays open until it is posted.
    if (getsReview(incident, this.deps) && !(await steps.get(`review-file:${incident.id}:warroom`))) return;
    const key = `warroom-close:${incident.id}`;
    await steps.once(
      key,
      () => {
        const text = m.slack.warRoomClosed({ id: incident.id, code: incident.closureCode ?? incident.resolutionCode ?? incident.status });
        return this.post(channel, key, this.withCard(text, incident));
      },
      () => this.find(channel, key),
    );
    await this.harmless(() => client.conversations.archive({ channel }));
    await steps.set(`warroom:${incident.id}`, { archived: true });
  }

  /** Creates the channel; a name taken by someone else gets "-2", "-3", … */
  private async createRoom(incident: Incident): Promise<RefFields> {
    for (let attempt = 1; attempt <= NAME_ATTEMPTS; attempt++) {
      const name = warRoomName(incident.id, incident.title, attempt === 1 ? '' : `-${attempt}`);
      try {
        // Private: the recovery team and the managers it invites (SPEC §12; groups:write).
        const result = await this.deps.client.conversations.create({ name, is_private: true });
        const id = result.channel?.id;
        if (!id) throw new Error('conversations.create returned no channel id');
        return { channel: id, name: result.channel?.name ?? name };
      } catch (error) {
        if (slackErrorCode(error) !== 'name_taken' || attempt === NAME_ATTEMPTS) throw error;
        this.deps.log.info({ name, incidentId: incident.id }, 'war-room name taken; trying another');
      }
    }
    throw new Error('unreachable');
  }

  /** A room an earlier attempt created before it stopped: a channel named after the incident. */
  private async findRoom(incident: Incident): Promise<RefFields | undefined> {
    const prefix = warRoomName(incident.id, incident.title);
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const result = await this.deps.client.conversations.list({ limit: 1000, exclude_archived: false, types: 'public_channel,private_channel', ...(cursor ? { cursor } : {}) });
      const found = result.channels?.find((c) => c.name === prefix || c.name?.startsWith(`${prefix}-`));
      if (found?.id) return { channel: found.id, name: found.name ?? prefix };
      cursor = result.response_metadata?.next_cursor || undefined;
      if (!cursor) return undefined;
    }
    return undefined;
  }

  private async invite(channel: string, incident: Incident): Promise<void> {
    const users = this.deps.dir.recoveryTeam(incident);
    if (users.length > 0) await this.harmless(() => this.deps.client.conversations.invite({ channel, users: users.join(','), force: true }));
  }

  /** A sentence over the incident's card without buttons (thread parent, war-room summary and close). */
  private withCard(sentence: string, incident: Incident): SlackMessage {
    const text = safeMrkdwn(sentence);
    const card = renderCard(this.deps.presenter.card(incident, this.deps.clock.now()), { noButtons: true });
    return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }, ...card] };
  }

  /** One post in the channel's pace (PacedDelivery when its turn is far off: the entry waits in the outbox). */
  private async post(channel: string, key: string, message: SlackMessage, threadTs?: string): Promise<RefFields> {
    const { client, pacer } = this.deps;
    const posted = await pacer.post({ channel, key }, () => client.chat.postMessage({ channel, ...withKey(message, key), ...(threadTs ? { thread_ts: threadTs } : {}) }));
    return { channel: posted.channel ?? channel, message: posted.ts };
  }

  private async find(channel: string, key: string, threadTs?: string): Promise<RefFields | undefined> {
    const ts = await findPosted(this.deps.client, channel, key, threadTs);
    return ts ? { channel, message: ts } : undefined;
  }

  private async harmless(call: () => Promise<unknown>): Promise<void> {
    try {
      await call();
    } catch (error) {
      if (!HARMLESS.has(slackErrorCode(error))) throw error;
    }
  }
}
