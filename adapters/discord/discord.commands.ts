import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  InteractionContextType,
  type RESTPostAPIApplicationCommandsJSONBody,
} from 'discord.js';
import type { CommandRegistry } from '../../src/app/registry.js';
import type { Catalog } from '../../src/i18n/index.js';
import { cut } from './discord.text.js';
import { word } from '../../src/i18n/index.js';

export const SLASH_COMMAND = 'incident';

/**
 * The application commands, derived from the command declarations so they cannot drift: one
 * `/incident` with a subcommand per command (an optional incident id where it takes one, the
 * typed positional arguments), and the "Report as incident" message context menu.
 */
export function applicationCommands(registry: CommandRegistry, m: Catalog): RESTPostAPIApplicationCommandsJSONBody[] {
  const subcommands = registry.commands.slice(0, 25).map((command) => ({
    type: ApplicationCommandOptionType.Subcommand as const,
    name: command.name,
    description: cut(word(m.help, command.name) ?? command.name, 100),
    options: [
      ...(command.takesIncident
        ? [{ type: ApplicationCommandOptionType.String as const, name: 'id', description: m.discord.idOption, required: false, max_length: 20 }]
        : []),
      ...(command.positional ?? []).map((name) => ({
        type: ApplicationCommandOptionType.String as const,
        name: name.toLowerCase(),
        description: cut(word(m.field, name) ?? name, 100),
        required: false,
        max_length: 200,
      })),
    ],
  }));
  return [
    {
      type: ApplicationCommandType.ChatInput,
      name: SLASH_COMMAND,
      description: cut(m.discord.commandDescription, 100),
      contexts: [InteractionContextType.Guild],
      options: subcommands,
    },
    { type: ApplicationCommandType.Message, name: m.discord.reportFromMessage, contexts: [InteractionContextType.Guild] },
  ];
}
