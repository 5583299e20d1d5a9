import {
  ButtonStyle,
  ComponentType,
  type APIActionRowComponent,
  type APIButtonComponent,
  type APIComponentInMessageActionRow,
  type APIEmbed,
  type APIStringSelectComponent,
} from 'discord.js';
import { fileBytes, filesOf, type ActionButton, type CardView, type Colour, type Reply } from '../../src/app/view.js';
import type { Catalog } from '../../src/i18n/index.js';
import { encodeRef } from './custom-id.js';
import { LIMITS, NO_MENTIONS, cut, show } from './discord.text.js';

/**
 * The one place the neutral Reply model becomes Discord messages: embeds for cards, button rows
 * for actions, a select for queues. Everything is cut to Discord's limits with "…" and sent with
 * pings off (allowedMentions `parse: []`).
 */
export type MessageRow = APIActionRowComponent<APIComponentInMessageActionRow>;

export interface DiscordMessage {
  content?: string;
  embeds: APIEmbed[];
  components: MessageRow[];
  allowed_mentions: { parse: []; users?: string[]; roles?: string[] };
  /** Attached files (a CSV export), sent as multipart with the message. */
  files?: { name: string; content: string; encoding?: 'base64' }[];
}

const COLOURS: Record<Colour, number> = {
  red: 0xd83c3e,
  orange: 0xe67e22,
  yellow: 0xf1c40f,
  blue: 0x3498db,
  green: 0x2ecc71,
  grey: 0x95a5a6,
};

export function renderReply(reply: Reply, m: Catalog): DiscordMessage {
  const embeds: APIEmbed[] = [];
  const components: MessageRow[] = [];
  const textParts: string[] = [];
  if (reply.text) textParts.push(show(reply.text, LIMITS.content));
  if (reply.lines?.length) {
    embeds.push({ description: cut(reply.lines.map((l) => show(l, 400)).join('\n'), LIMITS.embedDescription) });
  }
  if (reply.sections?.length) {
    for (const section of reply.sections.slice(0, 9)) {
      embeds.push({
        title: show(section.heading, LIMITS.embedTitle),
        description: cut(section.items.map((i) => `• ${show(i.line, 300)}`).join('\n'), LIMITS.embedDescription),
      });
    }
    const ids = [...new Set(reply.sections.flatMap((s) => s.items.map((i) => i.incidentId)))].slice(0, LIMITS.selectOptions);
    if (ids.length > 0) components.push(pickRow('show', ids, m.discord.showIncident));
  }
  if (reply.card) {
    embeds.push(cardEmbed(reply.card));
    components.push(...buttonRows(reply.card.actions, LIMITS.rowsPerMessage - components.length));
  }
  const message = fitEmbeds({ content: textParts.join('\n') || undefined, embeds, components, allowed_mentions: NO_MENTIONS });
  const files = filesOf(reply);
  return files.length > 0 ? { ...message, files: files.map((f) => ({ name: f.name, content: f.content, ...(f.encoding ? { encoding: f.encoding } : {}) })) } : message;
}

/** The shared card message (service-desk channel, war room): the card alone, with every allowed button. */
export function renderCardMessage(card: CardView, content?: string): DiscordMessage {
  return fitEmbeds({
    ...(content ? { content: show(content, LIMITS.content) } : {}),
    embeds: [cardEmbed(card)],
    components: buttonRows(card.actions, LIMITS.rowsPerMessage),
    allowed_mentions: NO_MENTIONS,
  });
}

/** A plain text message (notifications, thread updates), pings off. */
export function renderText(text: string): DiscordMessage {
  return { content: show(text, LIMITS.content), embeds: [], components: [], allowed_mentions: NO_MENTIONS };
}

export function cardEmbed(card: CardView): APIEmbed {
  return {
    title: show(card.title, LIMITS.embedTitle),
    description: card.subtitle ? show(card.subtitle, 2000) : undefined,
    color: COLOURS[card.colour],
    fields: card.fields.slice(0, LIMITS.embedFields).map((f) => ({
      name: show(f.label, LIMITS.fieldName),
      value: show(f.value || '—', LIMITS.fieldValue),
      inline: f.short ?? false,
    })),
    footer: { text: card.incidentId },
  };
}

export function buttonRows(actions: ActionButton[], maxRows: number): MessageRow[] {
  const buttons: APIButtonComponent[] = actions.slice(0, maxRows * LIMITS.buttonsPerRow).map((a) => ({
    type: ComponentType.Button,
    style: a.style === 'primary' ? ButtonStyle.Primary : a.style === 'danger' ? ButtonStyle.Danger : ButtonStyle.Secondary,
    label: cut(a.label, LIMITS.buttonLabel),
    custom_id: encodeRef({ kind: 'action', command: a.command, args: a.args }),
  }));
  const rows: MessageRow[] = [];
  for (let i = 0; i < buttons.length; i += LIMITS.buttonsPerRow) {
    rows.push({ type: ComponentType.ActionRow, components: buttons.slice(i, i + LIMITS.buttonsPerRow) });
  }
  return rows;
}

function pickRow(command: string, ids: string[], placeholder: string): MessageRow {
  const select: APIStringSelectComponent = {
    type: ComponentType.StringSelect,
    custom_id: encodeRef({ kind: 'pick', command }),
    placeholder: cut(placeholder, LIMITS.placeholder),
    options: ids.map((id) => ({ label: id, value: id })),
  };
  return { type: ComponentType.ActionRow, components: [select] };
}

/** Keeps the sum of all embed text under Discord's 6000 characters by shortening descriptions. */
function fitEmbeds(message: DiscordMessage): DiscordMessage {
  const size = (e: APIEmbed) =>
    (e.title?.length ?? 0) + (e.description?.length ?? 0) + (e.footer?.text.length ?? 0) +
    (e.fields ?? []).reduce((n, f) => n + f.name.length + f.value.length, 0);
  let total = message.embeds.reduce((n, e) => n + size(e), 0);
  for (const embed of message.embeds) {
    if (total <= LIMITS.embedTotal) break;
    if (!embed.description) continue;
    const keep = Math.max(1, embed.description.length - (total - LIMITS.embedTotal));
    total -= embed.description.length - keep;
    embed.description = cut(embed.description, keep);
  }
  return message;
}

/** discord.js option names for the same message (interaction replies go through discord.js). */
export function forInteraction(message: DiscordMessage) {
  return {
    content: message.content ?? '',
    embeds: message.embeds,
    components: message.components,
    allowedMentions: { parse: [] as [], ...(message.allowed_mentions.users ? { users: message.allowed_mentions.users } : {}) },
    ...(message.files ? { files: message.files.map((f) => ({ attachment: fileBytes(f), name: f.name })) } : {}),
  };
}
