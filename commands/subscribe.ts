import { defineCommand, type CommandContext } from '../src/app/command.js';
import type { Reply } from '../src/app/view.js';
import { UserError } from '../src/domain/errors.js';
import type { ServiceState } from '../src/domain/service-state.js';
import { say } from '../src/i18n/index.js';
import { presenterFor } from './support/action-command.js';

/**
 * Following a service (SPEC §7: its users are told when it is interrupted and again when it is
 * restored): `subscribe <service>` and `unsubscribe <service>`; either alone lists the services,
 * their state now and which ones you follow. Anyone may follow a service, guests included.
 */
export const subscribe = defineCommand({
  name: 'subscribe',
  aliases: ['follow', 'services'],
  takesIncident: false,
  positional: ['service'],
  fields: () => [],
  async run(ctx, args) {
    if (!args.service) return overview(ctx);
    const status = statusOf(ctx);
    const service = serviceNamed(ctx, args.service);
    const added = await status.subscribe(service, ctx.actor.id, ctx.clock.now());
    const words = { service: label(ctx, service), state: ctx.m.serviceState[await stateOf(ctx, service)] };
    return { ephemeral: true, text: added ? ctx.m.subscription.subscribed(words) : ctx.m.subscription.already(words) };
  },
});

export const unsubscribe = defineCommand({
  name: 'unsubscribe',
  aliases: ['unfollow'],
  takesIncident: false,
  positional: ['service'],
  fields: () => [],
  async run(ctx, args) {
    if (!args.service) return overview(ctx);
    const service = serviceNamed(ctx, args.service);
    const removed = await statusOf(ctx).unsubscribe(service, ctx.actor.id);
    const words = { service: label(ctx, service) };
    return { ephemeral: true, text: removed ? ctx.m.subscription.unsubscribed(words) : ctx.m.subscription.notSubscribed(words) };
  },
});

type StatusPort = NonNullable<CommandContext['serviceStatus']>;

function statusOf(ctx: CommandContext): StatusPort {
  if (!ctx.serviceStatus) throw new Error('subscribe: no service status in this context');
  return ctx.serviceStatus;
}

/** Every service with its state and since when, ✓ on those the person follows. */
async function overview(ctx: CommandContext): Promise<Reply> {
  const status = statusOf(ctx);
  const [services, mine] = await Promise.all([status.services(), status.subscriptionsOf(ctx.actor.id)]);
  const presenter = presenterFor(ctx);
  const lines = services.map((s) =>
    ctx.m.subscription.line({ mark: mine.includes(s.id) ? '✓' : '·', service: label(ctx, s.id), id: s.id, state: ctx.m.serviceState[s.state], since: s.since ? presenter.formatTime(s.since) : '' }),
  );
  return { ephemeral: true, text: [ctx.m.subscription.heading, ...lines, ctx.m.subscription.usage].join('\n') };
}

async function stateOf(ctx: CommandContext, service: string): Promise<ServiceState> {
  return (await statusOf(ctx).services()).find((s) => s.id === service)?.state ?? 'operational';
}

/** A service by its id or its label in any language (case ignored); else a refusal naming them all. */
function serviceNamed(ctx: CommandContext, typed: string): string {
  const wanted = typed.trim().toLowerCase();
  const { services } = ctx.service.config.policy;
  const found = services.find((s) => s.id === wanted || Object.values(s.label).some((l) => l?.toLowerCase() === wanted));
  if (!found) throw new UserError('subscribe_unknown_service', { part: typed.slice(0, 80), choices: services.map((s) => `${s.id} (${say(s.label, ctx.locale)})`).join(', ') });
  return found.id;
}

function label(ctx: CommandContext, service: string): string {
  return presenterFor(ctx).serviceLabel(service);
}
