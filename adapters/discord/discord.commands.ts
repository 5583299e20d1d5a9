import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  InteractionContextType,
  type RESTPostAPIApplicationCommandsJSONBody,
} from 'discord.js';
import type { CommandDef } from '../../src/app/command.js';
import type { CommandRegistry } from '../../src/app/registry.js';
import { catalog, word, type Catalog } from '../../src/i18n/index.js';
import { cut } from './discord.text.js';

export const SLASH_COMMAND = 'incident';

/**
 * Commands that are slash commands of their own, because one command holds at most 25
 * subcommands: `/incident-search <text>` runs `search`.
 */
export const OWN_COMMANDS: Readonly<Record<string, string>> = {
  'incident-search': 'search', 'incident-ci': 'ci', 'incident-kb': 'kb',
  // After closure (mostly pressed as buttons; typed here): verification, correction, rating, problems, follow-up calls.
  'incident-verify': 'verify', 'incident-return': 'return', 'incident-correct': 'correct', 'incident-rate': 'rate',
  'incident-problem': 'problem', 'incident-followup': 'followup',
  // A major incident: its recovery plan, its communication plan, its post-incident review.
  'incident-plan': 'plan', 'incident-comms': 'comms', 'incident-review': 'review',
  // The process owner's numbers.
  'incident-kpi': 'kpi',
  // Following a service's state (told when it is interrupted and when it is restored).
  'incident-subscribe': 'subscribe', 'incident-unsubscribe': 'unsubscribe',
};

/** Languages Discord clients show our commands in, beyond English (Discord's locale names). */
const LOCALIZED = { 'zh-CN': catalog('zh-CN') } as const;

/** `{ "zh-CN": … }` for one text, taken from each language's catalog. */
function localized(text: (m: Catalog) => string | undefined, max: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [locale, m] of Object.entries(LOCALIZED)) {
    const value = text(m);
    if (value) out[locale] = cut(value, max);
  }
  return out;
}

/** A Discord name: lower case, at most 32 characters (Chinese characters count as letters). */
const name = (key: string) => (m: Catalog) => word(m.names, key)?.toLowerCase();

function describe(command: CommandDef, m: Catalog): string {
  return word(m.help, command.name) ?? command.name;
}

function optionsOf(command: CommandDef, m: Catalog, required: boolean) {
  return [
    ...(command.takesIncident
      ? [{
          type: ApplicationCommandOptionType.String as const, name: 'id', name_localizations: localized(name('id'), 32),
          description: m.discord.idOption, description_localizations: localized((l) => l.discord.idOption, 100), required: false, max_length: 20,
        }]
      : []),
    ...(command.positional ?? []).map((option) => ({
      type: ApplicationCommandOptionType.String as const,
      name: option.toLowerCase(),
      name_localizations: localized(name(option), 32),
      description: cut(word(m.field, option) ?? option, 100),
      description_localizations: localized((l) => word(l.field, option), 100),
      required,
      max_length: 200,
    })),
  ];
}

const STATUS_CHOICES = ['active', 'open', 'assigned', 'in_progress', 'pending_change', 'suspended', 'resolved', 'closed'] as const;
const SORT_CHOICES = ['best', 'newest', 'oldest', 'priority'] as const;

/**
 * `/incident-search`'s filters as Discord options, so a client offers them (with their choices) in
 * its own language; the interaction writes them back as the search's `key:value` text.
 */
function searchFilterOptions(m: Catalog) {
  const choice = (value: string, label: (l: Catalog) => string) => ({ name: cut(label(m), 100), name_localizations: localized(label, 100), value });
  const statusLabel = (s: (typeof STATUS_CHOICES)[number]) => (l: Catalog) => (s === 'active' ? l.search.active : l.status[s]);
  const option = (key: 'status' | 'priority' | 'sort', description: (l: Catalog) => string, choices: { name: string; value: string }[]) => ({
    type: ApplicationCommandOptionType.String as const, name: key, name_localizations: localized(name(key), 32),
    description: cut(description(m), 100), description_localizations: localized(description, 100), required: false, choices,
  });
  const flag = (key: 'overdue' | 'major' | 'unassigned', description: (l: Catalog) => string) => ({
    type: ApplicationCommandOptionType.Boolean as const, name: key, name_localizations: localized(name(key), 32),
    description: cut(description(m), 100), description_localizations: localized(description, 100), required: false,
  });
  // Looked up as they are typed (the bot answers autocomplete): the groups, the people, the catalog's CIs.
  const lookedUp = (key: 'group' | 'assignee' | 'ci', description: (l: Catalog) => string) => ({
    type: ApplicationCommandOptionType.String as const, name: key, name_localizations: localized(name(key), 32),
    description: cut(description(m), 100), description_localizations: localized(description, 100), required: false, autocomplete: true, max_length: 100,
  });
  return [
    option('status', (l) => l.search.status, STATUS_CHOICES.map((s) => choice(s, statusLabel(s)))),
    option('priority', (l) => l.search.priority, ['P1', 'P2', 'P3', 'P4'].map((p) => ({ name: p, value: p }))),
    flag('overdue', (l) => l.search.overdue),
    flag('major', (l) => l.search.major),
    flag('unassigned', (l) => l.search.unassigned),
    option('sort', (l) => l.search.sort, SORT_CHOICES.map((s) => choice(s, (l) => l.search.sorts[s]))),
    lookedUp('group', (l) => l.search.group),
    lookedUp('assignee', (l) => l.search.assignee),
    lookedUp('ci', (l) => l.search.ci),
  ];
}

