import { parseIncidentRef } from '../domain/incident.js';
import { LOCALES, catalog, word } from '../i18n/index.js';
import type { CommandDef, RawArgs } from './command.js';

/**
 * All commands by name, alias, and name in each language ("派单 42" is "dispatch 42"); a duplicate
 * is a start-up error, not a silent override.
 */
export class CommandRegistry {
  private readonly byName = new Map<string, CommandDef>();

  constructor(readonly commands: readonly CommandDef[]) {
    for (const command of commands) {
      const translated = LOCALES.map((locale) => word(catalog(locale).names, command.name)).filter((n): n is string => Boolean(n) && n !== command.name);
      for (const name of [command.name, ...(command.aliases ?? []), ...new Set(translated)]) {
        if (this.byName.has(name)) throw new Error(`two commands are named "${name}"`);
        this.byName.set(name, command);
      }
    }
  }

  get(name: string): CommandDef | undefined {
    return this.byName.get(name.toLowerCase());
  }

  /**
   * Parses typed text such as "accept INC-000042", "show 42" or "report Printer on fire":
   * the first word names the command, an incident reference follows where the command takes one,
   * and the rest fills the positional arguments (the last one takes all remaining words).
   * A command word followed by words that do not fit it is not a command: "Card update fails" is
   * text (a report title, say), not "show" with junk after it.
   */
  parseText(text: string): { name: string; args: RawArgs } | undefined {
    const words = text.trim().replace(/^\/incident\b/i, '').trim().split(/\s+/).filter(Boolean);
    const [first, ...rest] = words;
    if (!first) return { name: 'help', args: {} };
    const command = this.get(first);
    if (!command) return undefined;
    const args: RawArgs = {};
    if (command.takesIncident && rest[0] && parseIncidentRef(rest[0])) args.id = rest.shift();
    const positional = command.positional ?? [];
    // Words after a command that acts on an incident, but no incident: "Rate limited card" is a title, not "rate".
    if (command.takesIncident && !args.id && rest.length > 0) return undefined;
    if (rest.length > 0 && positional.length === 0) return undefined;
    positional.forEach((name, i) => {
      const value = i === positional.length - 1 ? rest.slice(i).join(' ') : rest[i];
      if (value) args[name] = value;
    });
    return { name: command.name, args };
  }
}
