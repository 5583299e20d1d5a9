import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { App } from '../../src/app/app.js';
import type { CommittedChange } from '../../src/app/incident-service.js';
import type { Incident, IncidentEvent } from '../../src/domain/incident.js';
import { describeDiscordError, type DiscordApi } from './discord.api.js';
import type { DiscordRef, DiscordStore } from './discord.models.js';
import { renderCardMessage } from './discord.renderer.js';
import type { IncidentThreads } from './threads.js';
import type { WarRooms } from './war-room.js';

export interface SyncFailure {
  incidentId: string;
  what: DiscordRef['kind'];
  why: string;
  ref: string;
}

/** Events after which the war room's audience may have changed. */
const ACCESS_CHANGES = new Set(['dispatch', 'redispatch', 'accept', 'declare-major']);

/**
 * Keeps Discord in step with committed changes: the service-desk card edited in place, the
 * stakeholder (and, for majors, management) thread, the war room. Work runs after the command
 * has answered, one incident at a time in order; failures are logged and handed to whoever acted.
 */
export class IncidentSync {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly failures = new Map<string, SyncFailure[]>();

  constructor(
    private readonly deps: { app: App; api: DiscordApi; store: DiscordStore; threads: IncidentThreads; warRooms: WarRooms; log: Logger },
  ) {}

  /** The core's change listener: queues the work and returns at once, so no command waits for Discord. */
  readonly onChange = async (change: CommittedChange): Promise<void> => {
    this.enqueue(change.incident.id, () => this.apply(change));
  };

  /** Waits for the incident's queued work; returns (and forgets) what failed meanwhile. */
  async settled(incidentId: string): Promise<SyncFailure[]> {
    await this.tails.get(incidentId);
    const failed = this.failures.get(incidentId) ?? [];
    this.failures.delete(incidentId);
    return failed;
  }

  /** Waits until no incident has queued work (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.all([...this.tails.values()]);
  }

  /** Brings the card of an incident up to date (used after a reconnect, for changes made elsewhere). */
  refresh(incident: Incident): Promise<void> {
    return this.enqueue(incident.id, () => this.run(incident.id, 'card', () => this.card(incident)));
  }

  private enqueue(incidentId: string, job: () => Promise<void>): Promise<void> {
    const next = (this.tails.get(incidentId) ?? Promise.resolve()).then(job).catch((error: unknown) => {
      this.deps.log.error({ err: error, incidentId }, 'discord: sync failed');
    });
    this.tails.set(incidentId, next);
    void next.finally(() => {
      if (this.tails.get(incidentId) === next) this.tails.delete(incidentId);
    });
    return next;
  }

  private async apply({ incident: changed, event }: CommittedChange): Promise<void> {
    const { app, threads } = this.deps;
    // Render what is true now, not what was true when the change was queued.
    const incident = await app.service.get(changed.id).catch(() => changed);
    const channels = app.service.config.organisation.channels;
    await this.run(incident.id, 'card', () => this.card(incident));
    const stakeholders = channels.stakeholders.discord;
    if (stakeholders) {
      await this.run(incident.id, 'stakeholders', async () => {
        const thread = await threads.ensure(incident, 'stakeholders', stakeholders);
        if (thread) await threads.postEvent('stakeholders', thread, event);
      });
    }
    if (!incident.major) return;
    await this.run(incident.id, 'warroom', () => this.warRoom(incident, event));
    const management = channels.management.discord;
    if (management) {
      await this.run(incident.id, 'management', async () => {
        const thread = await threads.ensure(incident, 'management', management);
        if (thread) await threads.postEvent('management', thread, event);
      });
    }
  }

  private async card(incident: Incident): Promise<void> {
    const { app, api, store } = this.deps;
    const channelId = app.service.config.organisation.channels.serviceDesk.discord;
    if (!channelId) return;
    const message = renderCardMessage(app.presenter.card(incident, app.clock.now()));
    const { created, ref } = await store.claimRef(incident.id, 'card');
    if (created) {
      try {
        const posted = await api.postMessage(channelId, message);
        await store.setRef(incident.id, 'card', { channelId, messageId: posted.id, seq: incident.rev });
      } catch (error) {
        await store.releaseRef(incident.id, 'card');
        throw error;
      }
      return;
    }
    if (!ref.channelId || !ref.messageId || ref.seq >= incident.rev) return;
    await api.editMessage(ref.channelId, ref.messageId, message);
    await store.advanceSeq(incident.id, 'card', incident.rev);
  }

  private async warRoom(incident: Incident, event: IncidentEvent): Promise<void> {
    const { warRooms, threads, store } = this.deps;
    if (incident.status === 'closed') {
      const ref = await store.ref(incident.id, 'warroom');
      if (ref?.channelId && !ref.archived) {
        await threads.postEvent('warroom', ref.channelId, event);
        await warRooms.archive(incident);
      }
      return;
    }
    const { channelId, created } = await warRooms.ensure(incident);
    if (!channelId) return;
    if (!created && ACCESS_CHANGES.has(event.action)) await warRooms.refreshAccess(incident, channelId);
    await threads.postEvent('warroom', channelId, event);
  }

  private async run(incidentId: string, what: DiscordRef['kind'], step: () => Promise<void>): Promise<void> {
    try {
      await step();
    } catch (error) {
      const ref = randomUUID().slice(0, 8);
      this.deps.log.error({ err: error, ref, incidentId, what }, 'discord: could not update Discord after a change');
      const list = this.failures.get(incidentId) ?? [];
      list.push({ incidentId, what, why: describeDiscordError(error), ref });
      // Nobody may ask (a change made from Slack or a timer): keep only the latest few.
      this.failures.set(incidentId, list.slice(-10));
    }
  }
}
