import { escapeMarkdown } from 'discord.js';

/** Discord's documented limits (PLATFORMS.md); anything longer is cut with a visible "…". */
export const LIMITS = {
  content: 2000,
  embedTitle: 256,
  embedDescription: 4096,
  embedFields: 25,
  fieldName: 256,
  fieldValue: 1024,
  embedTotal: 6000,
  buttonLabel: 80,
  customId: 100,
  selectOptions: 25,
  optionLabel: 100,
  optionValue: 100,
  placeholder: 150,
  modalTitle: 45,
  modalComponents: 5,
  labelText: 45,
  labelDescription: 100,
  textInput: 4000,
  rowsPerMessage: 5,
  buttonsPerRow: 5,
  channelName: 100,
  threadName: 100,
} as const;

/** Cuts to `max` characters, ending with "…" when something was removed. */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let kept = text.slice(0, Math.max(0, max - 1));
  // Never leave a dangling escape or half a surrogate pair before the ellipsis.
  while (kept.endsWith('\\') || /[\uD800-\uDBFF]$/.test(kept)) kept = kept.slice(0, -1);
  return `${kept}…`;
}

/**
 * User text made inert for Discord: Markdown escaped and @everyone/@here broken with a zero-width
 * space. Pings are already off (allowedMentions), this also keeps the text looking as typed.
 */
export function safe(text: string): string {
  return escapeMarkdown(text).replace(/@(everyone|here)/gi, '@\u200b$1');
}

/** Safe and cut: the usual treatment of any text shown in a message. */
export function show(text: string, max: number): string {
  return cut(safe(text), max);
}

/** No pings from anything the bot sends, unless a caller adds explicit users or roles. */
export const NO_MENTIONS = { parse: [] as [] };
