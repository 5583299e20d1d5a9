import { reviewPdf } from '../../src/app/review-pdf.js';
import { planText } from '../../src/app/plan-text.js';
import { DiscordAPIError, RateLimitError } from 'discord.js';
import type { Clock } from '../../src/app/clock.js';
import type { Presenter } from '../../src/app/presenter.js';
import type { ConfigFile } from '../../src/config/config.schema.js';
import type { Directory } from '../../src/domain/directory.js';
import type { Incident, IncidentEvent } from '../../src/domain/incident.js';
import { getsReview } from '../../src/domain/major.js';
import type { Catalog } from '../../src/i18n/index.js';
import { eachPart, forStakeholders, type Surface, type SurfaceSteps } from '../../src/outbox/surface.js';
import type { RefFields, SurfaceRef } from '../../src/outbox/surface.store.js';
import type { DiscordApi } from './discord.api.js';
import { toDeliveryError } from './discord.messenger.js';
import { renderCardMessage, renderText, type DiscordMessage } from './discord.renderer.js';
import { LIMITS, cut } from './discord.text.js';
import { nonceOf } from './nonce.js';
import type { WarRooms } from './war-room.js';

/** Events after which the war room's audience may have changed. */
const ACCESS_CHANGES = new Set(['dispatch', 'redispatch', 'accept', 'declare-major']);
/** Discord's answer when a thread was already started on the message (an earlier attempt did it). */
const THREAD_ALREADY_CREATED = 160004;

type ThreadKind = 'stakeholders' | 'management';

export interface DiscordSurfaceDeps {
  api: DiscordApi;
  warRooms: WarRooms;
  config: ConfigFile;
  directory: Directory;
  presenter: Presenter;
  m: Catalog;
  clock: Clock;
}

/**
 * How an incident looks on Discord (run from the outbox, one incident at a time): the
 * service-desk card edited in place, the stakeholder thread (and, for majors, the management
 * thread) with a line per event, and the war room (created once, its access following the team,
 * a line per event, archived on close). Posts carry a nonce made from their key, which Discord
 * honours (`enforce_nonce`), so a post retried after a crash lands once.
 */
export class DiscordSurface implements Surface {
  readonly platform = 'discord';

  constructor(private readonly deps: DiscordSurfaceDeps) {}

  notPosted(error: unknown): boolean {
    return error instanceof RateLimitError || (error instanceof DiscordAPIError && error.status < 500);
  }

  async apply(incident: Incident, events: IncidentEvent[], steps: SurfaceSteps): Promise<void> {
    const { stakeholders, management } = this.deps.config.organisation.channels;
    const parts = [() => this.card(incident, steps)];
    if (stakeholders.discord) parts.push(() => this.thread(incident, events, steps, 'stakeholders', stakeholders.discord!));
    if (incident.major) {
      // The management thread first: the review document goes there as well as into the room.
      if (management.discord) parts.push(() => this.thread(incident, events, steps, 'management', management.discord!));
      parts.push(() => this.warRoom(incident, events, steps));
    }
    await eachPart(parts).catch((error: unknown) => {
      throw toDeliveryError(error);
    });
  }

  private async card(incident: Incident, steps: SurfaceSteps): Promise<void> {
    const channel = this.deps.config.organisation.channels.serviceDesk.discord;
    if (!channel) return;
    const key = `card:${incident.id}`;
    const message = () => renderCardMessage(this.deps.presenter.card(incident, this.deps.clock.now()));
    const ref = await steps.once(key, async () => ({ ...(await this.post(channel, key, message())), rev: incident.rev }));
    if (!ref.channel || !ref.message || (ref.rev ?? 0) >= incident.rev) return;
    await this.deps.api.editMessage(ref.channel, ref.message, message());
    await steps.set(key, { rev: incident.rev });
  }

  /** A starter message, a thread on it (once), then one line per event. */
  private async thread(incident: Incident, events: IncidentEvent[], steps: SurfaceSteps, kind: ThreadKind, channel: string): Promise<void> {
    const { m, api } = this.deps;
    const starterKey = `${kind}-starter:${incident.id}`;
    const starter = await steps.once(starterKey, () => {
      const text = (kind === 'stakeholders' ? m.discord.stakeholderStarter : m.discord.managementStarter)({ id: incident.id, priority: incident.priority, title: incident.title });
      return this.post(channel, starterKey, renderText(text));
    });
    if (!starter.message) return;
    const starterId = starter.message;
    const thread = await steps.once(`${kind}:${incident.id}`, async () => {
      try {
        return { channel: (await api.startThread(channel, starterId, cut(`${incident.id} ${incident.title}`, LIMITS.threadName))).id };
      } catch (error) {
        // A thread started from a message has that message's id.
        if (error instanceof DiscordAPIError && error.code === THREAD_ALREADY_CREATED) return { channel: starterId };
        throw error;
      }
    });
    if (thread.channel) await this.lines(incident, events, steps, kind, thread.channel);
  }