/**
 * `/incident report`'s CI, looked up in the catalog as it is typed (a modal cannot autocomplete):
 * the report form opens with it, and typed text that is not in the catalog stays possible.
 */
function reportCiOption(m: Catalog) {
  return {
    type: ApplicationCommandOptionType.String as const, name: 'ci', name_localizations: localized(name('ci'), 32),
    description: cut(m.discord.reportCiOption, 100), description_localizations: localized((l) => l.discord.reportCiOption, 100), required: false, autocomplete: true, max_length: 100,
  };
}

/**
 * The application commands, derived from the command declarations so they cannot drift: one
 * `/incident` with a subcommand per command (an optional incident id where it takes one, the
 * typed positional arguments), the commands of their own, and the "Report as incident" message
 * context menu. Every name and description carries its Chinese localization, so a Chinese
 * Discord client shows /事件 报告 …; the names the bot receives stay the English ones.
 */
export function applicationCommands(registry: CommandRegistry, m: Catalog): RESTPostAPIApplicationCommandsJSONBody[] {
  const own = new Set(Object.values(OWN_COMMANDS));
  const listed = registry.commands.filter((c) => !own.has(c.name) && !c.buttonOnly);
  if (listed.length > 25) throw new Error(`Discord allows 25 subcommands; /${SLASH_COMMAND} would have ${listed.length}: give one a command of its own (OWN_COMMANDS)`);
  const subcommands = listed.map((command) => ({
    type: ApplicationCommandOptionType.Subcommand as const,
    name: command.name,
    name_localizations: localized(name(command.name), 32),
    description: cut(describe(command, m), 100),
    description_localizations: localized((l) => describe(command, l), 100),
    options: [...optionsOf(command, m, false), ...(command.name === 'report' ? [reportCiOption(m)] : [])],
  }));
  const ownCommands = Object.entries(OWN_COMMANDS).flatMap(([slash, commandName]) => {
    const command = registry.get(commandName);
    if (!command) return [];
    return [{
      type: ApplicationCommandType.ChatInput as const,
      name: slash,
      name_localizations: localized((l) => `${name(SLASH_COMMAND)(l) ?? SLASH_COMMAND}-${name(commandName)(l) ?? commandName}`, 32),
      description: cut(commandName === 'search' ? m.discord.searchCommandDescription : describe(command, m), 100),
      description_localizations: localized((l) => (commandName === 'search' ? l.discord.searchCommandDescription : describe(command, l)), 100),
      contexts: [InteractionContextType.Guild],
      options: [
        // /incident-ci looks CIs up as they are typed (autocomplete from the catalog).
        ...optionsOf(command, m, false).map((o) => (commandName === 'ci' && o.name === 'action' ? { ...o, autocomplete: true } : o)),
        ...(commandName === 'search' ? searchFilterOptions(m) : []),
      ],
    }];
  });
  return [
    {
      type: ApplicationCommandType.ChatInput,
      name: SLASH_COMMAND,
      name_localizations: localized((l) => l.names.incident, 32),
      description: cut(m.discord.commandDescription, 100),
      description_localizations: localized((l) => l.discord.commandDescription, 100),
      contexts: [InteractionContextType.Guild],
      options: subcommands,
    },
    ...ownCommands,
    {
      type: ApplicationCommandType.Message,
      name: m.discord.reportFromMessage,
      name_localizations: localized((l) => l.discord.reportFromMessage, 32),
      contexts: [InteractionContextType.Guild],
    },
  ];
}
