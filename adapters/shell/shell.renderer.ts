import type { ActionButton, CardView, FormField, Reply } from '../../src/app/view.js';
import type { Catalog } from '../../src/i18n/index.js';

/** Renders the neutral reply as terminal text; buttons become numbered choices. */
export function renderReply(reply: Reply, m: Catalog): { text: string; buttons: ActionButton[] } {
  const out: string[] = [];
  if (reply.text) out.push(reply.error ? `! ${reply.text}` : reply.text);
  for (const line of reply.lines ?? []) out.push(`  ${line}`);
  for (const section of reply.sections ?? []) {
    out.push(`${section.heading}:`);
    for (const item of section.items) out.push(`  ${item.line}`);
  }
  let buttons: ActionButton[] = [];
  if (reply.card) {
    out.push(...renderCard(reply.card));
    buttons = reply.card.actions;
    if (buttons.length > 0) {
      out.push(`  ${buttons.map((b, i) => `[${i + 1}] ${b.label}`).join('  ')}`);
      out.push(`  (${m.shell.buttonsHint})`);
    }
  }
  return { text: out.join('\n'), buttons };
}

export function renderCard(card: CardView): string[] {
  const lines = [`┌─ ${card.title}`];
  if (card.subtitle) lines.push(`│ ${card.subtitle.split('\n').join('\n│ ')}`);
  for (const field of card.fields) lines.push(`│ ${field.label}: ${field.value}`);
  lines.push('└─');
  return lines;
}

export function fieldPrompt(field: FormField, m: Catalog, error?: string): string {
  const lines: string[] = [];
  if (error) lines.push(`! ${error}`);
  const optional = field.required ? '' : ` (${m.shell.optional})`;
  const initial = field.initial ? ` [${field.initial}]` : '';
  if (field.options) {
    lines.push(`${field.label}${optional}:`);
    field.options.forEach((o, i) => lines.push(`  ${i + 1}) ${o.label}`));
    return `${lines.join('\n')}\n${m.shell.choice}${initial}: `;
  }
  return `${lines.length ? `${lines.join('\n')}\n` : ''}${field.label}${optional}${initial}: `;
}
