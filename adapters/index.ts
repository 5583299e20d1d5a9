import type { AdapterHost, PlatformAdapter } from '../src/app/platform.js';
import { createDiscordAdapter } from './discord/discord.adapter.js';
import { createSlackAdapter } from './slack/slack.adapter.js';

/**
 * The platform adapters the environment asks for. Each platform adds one line here;
 * the terminal chat (adapters/shell) is started by main.ts itself.
 */
export function createPlatformAdapters(host: AdapterHost): PlatformAdapter[] {
  const adapters: PlatformAdapter[] = [];
  if (host.env.SLACK_BOT_TOKEN) adapters.push(createSlackAdapter(host));
  if (host.env.DISCORD_TOKEN) adapters.push(createDiscordAdapter(host));
  return adapters;
}
