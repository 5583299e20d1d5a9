import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { ConfigFile } from '../../../src/config/config.schema.js';
import { DEFAULT_CONFIG_PATH } from '../../../src/config/load-config.js';

/**
 * Discord ids of the test organisation and builders of raw gateway interaction payloads
 * (INTERACTION_CREATE `d`), shaped exactly as Discord sends them (API v10).
 */
export const IDS = {
  app: '800000000000000001',
  guild: '400000000000000001',
  command: '810000000000000001',
  serviceDesk: '300000000000000001',
  stakeholders: '300000000000000002',
  management: '300000000000000003',
  roles: { serviceDesk: '500000000000000001', network: '500000000000000002', applications: '500000000000000003' },
} as const;

export interface DiscordUser {
  id: string;
  username: string;
  roles?: string[];
}

export const users = {
  desk: { id: '100000000000000001', username: 'chen.jing', roles: [IDS.roles.serviceDesk] },
  network: { id: '100000000000000002', username: 'li.wei', roles: [IDS.roles.network] },
  apps: { id: '100000000000000003', username: 'liu.yang', roles: [IDS.roles.applications] },
  manager: { id: '100000000000000004', username: 'zhao.lei' },
  user: { id: '100000000000000005', username: 'lin.na' },
  /** Not in the configuration, but holds the service-desk role. */
  roleOnlyDesk: { id: '100000000000000006', username: 'temp.desk', roles: [IDS.roles.serviceDesk] },
  stranger: { id: '100000000000000007', username: 'stranger' },
  /** wang.fang: the service desk's team lead (verifies closed records). */
  lead: { id: '100000000000000008', username: 'wang.fang', roles: [IDS.roles.serviceDesk] },
  /** gao.feng: the department director (approves all-staff updates of a major incident). */
  director: { id: '100000000000000009', username: 'gao.feng' },
} satisfies Record<string, DiscordUser>;

/** The shipped default configuration with Discord ids filled in. */
export function discordConfig(): ConfigFile {
  const raw = parse(readFileSync(DEFAULT_CONFIG_PATH, 'utf8'));
  const personIds: Record<string, string> = {
    'chen.jing': users.desk.id, 'li.wei': users.network.id, 'liu.yang': users.apps.id, 'zhao.lei': users.manager.id, 'lin.na': users.user.id, 'wang.fang': users.lead.id, 'gao.feng': users.director.id,
  };
  for (const person of raw.organisation.people) if (personIds[person.id]) person.discord = personIds[person.id];
  const roles: Record<string, string> = { 'service-desk': IDS.roles.serviceDesk, network: IDS.roles.network, applications: IDS.roles.applications };
  for (const group of raw.organisation.groups) if (roles[group.id]) group.discord = { role: roles[group.id] };
  raw.organisation.channels = {
    serviceDesk: { discord: IDS.serviceDesk },
    stakeholders: { discord: IDS.stakeholders },
    management: { discord: IDS.management },
  };
  return ConfigFile.parse(raw);
}