  private async lines(incident: Incident, events: IncidentEvent[], steps: SurfaceSteps, target: string, channel: string): Promise<void> {
    for (const event of events.filter(forStakeholders)) {
      const key = `line:${target}:${incident.id}:${event.seq}`;
      await steps.once(key, () => this.post(channel, key, renderText(`${incident.id} · ${this.deps.presenter.timelineLine(event)}`)));
    }
  }

  /** Created once with the welcome; access follows the team; a line per event; archived on close. */
  private async warRoom(incident: Incident, events: IncidentEvent[], steps: SurfaceSteps): Promise<void> {
    const { warRooms, m, directory, presenter, clock } = this.deps;
    const key = `warroom:${incident.id}`;
    let created = false;
    const room: SurfaceRef = await steps.once(
      key,
      async () => {
        created = true;
        return { channel: await warRooms.create(incident) };
      },
      async () => {
        const found = await warRooms.find(incident);
        return found ? { channel: found } : undefined;
      },
    );
    if (!room.channel || room.archived) return;
    const channel = room.channel;
    const welcomeKey = `warroom-welcome:${incident.id}`;
    await steps.once(welcomeKey, () => {
      const manager = directory.nameOf(incident.majorIncidentManagerId ?? directory.majorIncidentManagers()[0]);
      const welcome = m.discord.warRoomWelcome({ id: incident.id, priority: incident.priority, title: incident.title, manager });
      return this.post(channel, welcomeKey, renderCardMessage(presenter.card(incident, clock.now()), welcome));
    });
    if (!created && incident.status !== 'closed' && events.some((e) => ACCESS_CHANGES.has(e.action))) await warRooms.refreshAccess(incident, channel);
    await this.lines(incident, events, steps, 'warroom', channel);
    await this.pinnedPlan(incident, steps, channel);
    await this.reviewFile(events, steps, channel);
    if (incident.status !== 'closed') return;
    // The post-incident review is written just after the close: the room stays open until it is posted.
    if (getsReview(incident, this.deps.config.policy) && !(await steps.get(`review-file:${incident.id}:warroom`))) return;
    const archivedKey = `warroom-archived:${incident.id}`;
    await steps.once(archivedKey, () => this.post(channel, archivedKey, renderText(m.discord.warRoomArchived({ id: incident.id }))));
    await warRooms.archive(incident, channel);
    await steps.set(key, { archived: true });
  }

  /** The recovery plan, pinned in the war room and edited in place at each new version (SPEC §12). */
  private async pinnedPlan(incident: Incident, steps: SurfaceSteps, channel: string): Promise<void> {
    const plan = incident.plan;
    if (!plan) return;
    const { api, m, presenter } = this.deps;
    const key = `warroom-plan:${incident.id}`;
    const message = () => renderText(cut(planText(incident, plan, m, presenter), 2_000));
    const ref = await steps.once(key, async () => {
      const posted = await this.post(channel, key, message());
      await api.pin(channel, posted.message!);
      return { ...posted, rev: plan.version };
    });
    if (!ref.channel || !ref.message || (ref.rev ?? 0) >= plan.version) return;
    await api.editMessage(ref.channel, ref.message, message());
    await steps.set(key, { rev: plan.version });
  }

  /** The post-incident review as an attached Markdown file: in the war room (before it is archived) and the management thread. */
  private async reviewFile(events: IncidentEvent[], steps: SurfaceSteps, room: string): Promise<void> {
    const written = events.find((e) => e.action === 'review-doc');
    if (!written || typeof written.data.markdown !== 'string') return;
    const name = String(written.data.name ?? `${written.incidentId}-post-incident-review.md`);
    const files: { name: string; data: Buffer }[] = [{ name, data: Buffer.from(written.data.markdown, 'utf8') }];
    const pdf = await reviewPdf(written.data.markdown);
    if (pdf) files.push({ name: name.replace(/\.md$/, '.pdf'), data: pdf });
    const text = this.deps.m.discord.reviewAttached({ id: written.incidentId });
    const targets: [string, string | undefined][] = [[`review-file:${written.incidentId}:warroom`, room]];
    const management = await steps.get(`management:${written.incidentId}`);
    if (management?.channel) targets.push([`review-file:${written.incidentId}:management`, management.channel]);
    for (const [key, channel] of targets) {
      if (!channel) continue;
      await steps.once(key, async () => ({ channel, message: (await this.deps.api.postFiles(channel, text, files, nonceOf(key))).id }));
    }
  }

  private async post(channel: string, key: string, message: DiscordMessage): Promise<RefFields> {
    const posted = await this.deps.api.postMessage(channel, message, nonceOf(key));
    return { channel, message: posted.id };
  }
}
