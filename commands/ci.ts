import { defineCommand, type CommandContext } from '../src/app/command.js';
import type { Reply } from '../src/app/view.js';
import { checkCi, ciReferences, type ConfigurationItem } from '../src/domain/ci.js';
import { UserError } from '../src/domain/errors.js';
import { errorText } from '../src/i18n/index.js';
import { presenterFor } from './support/action-command.js';
import { keyValues } from './support/key-values.js';

/** Incidents `ci <id>` lists (newest first). */
const SHOWN = 20;
const KEYS = { name: 'name', type: 'type', service: 'service', group: 'ownerGroup', ownergroup: 'ownerGroup', location: 'location' } as const;

/**
 * The CI catalog (CMDB): `ci <id>` shows a CI with its service, owner and incidents (open and past);
 * `ci search <words>` finds CIs by id or name; `ci add <id> name=… [type=… service=… group=…
 * location=…]` adds or replaces one and `ci retire <id>` retires it (service desk and process
 * owners). A CSV or YAML file loads many at once (`npm run ci:import`).
 */
export default defineCommand({
  name: 'ci',
  aliases: ['cmdb'],
  takesIncident: false,
  positional: ['action', 'text'],
  fields: () => [],
  async run(ctx, args) {
    const action = (args.action ?? '').trim();
    const rest = (args.text ?? '').trim();
    if (!action) throw new UserError('ci_usage', {});
    if (action === 'search' || action === 'find') return search(ctx, rest);
    if (action === 'add') return add(ctx, rest);
    if (action === 'retire') return retire(ctx, rest);
    return show(ctx, rest ? `${action} ${rest}` : action);
  },
});

async function show(ctx: CommandContext, ref: string): Promise<Reply> {
  const { m, service } = ctx;
  const item = await service.catalog.find(ref);
  if (!item) throw new UserError('ci_not_found', { ci: ref.slice(0, 80) });
  const presenter = presenterFor(ctx);
  const found = await service.search('', { ci: item.id }, { sort: 'newest', page: 1, pageSize: SHOWN });
  const open = found.incidents.filter((i) => i.status !== 'closed');
  const past = found.incidents.filter((i) => i.status === 'closed');
  const lines = [
    m.reply.ciHeading({ id: item.id, name: item.name, status: item.status === 'retired' ? m.reply.ciRetiredMark : '' }),
    m.reply.ciDetails({
      type: item.type ?? '—',
      service: item.service ? presenter.serviceLabel(item.service) : '—',
      owner: item.ownerGroup ? presenter.nameOf(item.ownerGroup) : '—',
      location: item.location ?? '—',
    }),
    m.reply.ciIncidents({ open: open.length, total: found.total }),
  ];
  const line = (i: (typeof found.incidents)[number]) => ({ incidentId: i.id, line: presenter.listLine(i) });
  return {
    ephemeral: true,
    text: lines.join('\n'),
    sections: [
      { heading: m.reply.ciOpenHeading, items: open.map(line) },
      { heading: m.reply.ciPastHeading, items: past.map(line) },
    ].filter((s) => s.items.length > 0),
  };
}

async function search(ctx: CommandContext, words: string): Promise<Reply> {
  const { m, service } = ctx;
  const items = await service.catalog.search(words);
  if (items.length === 0) return { ephemeral: true, text: m.reply.ciSearchEmpty({ query: words }) };
  const presenter = presenterFor(ctx);
  const lines = items.map((i) => `${i.id} — ${i.name}${i.service ? ` · ${presenter.serviceLabel(i.service)}` : ''}${i.ownerGroup ? ` · ${presenter.nameOf(i.ownerGroup)}` : ''}`);
  return { ephemeral: true, text: [m.reply.ciSearchHeading({ count: items.length, query: words }), ...lines].join('\n') };
}

async function add(ctx: CommandContext, text: string): Promise<Reply> {
  mayMaintain(ctx);
  const [id, ...rest] = text.split(/\s+/);
  if (!id) throw new UserError('ci_usage', {});
  const raw: Record<string, unknown> = { id, ...keyValues(rest.join(' '), KEYS) };
  let item: ConfigurationItem;
  try {
    item = checkCi(raw, ciReferences(ctx.service.config));
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    throw new UserError('ci_invalid', { problem: errorText(error, ctx.m) });
  }
  await ctx.service.catalog.save(item, ctx.clock.now());
  return { ephemeral: true, text: ctx.m.reply.ciSaved({ id: item.id, name: item.name }) };
}

async function retire(ctx: CommandContext, id: string): Promise<Reply> {
  mayMaintain(ctx);
  if (!id) throw new UserError('ci_usage', {});
  if (!(await ctx.service.catalog.retire(id, ctx.clock.now()))) throw new UserError('ci_not_found', { ci: id.slice(0, 80) });
  return { ephemeral: true, text: ctx.m.reply.ciRetired({ id }) };
}

function mayMaintain(ctx: CommandContext): void {
  const { directory, config } = ctx.service;
  if (!directory.isFirstLine(ctx.actor.id) && !config.organisation.processOwners.includes(ctx.actor.id)) throw new UserError('ci_only_desk', {});
}
