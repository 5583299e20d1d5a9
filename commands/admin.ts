import { defineCommand, type CommandContext, type OutboxLine } from '../src/app/command.js';
import type { ListSection } from '../src/app/view.js';
import { formatDuration } from '../src/config/duration.js';
import { UserError } from '../src/domain/errors.js';
import { presenterFor } from './support/action-command.js';

const SHOWN = 15;

/** Operations: the outbox's delivery state, its dead letters, and sending one again. Incident managers and process owners only. */
export default defineCommand({
  name: 'admin',
  takesIncident: false,
  positional: ['topic', 'action', 'target'],
  fields: () => [],
  async precheck(ctx) {
    allowed(ctx);
  },
  async run(ctx, args) {
    allowed(ctx);
    const { m, outbox, clock } = ctx;
    if (args.topic === 'alerts') return alerts(ctx, args.action, args.target);
    if (args.topic !== 'outbox' || !outbox) throw new UserError('admin_usage', {});
    if (args.action === 'retry') {
      const id = args.target ?? '';
      if (!(await outbox.retry(id, clock.now()))) throw new UserError('outbox_not_dead', { id: id.slice(0, 200) });
      return { ephemeral: true, text: m.reply.outboxRetried({ id }) };
    }
    if (args.action && args.action !== 'dead') throw new UserError('admin_usage', {});
    const counts = await outbox.counts();
    const lines: string[] = [];
    const oldest = await outbox.oldestPending();
    const overdue = oldest ? clock.now().getTime() - oldest.getTime() : 0;
    if (overdue > 0) lines.push(m.reply.outboxOldest({ age: formatDuration(overdue, m.duration) }));
    const line = (e: OutboxLine) => ({ incidentId: e.incidentId ?? '', line: m.reply.outboxLine({ id: e._id, platform: e.platform, attempts: e.attempts, error: e.lastError ?? '' }) });
    const sections: ListSection[] = [{ heading: m.reply.outboxDeadHeading, items: (await outbox.list({ status: 'dead' }, SHOWN)).map(line) }];
    if (args.action !== 'dead') sections.push({ heading: m.reply.outboxUndeliverableHeading, items: (await outbox.list({ status: 'undeliverable' }, SHOWN)).map(line) });
    return { ephemeral: true, text: m.reply.outboxHeading(counts), lines, sections: sections.filter((s) => s.items.length > 0) };
  },
});

/** The monitoring intake: payloads waiting, those that failed (with why), and trying one again. */
async function alerts(ctx: CommandContext, action: string | undefined, target: string | undefined) {
  const { m, alerts: store, clock } = ctx;
  if (!store) throw new UserError('admin_usage', {});
  if (action === 'retry') {
    const id = target ?? '';
    if (!(await store.retry(id, clock.now()))) throw new UserError('alert_not_failed', { id: id.slice(0, 200) });
    return { ephemeral: true, text: m.reply.alertsRetried({ id }) };
  }
  if (action) throw new UserError('admin_usage', {});
  const { waiting, failed } = await store.overview(SHOWN);
  const presenter = presenterFor(ctx);
  const lines = failed.map((p) => m.reply.alertsLine({ id: p._id, source: p.source, at: presenter.formatTime(new Date(p.receivedAt)), attempts: p.attempts, error: p.error ?? '' }));
  return { ephemeral: true, text: m.reply.alertsHeading({ waiting, failed: failed.length }), lines };
}

function allowed(ctx: CommandContext): void {
  const { directory, config } = ctx.service;
  if (!directory.isIncidentManager(ctx.actor.id) && !config.organisation.processOwners.includes(ctx.actor.id)) throw new UserError('admin_only', {});
}
