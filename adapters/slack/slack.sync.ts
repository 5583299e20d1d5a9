import { randomUUID } from 'node:crypto';
import type { webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import type { App } from '../../src/app/app.js';
import type { CommittedChange } from '../../src/app/incident-service.js';
import type { Incident, IncidentEvent } from '../../src/domain/incident.js';
import { slackErrorCode } from './slack.clients.js';
import type { SlackDirectory } from './slack.directory.js';
import { refKey, type SlackRefs } from './slack.refs.js';
import { renderReply, type CardOptions } from './slack.renderer.js';
import { safeMrkdwn } from './slack.text.js';
import type { WarRooms } from './slack.war-room.js';

export interface SyncFailure {
  incidentId: string;
  step: string;
  error: string;
  ref: string;
}

const CLOSING = new Set(['close', 'withdraw']);
const DISPATCHING = new Set(['dispatch', 'redispatch']);
const MAX_KEPT_FAILURES = 50;

/**
 * Keeps Slack in step with the core after every committed change: the service-desk card (posted
 * once, then `chat.update`), the stakeholder thread, Accept/Reject for the assignee, Confirm/Reopen
 * for the reporter, and the war room. Runs behind the request on its own client, one queue per
 * incident so updates land in order; each side message is claimed by a unique key first, so retries
 * and other processes never post it twice.
 */
export class SlackSync {
  private readonly chains = new Map<string, Promise<void>>();
  private readonly failures: SyncFailure[] = [];

  constructor(
    private readonly app: App,
    private readonly client: webApi.WebClient,
    private readonly refs: SlackRefs,
    private readonly dir: SlackDirectory,
    private readonly warRooms: WarRooms,
    private readonly log: Logger,
  ) {}

  /** The core's change listener: queues the work and returns at once (the person's answer does not wait). */
  onChange = async (change: CommittedChange): Promise<void> => {
    const id = change.incident.id;
    const previous = this.chains.get(id) ?? Promise.resolve();
    const next = previous.then(() => this.apply(change));
    this.chains.set(id, next);
    void next.finally(() => {
      if (this.chains.get(id) === next) this.chains.delete(id);
    });
  };

  /** Waits for the queued work of one incident and hands back (once) what failed. */
  async settled(incidentId: string): Promise<SyncFailure[]> {
    await this.chains.get(incidentId);
    const mine = this.failures.filter((f) => f.incidentId === incidentId);
    for (const f of mine) this.failures.splice(this.failures.indexOf(f), 1);
    return mine;
  }

  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.all([...this.chains.values()]);
  }

  private async apply({ incident: committed, event }: CommittedChange): Promise<void> {
    // Render what is true now: a later change may already have landed (another process, a cascade).
    const incident = (await this.app.store.load(committed.id).catch(() => undefined)) ?? committed;
    const steps: [string, () => Promise<unknown>][] = [];
    if (this.isMajor(incident) && !CLOSING.has(event.action) && incident.status !== 'closed') {
      steps.push(['war room', () => this.warRooms.ensure(incident)]);
    }
    steps.push(['card', () => this.card(incident)]);
    steps.push(['stakeholder thread', () => this.thread(incident, event)]);
    if (DISPATCHING.has(event.action) && event.to === 'assigned') steps.push(['assignment', () => this.assignment(incident, event)]);
    if (event.action === 'resolve') steps.push(['reporter confirmation', () => this.askReporter(incident, event)]);
    if (CLOSING.has(event.action)) steps.push(['war room close', () => this.warRooms.close(incident, event)]);
    for (const [step, work] of steps) {
      try {
        await work();
      } catch (error) {
        const ref = randomUUID().slice(0, 8);
        const code = slackErrorCode(error);
        this.log.error({ err: error, ref, incidentId: incident.id, step, slackError: code }, 'Slack update failed');
        this.failures.push({ incidentId: incident.id, step, error: code, ref });
        if (this.failures.length > MAX_KEPT_FAILURES) this.failures.shift();
      }
    }
  }

  private isMajor(incident: Incident): boolean {
    return incident.major || incident.priority === this.app.service.config.policy.majorPriority;
  }

  /** The shared card in the service-desk channel: posted once, updated in place after that. */
  private async card(incident: Incident): Promise<void> {
    const channel = this.dir.channel('serviceDesk');
    if (!channel) return;
    const key = refKey.card(incident.id);
    let ref = await this.refs.get(key);
    if (!ref && (await this.refs.claim(key, incident.id, { channel }))) {
      try {
        const posted = await this.client.chat.postMessage({ channel, ...(await this.cardMessage(incident)) });
        await this.refs.set(key, { channel: posted.channel ?? channel, ts: posted.ts });
        return;
      } catch (error) {
        await this.refs.release(key);
        throw error;
      }
    }
    if (!ref?.ts) ref = await this.refs.waitFor(key, 'ts');
    if (!ref?.ts || !ref.channel) return;
    await this.client.chat.update({ channel: ref.channel, ts: ref.ts, ...(await this.cardMessage(incident)) });
  }

  private async cardMessage(incident: Incident, options: CardOptions = {}) {
    const card = this.app.presenter.card(incident, this.app.clock.now());
    const context = [...(options.context ?? []), ...(await this.links(incident))];
    return renderReply({ ephemeral: false, card }, { rev: incident.rev, ...options, context });
  }

  /** The war room, linked from the card and the thread (channel ids come from Slack, not from users). */
  private async links(incident: Incident): Promise<string[]> {
    const room = await this.warRooms.get(incident.id);
    return room?.channel ? [this.app.m.slack.warRoomLink({ channel: `<#${room.channel}>` })] : [];
  }

  /** One parent message per incident in the stakeholder channel; every later event is a reply in its thread. */
  private async thread(incident: Incident, event: IncidentEvent): Promise<void> {
    const channel = this.dir.channel('stakeholders');
    if (!channel) return;
    const key = refKey.thread(incident.id);
    let parent = await this.refs.get(key);
    if (!parent && (await this.refs.claim(key, incident.id, { channel }))) {
      try {
        const text = this.app.m.slack.threadParent({ id: incident.id, priority: incident.priority, title: incident.title });
        const message = await this.cardMessage(incident, { noButtons: true });
        const posted = await this.client.chat.postMessage({
          channel,
          text: safeMrkdwn(text),
          blocks: [{ type: 'section', text: { type: 'mrkdwn', text: safeMrkdwn(text) } }, ...message.blocks],
        });
        await this.refs.set(key, { channel: posted.channel ?? channel, ts: posted.ts });
        parent = await this.refs.get(key);
      } catch (error) {
        await this.refs.release(key);
        throw error;
      }
    }
    if (!parent?.ts) parent = await this.refs.waitFor(key, 'ts');
    if (!parent?.ts || !parent.channel) return;
    const sentKey = refKey.sent(incident.id, event.seq, 'thread');
    if (!(await this.refs.claim(sentKey, incident.id))) return;
    const lines: string[] = [];
    if (event.action !== 'report') lines.push(safeMrkdwn(this.app.presenter.timelineLine(event)));
    const room = await this.warRooms.get(incident.id);
    if (room?.channel && (await this.refs.claim(refKey.sent(incident.id, 0, 'thread-warroom'), incident.id))) {
      lines.push(this.app.m.slack.warRoomLink({ channel: `<#${room.channel}>` }));
    }
    if (lines.length === 0) return;
    try {
      await this.client.chat.postMessage({ channel: parent.channel, thread_ts: parent.ts, text: lines.join('\n') });
    } catch (error) {
      await this.refs.release(sentKey);
      throw error;
    }
  }

  /** Accept / Reject for the assignee by direct message, or for the group in its channel. */
  private async assignment(incident: Incident, event: IncidentEvent): Promise<void> {
    const { m, directory, presenter } = this.app;
    const target = directory.nameOf(incident.assigneeId ?? incident.groupId);
    const text = safeMrkdwn(m.notice.assigned({ id: incident.id, priority: incident.priority, title: incident.title, target }));
    const assignee = this.dir.userOf(incident.assigneeId);
    const groupChannel = this.dir.groupChannel(incident.groupId);
    const now = this.app.clock.now();
    const only = { only: ['accept', 'reject'], rev: incident.rev };
    if (assignee) {
      const person = { id: incident.assigneeId!, name: directory.nameOf(incident.assigneeId) };
      const message = renderReply({ ephemeral: false, text: m.notice.assigned({ id: incident.id, priority: incident.priority, title: incident.title, target }), card: presenter.card(incident, now, person) }, only);
      await this.once(incident, event, 'assign', () => this.client.chat.postMessage({ channel: assignee, ...message, text }));
    } else if (groupChannel) {
      const usergroup = this.dir.groupUsergroup(incident.groupId);
      const mention = usergroup ? `<!subteam^${usergroup}> ` : '';
      const message = renderReply({ ephemeral: false, card: presenter.card(incident, now) }, only);
      const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: `${mention}${text}` } }, ...message.blocks];
      await this.once(incident, event, 'assign', () => this.client.chat.postMessage({ channel: groupChannel, text, blocks }));
    } else {
      for (const user of this.dir.groupUsers(incident.groupId)) {
        const message = renderReply({ ephemeral: false, card: presenter.card(incident, now) }, only);
        await this.once(incident, event, `assign-${user}`, () => this.client.chat.postMessage({ channel: user, ...message, text }));
      }
    }
  }

  /** The reporter is asked to confirm or reopen, by direct message. */
  private async askReporter(incident: Incident, event: IncidentEvent): Promise<void> {
    const reporter = this.dir.userOf(incident.reporterId);
    if (!reporter) return;
    const { m, presenter } = this.app;
    const sentence = m.notice.resolved({ id: incident.id, title: incident.title, solution: incident.solution ?? '' });
    const viewer = { id: incident.reporterId, name: incident.reporterName };
    const message = renderReply({ ephemeral: false, text: sentence, card: presenter.card(incident, this.app.clock.now(), viewer) }, { only: ['confirm', 'reopen'], rev: incident.rev });
    await this.once(incident, event, 'confirm', () => this.client.chat.postMessage({ channel: reporter, ...message }));
  }

  /** Posts a side message once per event and purpose; a failure gives the claim back for a retry. */
  private async once(incident: Incident, event: IncidentEvent, what: string, post: () => Promise<unknown>): Promise<void> {
    const key = refKey.sent(incident.id, event.seq, what);
    if (!(await this.refs.claim(key, incident.id))) return;
    try {
      await post();
    } catch (error) {
      await this.refs.release(key);
      throw error;
    }
  }
}