let counter = 0n;
export function snowflake(): string {
  counter += 1n;
  return (1_200_000_000_000_000_000n + BigInt(Date.now() % 1_000_000) * 1000n + counter).toString();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Raw = any;

function base(type: number, user: DiscordUser, data: Raw, extra: Raw = {}, channelId: string = IDS.serviceDesk): Raw {
  const id = snowflake();
  return {
    id,
    application_id: IDS.app,
    type,
    token: `itok_${id}`,
    version: 1,
    guild_id: IDS.guild,
    channel_id: channelId,
    channel: { id: channelId, type: 0, guild_id: IDS.guild, name: 'service-desk', nsfw: false, parent_id: null, position: 0, flags: 0 },
    member: {
      user: { id: user.id, username: user.username, discriminator: '0', global_name: user.username, avatar: null },
      roles: user.roles ?? [],
      joined_at: '2025-01-01T00:00:00.000000+00:00',
      nick: null,
      avatar: null,
      deaf: false,
      mute: false,
      flags: 0,
      pending: false,
      permissions: '2248473465835073',
      premium_since: null,
      communication_disabled_until: null,
    },
    app_permissions: '2248473465835073',
    locale: 'en-US',
    guild_locale: 'en-US',
    entitlements: [],
    authorizing_integration_owners: { '0': IDS.guild },
    context: 0,
    attachment_size_limit: 10485760,
    data,
    ...extra,
  };
}

/** `/incident <sub> [options]` */
export function slash(user: DiscordUser, sub: string, options: Record<string, string> = {}): Raw {
  return base(2, user, {
    id: IDS.command,
    name: 'incident',
    type: 1,
    guild_id: IDS.guild,
    options: [{ type: 1, name: sub, options: Object.entries(options).map(([name, value]) => ({ type: 3, name, value })) }],
  });
}

/** A command of its own (`/incident-problem action:PRB-000001`). */
export function ownCommand(user: DiscordUser, command: string, options: Record<string, string> = {}): Raw {
  return base(2, user, {
    id: IDS.command,
    name: command,
    type: 1,
    guild_id: IDS.guild,
    options: Object.entries(options).map(([name, value]) => ({ type: 3, name, value })),
  });
}

/** Typing into an option of a command of its own (`/incident-ci`): Discord asks the bot for choices (type 4). */
export function autocomplete(user: DiscordUser, command: string, options: Record<string, string>, focused: string): Raw {
  return base(4, user, {
    id: IDS.command,
    name: command,
    type: 1,
    guild_id: IDS.guild,
    options: Object.entries(options).map(([name, value]) => ({ type: 3, name, value, ...(name === focused ? { focused: true } : {}) })),
  });
}

/** Typing into an option of an `/incident` subcommand (`/incident report ci:`). */
export function subcommandAutocomplete(user: DiscordUser, sub: string, options: Record<string, string>, focused: string): Raw {
  return base(4, user, {
    id: IDS.command,
    name: 'incident',
    type: 1,
    guild_id: IDS.guild,
    options: [{ type: 1, name: sub, options: Object.entries(options).map(([name, value]) => ({ type: 3, name, value, ...(name === focused ? { focused: true } : {}) })) }],
  });
}

/** The "Report as incident" message context menu on `target`. */
export function messageCommand(user: DiscordUser, target: Raw): Raw {
  return base(2, user, { id: snowflake(), name: 'Report as incident', type: 3, guild_id: IDS.guild, target_id: target.id, resolved: { messages: { [target.id]: target } } });
}

/** A button press on `message` (the message as the bot posted it, components included). */
export function button(user: DiscordUser, customId: string, message: Raw): Raw {
  return base(3, user, { custom_id: customId, component_type: 2 }, { message }, message.channel_id ?? IDS.serviceDesk);
}

export function select(user: DiscordUser, customId: string, values: string[], message: Raw): Raw {
  return base(3, user, { custom_id: customId, component_type: 3, values }, { message }, message.channel_id ?? IDS.serviceDesk);
}

/**
 * A modal submit built from the modal the bot showed: every Label's input answered from `values`
 * (by custom id), otherwise with what the modal pre-filled.
 */
export function modalSubmit(user: DiscordUser, modal: Raw, values: Record<string, string>, message?: Raw): Raw {
  let n = 0;
  const components = modal.components.map((label: Raw) => {
    const c = label.component;
    n += 2;
    if (c.type === 4) return { type: 18, id: n - 1, component: { type: 4, id: n, custom_id: c.custom_id, value: values[c.custom_id] ?? c.value ?? '' } };
    const chosen = values[c.custom_id] ?? c.options.find((o: Raw) => o.default)?.value;
    return { type: 18, id: n - 1, component: { type: 3, id: n, custom_id: c.custom_id, values: chosen ? [chosen] : [] } };
  });
  return base(5, user, { custom_id: modal.custom_id, components }, message ? { message } : {});
}

/** A message as Discord returns it (for context menus and component interactions). */
export function messageOf(body: Raw, options: { id?: string; channelId?: string; author?: DiscordUser; ephemeral?: boolean } = {}): Raw {
  const author = options.author ?? { id: IDS.app, username: 'incident-bot' };
  return {
    id: options.id ?? snowflake(),
    channel_id: options.channelId ?? IDS.serviceDesk,
    type: 0,
    content: body.content ?? '',
    embeds: body.embeds ?? [],
    components: body.components ?? [],
    attachments: [],
    author: { id: author.id, username: author.username, discriminator: '0', global_name: null, avatar: null, ...(options.author ? {} : { bot: true }) },
    timestamp: new Date().toISOString(),
    edited_timestamp: null,
    flags: options.ephemeral ? 64 : 0,
    mentions: [],
    mention_roles: [],
    mention_everyone: false,
    pinned: false,
    tts: false,
  };
}

/** The custom id of the first button in `message` whose label matches. */
export function buttonId(message: Raw, label: string | RegExp): string {
  for (const row of message.components ?? []) {
    for (const c of row.components ?? []) {
      if (c.type === 2 && (typeof label === 'string' ? c.label === label : label.test(c.label))) return c.custom_id;
    }
  }
  throw new Error(`no button "${String(label)}" in ${JSON.stringify((message.components ?? []).flatMap((r: Raw) => r.components.map((c: Raw) => c.label ?? c.custom_id)))}`);
}

/** The custom id of the select in `message` whose placeholder matches. */
export function selectId(message: Raw, placeholder: RegExp): string {
  for (const row of message.components ?? []) for (const c of row.components ?? []) if (c.type === 3 && placeholder.test(c.placeholder ?? '')) return c.custom_id;
  throw new Error(`no select ${String(placeholder)}`);
}
