import { defineCommand, type CommandDef } from '../src/app/command.js';
import { word } from '../src/i18n/index.js';

/** Help is built from the command declarations themselves, so it cannot drift from them. */
export function helpCommand(all: () => readonly CommandDef[]): CommandDef {
  return defineCommand({
    name: 'help',
    aliases: ['?'],
    takesIncident: false,
    fields: () => [],
    async run(ctx) {
      const lines = all().map((c) => {
        // In another language its own word for the command works too: "dispatch / 派单 INC-…".
        const local = word(ctx.m.names, c.name);
        const name = local && local !== c.name ? `${c.name} / ${local}` : c.name;
        const usage = `${name}${c.takesIncident ? ' INC-…' : ''}${c.positional?.length ? ` [${c.positional.join(' ')}]` : ''}`;
        const aliases = c.aliases?.length ? ` ${ctx.m.reply.also({ words: c.aliases.join(', ') })}` : '';
        return `${usage} — ${word(ctx.m.help, c.name) ?? ''}${aliases}`;
      });
      return { ephemeral: true, text: ctx.m.reply.helpHeading, lines };
    },
  });
}
