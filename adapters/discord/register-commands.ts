import { pathToFileURL } from 'node:url';
import { REST, Routes } from 'discord.js';
import { createRegistry } from '../../commands/index.js';
import { EnvError, loadEnv, type Env } from '../../src/config/env.js';
import { catalog } from '../../src/i18n/index.js';
import { restBase } from './discord.adapter.js';
import { applicationCommands } from './discord.commands.js';

/**
 * `npm run discord:register`: replaces the application's commands with /incident and "Report as
 * incident" in one bulk PUT. With DISCORD_GUILD_ID the commands are guild-scoped (available at
 * once); without it they are global (Discord may take a while to show them everywhere).
 */
export async function registerCommands(env: Env, print: (line: string) => void = console.log): Promise<number> {
  if (!env.DISCORD_TOKEN || !env.DISCORD_APPLICATION_ID) throw new EnvError('Set DISCORD_TOKEN and DISCORD_APPLICATION_ID to register commands.');
  const rest = new REST({ ...restBase(env.DISCORD_API_URL) }).setToken(env.DISCORD_TOKEN);
  const body = applicationCommands(createRegistry(), catalog());
  const route = env.DISCORD_GUILD_ID
    ? Routes.applicationGuildCommands(env.DISCORD_APPLICATION_ID, env.DISCORD_GUILD_ID)
    : Routes.applicationCommands(env.DISCORD_APPLICATION_ID);
  const saved = (await rest.put(route, { body })) as { name: string; id: string; type: number; options?: { name: string }[] }[];
  const scope = env.DISCORD_GUILD_ID ? `guild ${env.DISCORD_GUILD_ID} (available now)` : 'globally (may take up to an hour to appear)';
  print(`Registered ${saved.length} command(s) for application ${env.DISCORD_APPLICATION_ID} ${scope}:`);
  for (const command of saved) {
    const subs = command.options?.map((o) => o.name).join(', ');
    print(`  ${command.type === 3 ? 'message menu' : '/'}${command.type === 3 ? ` "${command.name}"` : command.name}${subs ? ` — ${subs}` : ''} (id ${command.id})`);
  }
  return saved.length;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  registerCommands(loadEnv()).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
