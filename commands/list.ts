import { defineCommand } from '../src/app/command.js';
import type { ListSection } from '../src/app/view.js';
import { ACTIVE_STATUSES, type Incident } from '../src/domain/incident.js';
import { presenterFor } from './support/action-command.js';

/** My queue: assigned to me, my groups', open incidents waiting for dispatch (first line), and what I reported. */
export default defineCommand({
  name: 'list',
  aliases: ['queue', 'ls'],
  takesIncident: false,
  fields: () => [],
  async run(ctx) {
    const { service, actor, m } = ctx;
    const directory = service.directory;
    const presenter = presenterFor(ctx);
    const groupIds = directory.groupsOf(actor.id).map((g) => g.id);
    const seen = new Set<string>();
    const section = (heading: string, incidents: Incident[]): ListSection => ({
      heading,
      items: incidents.filter((i) => !seen.has(i.id) && seen.add(i.id)).map((i) => ({ incidentId: i.id, line: presenter.listLine(i) })),
    });
    const sections: ListSection[] = [
      section(m.reply.queueMine, await service.list({ assigneeId: actor.id, statuses: ACTIVE_STATUSES })),
    ];
    if (groupIds.length > 0) sections.push(section(m.reply.queueGroups, await service.list({ groupIds, statuses: ['assigned', 'in_progress', 'pending_change', 'suspended'] })));
    if (directory.isFirstLine(actor.id) || directory.isIncidentManager(actor.id)) {
      sections.push(section(m.reply.queueOpen, await service.list({ statuses: ['open'] })));
      sections.push(section(m.status.resolved, await service.list({ statuses: ['resolved'] })));
    }
    sections.push(section(m.reply.queueReported, await service.list({ reporterId: actor.id, statuses: [...ACTIVE_STATUSES, 'resolved'] })));
    const nonEmpty = sections.filter((s) => s.items.length > 0);
    // The desk's views, one command away: waiting for dispatch, overdue, open majors, my groups'.
    const desk = directory.isFirstLine(actor.id) || directory.isIncidentManager(actor.id) || groupIds.length > 0;
    const views = ['search unassigned', 'search overdue', 'search major status:active', ...groupIds.map((g) => `search group:${g} status:active`)];
    const lines = desk ? [m.reply.deskViews({ views: views.map((v) => `"${v}"`).join(' · ') })] : [];
    if (nonEmpty.length === 0) return { ephemeral: true, text: m.reply.listEmpty, lines };
    return { ephemeral: true, text: m.reply.listHeading({ count: seen.size }), sections: nonEmpty, lines };
  },
});
