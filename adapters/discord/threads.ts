import type { App } from '../../src/app/app.js';
import type { Incident, IncidentEvent } from '../../src/domain/incident.js';
import type { DiscordApi } from './discord.api.js';
import type { DiscordStore } from './discord.models.js';
import { renderText } from './discord.renderer.js';
import { LIMITS, cut } from './discord.text.js';

export type ThreadKind = 'stakeholders' | 'management';

/**
 * One thread per incident in a channel (stakeholders for every incident, management for major
 * ones, SPEC §8 and §12): a starter message, a thread on it, then one line per event.
 */
export class IncidentThreads {
  constructor(private readonly deps: { app: App; api: DiscordApi; store: DiscordStore }) {}

  /** The thread id, creating the thread once; undefined while another attempt is creating it. */
  async ensure(incident: Incident, kind: ThreadKind, channelId: string): Promise<string | undefined> {
    const { store, api, app } = this.deps;
    const { created, ref } = await store.claimRef(incident.id, kind);
    if (!created) return ref.channelId;
    try {
      let starterId = ref.messageId;
      if (!starterId) {
        const starter = kind === 'stakeholders' ? app.m.discord.stakeholderStarter : app.m.discord.managementStarter;
        starterId = (await api.postMessage(channelId, renderText(starter({ id: incident.id, priority: incident.priority, title: incident.title })))).id;
        // Kept before the thread is made, so a retry threads the same starter instead of posting another.
        await store.setRef(incident.id, kind, { messageId: starterId });
      }
      const thread = await api.startThread(channelId, starterId, cut(`${incident.id} ${incident.title}`, LIMITS.threadName));
      await store.setRef(incident.id, kind, { channelId: thread.id });
      return thread.id;
    } catch (error) {
      await store.releaseRef(incident.id, kind);
      throw error;
    }
  }

  /** Posts an event's timeline line to a channel or thread, once per event and target. */
  async postEvent(target: string, targetId: string, event: IncidentEvent): Promise<void> {
    const { store, api, app } = this.deps;
    const key = `p:${event.incidentId}:${target}:${event.seq}`;
    if (!(await store.claimOnce(key))) return;
    try {
      await api.postMessage(targetId, renderText(`${event.incidentId} · ${app.presenter.timelineLine(event)}`));
    } catch (error) {
      await store.releaseOnce(key);
      throw error;
    }
  }
}
