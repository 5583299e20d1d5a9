/**
 * Text rules for Block Kit (PLATFORMS.md "Limits" and "Escaping"): user text is escaped for mrkdwn
 * so it can never mention anyone, and cut to Slack's limits with a visible "…".
 */
export const LIMITS = {
  blocksPerMessage: 50,
  blocksPerView: 100,
  sectionText: 3000,
  field: 2000,
  fieldsPerSection: 10,
  buttonText: 75,
  buttonValue: 2000,
  actionsPerBlock: 25,
  id: 255,
  viewTitle: 24,
  privateMetadata: 3000,
  optionText: 75,
  optionsPerSelect: 100,
  plainInput: 3000,
  headerText: 150,
  fallbackText: 3000,
} as const;

/** Escapes the three characters mrkdwn gives meaning to; `<!channel>`, `<@U…>` and links become plain text. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Cuts to `max` characters (code points), ending with "…" when something was cut. */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  return `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

/** Escapes, then trims, without cutting an entity such as `&amp;` in half. */
export function safeMrkdwn(text: string, max: number = LIMITS.sectionText): string {
  const escaped = escapeMrkdwn(text);
  if ([...escaped].length <= max) return escaped;
  const cut = truncate(escaped, max);
  // A cut inside "&amp;"/"&lt;"/"&gt;" would leave a broken entity: drop the partial one.
  return cut.replace(/&[a-z]{0,3}…$/, '…');
}

/** One option of a select menu (in a modal, or loaded from the bot as a menu opens): its label trimmed, its value within Slack's 150 characters. */
export function selectOption(label: string, value: string): SelectOption {
  return { text: plain(label, LIMITS.optionText), value: value.slice(0, 150) };
}

export interface SelectOption {
  text: { type: 'plain_text'; text: string; emoji: boolean };
  value: string;
}

/** Plain text (no mrkdwn parsing) only needs trimming. */
export function plain(text: string, max: number): { type: 'plain_text'; text: string; emoji: boolean } {
  return { type: 'plain_text', text: truncate(text || ' ', max), emoji: true };
}

export function mrkdwn(text: string): { type: 'mrkdwn'; text: string } {
  return { type: 'mrkdwn', text };
}
