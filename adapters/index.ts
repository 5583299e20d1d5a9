import type { AdapterHost, PlatformAdapter } from '../src/app/platform.js';

/**
 * The platform adapters the environment asks for. Each platform adds one line here;
 * the terminal chat (adapters/shell) is started by main.ts itself.
 */
export function createPlatformAdapters(host: AdapterHost): PlatformAdapter[] {
  const adapters: PlatformAdapter[] = [];
  void host;
  return adapters;
}
