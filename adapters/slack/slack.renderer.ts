import type { ActionButton, CardView, Colour, FormField, FormView, ListSection, Reply } from '../../src/app/view.js';
import { LIMITS, mrkdwn, plain, safeMrkdwn, selectOption, truncate } from './slack.text.js';

/**
 * The one place the neutral reply model becomes Block Kit: cards, lists, forms (modals).
 * Every piece of user text goes through `safeMrkdwn` or `plain`, so nothing can mention anyone.
 */
export interface SlackBlock {
  type: string;
  block_id?: string;
  [key: string]: unknown;
}

export interface SlackMessage {
  /** Notification / fallback text (also escaped: Slack parses it as mrkdwn). */
  text: string;
  blocks: SlackBlock[];
}

export interface SlackModal {
  type: 'modal';
  callback_id: string;
  title: ReturnType<typeof plain>;
  submit?: ReturnType<typeof plain>;
  close: ReturnType<typeof plain>;
  private_metadata: string;
  blocks: SlackBlock[];
}

/** What a button carries: the command to run, its args, and the incident revision the card showed. */
export interface ButtonValue {
  c: string;
  a: Record<string, string>;
  r?: number;
}

export const ACTION_PREFIX = 'incident:';
export const FORM_CALLBACK = 'incident_form';

const COLOUR_EMOJI: Record<Colour, string> = {
  red: '🔴', orange: '🟠', yellow: '🟡', blue: '🔵', green: '🟢', grey: '⚪',
};

export interface CardOptions {
  /** Revision of the incident shown, carried in each button so a double click acts once. */
  rev?: number;
  /** Lines (already mrkdwn-safe) shown under the card, e.g. the war-room link. */
  context?: string[];
  /** Only these commands get buttons (e.g. Confirm / Reopen in the reporter's DM). */
  only?: string[];
  /** No buttons at all (archives, summaries). */
  noButtons?: boolean;
}

export function renderCard(card: CardView, options: CardOptions = {}): SlackBlock[] {
  const blocks: SlackBlock[] = [
    { type: 'section', block_id: `card:${card.incidentId}`, text: mrkdwn(`${COLOUR_EMOJI[card.colour]} *${safeMrkdwn(card.title, 300)}*`) },
  ];
  if (card.subtitle) blocks.push({ type: 'section', text: mrkdwn(safeMrkdwn(card.subtitle, LIMITS.sectionText)) });
  const short = card.fields.filter((f) => f.short);
  const long = card.fields.filter((f) => !f.short);
  for (let i = 0; i < short.length; i += LIMITS.fieldsPerSection) {
    blocks.push({
      type: 'section',
      fields: short.slice(i, i + LIMITS.fieldsPerSection).map((f) => mrkdwn(`*${safeMrkdwn(f.label, 200)}*\n${safeMrkdwn(f.value, LIMITS.field - 250)}`)),
    });
  }
  for (const field of long) {
    blocks.push({ type: 'section', text: mrkdwn(`*${safeMrkdwn(field.label, 200)}*\n${safeMrkdwn(field.value, LIMITS.sectionText - 250)}`) });
  }
  if (options.context?.length) blocks.push({ type: 'context', elements: options.context.map((line) => mrkdwn(truncate(line, LIMITS.sectionText))) });
  if (!options.noButtons) {
    const buttons = options.only ? card.actions.filter((a) => options.only!.includes(a.command)) : card.actions;
    blocks.push(...renderButtons(buttons, `actions:${card.incidentId}`, options.rev ?? card.rev));
  }
  return blocks;
}

/** Buttons in actions blocks of at most 25; action ids are unique within the message. */
export function renderButtons(buttons: ActionButton[], blockPrefix: string, rev?: number): SlackBlock[] {
  const blocks: SlackBlock[] = [];
  for (let i = 0; i < buttons.length; i += LIMITS.actionsPerBlock) {
    blocks.push({
      type: 'actions',
      block_id: truncate(`${blockPrefix}:${i / LIMITS.actionsPerBlock}`, LIMITS.id),
      elements: buttons.slice(i, i + LIMITS.actionsPerBlock).map((button, j) => renderButton(button, i + j, rev)),
    });
  }
  return blocks;
}

function renderButton(button: ActionButton, index: number, rev?: number): Record<string, unknown> {
  const value: ButtonValue = { c: button.command, a: button.args, ...(rev !== undefined ? { r: rev } : {}) };
  return {
    type: 'button',
    action_id: truncate(`${ACTION_PREFIX}${button.command}:${index}`, LIMITS.id),
    text: plain(button.label, LIMITS.buttonText),
    value: JSON.stringify(value).slice(0, LIMITS.buttonValue),
    ...(button.style ? { style: button.style } : {}),
  };
}

export function parseButtonValue(value: string | undefined): ButtonValue | undefined {
  if (!value) return undefined;
  try {
    const parsed = JSON.parse(value) as Partial<ButtonValue>;
    if (typeof parsed.c !== 'string' || typeof parsed.a !== 'object' || parsed.a === null) return undefined;
    const args = Object.fromEntries(Object.entries(parsed.a).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
    return { c: parsed.c, a: args, ...(typeof parsed.r === 'number' ? { r: parsed.r } : {}) };
  } catch {
    return undefined;
  }
}

/** A reply as a message: text, card, list sections, lines; never more than Slack's 50 blocks. */
export function renderReply(reply: Reply, options: CardOptions = {}): SlackMessage {
  const blocks: SlackBlock[] = [];
  const textParts: string[] = [];
  if (reply.text) {
    blocks.push({ type: 'section', text: mrkdwn(safeMrkdwn(reply.text)) });
    textParts.push(reply.text);
  }
  if (reply.sections) blocks.push(...renderSections(reply.sections));
  if (reply.lines?.length) blocks.push(...textChunks(reply.lines.map((l) => safeMrkdwn(l, LIMITS.sectionText))));
  if (reply.card) {
    if (blocks.length > 0) blocks.push({ type: 'divider' });
    blocks.push(...renderCard(reply.card, options));
    if (textParts.length === 0) textParts.push(reply.card.title);
  }
  const text = safeMrkdwn(textParts.join('\n') || (reply.lines?.[0] ?? ' '), LIMITS.fallbackText);
  return { text, blocks: capBlocks(blocks, LIMITS.blocksPerMessage) };
}

/** Queue sections: a heading and one line per incident, each with a Show button. */
export function renderSections(sections: ListSection[], showLabel?: string): SlackBlock[] {
  const blocks: SlackBlock[] = [];
  for (const section of sections) {
    blocks.push({ type: 'section', text: mrkdwn(`*${safeMrkdwn(section.heading, 200)}*`) });
    if (!showLabel) {
      blocks.push(...textChunks(section.items.map((item) => `• ${safeMrkdwn(item.line, 500)}`)));
      continue;
    }
    for (const item of section.items) {
      blocks.push({
        type: 'section',
        text: mrkdwn(safeMrkdwn(item.line, 500)),
        accessory: renderButton({ label: showLabel, command: 'show', args: { id: item.incidentId } }, blocks.length),
      });
    }
  }
  return blocks;
}

/** Joins lines into as few section blocks as the 3000-character limit allows. */
function textChunks(lines: string[]): SlackBlock[] {
  const blocks: SlackBlock[] = [];
  let current = '';
  for (const line of lines) {
    if (current && current.length + line.length + 1 > LIMITS.sectionText) {
      blocks.push({ type: 'section', text: mrkdwn(current) });
      current = '';
    }
    current = current ? `${current}\n${line}` : truncate(line, LIMITS.sectionText);
  }
  if (current) blocks.push({ type: 'section', text: mrkdwn(current) });
  return blocks;
}

/** Keeps the first blocks and says, visibly, that the rest was cut. Action blocks (buttons) are kept. */
export function capBlocks(blocks: SlackBlock[], max: number): SlackBlock[] {
  if (blocks.length <= max) return blocks;
  const actions = blocks.filter((b) => b.type === 'actions').slice(0, 5);
  const rest = blocks.filter((b) => b.type !== 'actions').slice(0, max - actions.length - 1);
  return [...rest, { type: 'context', elements: [mrkdwn('…')] }, ...actions];
}

/** The modal for a form: one input block per field, block_id = action_id = field name. */
export function renderModal(form: FormView, privateMetadata: string, intro?: string): SlackModal {
  const blocks: SlackBlock[] = [];
  if (intro) blocks.push({ type: 'section', text: mrkdwn(safeMrkdwn(intro)) });
  if (form.errors && Object.keys(form.errors).length > 0) {
    // Shown when the form comes back through views.update, where field errors cannot be attached.
    blocks.push({ type: 'context', elements: [mrkdwn(safeMrkdwn(Object.values(form.errors).join('\n')))] });
  }
  for (const field of form.fields) blocks.push(renderInput(field));
  return {
    type: 'modal',
    callback_id: FORM_CALLBACK,
    title: plain(form.title, LIMITS.viewTitle),
    submit: plain(form.submitLabel, LIMITS.viewTitle),
    close: plain(form.cancelLabel, LIMITS.viewTitle),
    private_metadata: privateMetadata.slice(0, LIMITS.privateMetadata),
    blocks: blocks.slice(0, LIMITS.blocksPerView),
  };
}

const DATETIME_PLACEHOLDER = 'YYYY-MM-DD HH:MM';

/**
 * The fields of a form as this renderer showed them, read back from a submitted view's blocks
 * (Slack sends them with the submission): enough to check the answers in memory, with the schema
 * the form derives, before the ack.
 */
export function fieldsOfView(blocks: readonly SubmittedBlock[] | undefined): FormField[] {
  const fields: FormField[] = [];
  for (const block of blocks ?? []) {
    if (block.type !== 'input' || !block.block_id || !block.element) continue;
    const { element } = block;
    const label = block.label?.text ?? block.block_id;
    const base = { name: block.block_id, label, required: block.optional !== true };
    if (element.type === 'static_select') {
      fields.push({ ...base, type: 'select', options: (element.options ?? []).map((o) => ({ value: o.value, label: o.text?.text ?? o.value })) });
    } else if (element.type === 'external_select') {
      fields.push({ ...base, type: 'text', maxLength: 150 });
    } else {
      const type = element.placeholder?.text === DATETIME_PLACEHOLDER ? 'datetime' : element.multiline ? 'textarea' : 'text';
      fields.push({ ...base, type, ...(typeof element.max_length === 'number' ? { maxLength: element.max_length } : {}) });
    }
  }
  return fields;
}

/** An input block of a submitted view, as much of it as `fieldsOfView` reads. */
export interface SubmittedBlock {
  type: string;
  block_id?: string;
  optional?: boolean;
  label?: { text?: string };
  element?: { type?: string; multiline?: boolean; max_length?: number; placeholder?: { text?: string }; options?: { value: string; text?: { text?: string } }[] };
}

function renderInput(field: FormField): SlackBlock {
  const block: SlackBlock = {
    type: 'input',
    block_id: field.name,
    optional: !field.required,
    label: plain(field.label, 2000),
    element: renderElement(field),
  };
  if (field.hint) block.hint = plain(field.hint, 2000);
  return block;
}

function renderElement(field: FormField): Record<string, unknown> {
  if (field.suggest) {
    // Options load from the bot as the person types (Bolt's options handler); the typed text is always one of them.
    const initial = field.initial ? { initial_option: selectOption(field.initial, field.initial) } : {};
    return { type: 'external_select', action_id: field.name, placeholder: plain(field.label, 150), min_query_length: 1, ...initial };
  }
  if (field.type === 'select' && field.options && field.dependsOn) {
    // A choice that depends on another answer (an area under the chosen category): its options load
    // from the bot when the menu opens (the bot then knows that answer), and the modal does not
    // carry every path, back and forth with each submission.
    const chosen = field.options.find((o) => o.value === field.initial);
    const initial = chosen ? { initial_option: selectOption(chosen.label, chosen.value) } : {};
    return { type: 'external_select', action_id: field.name, placeholder: plain(field.label, 150), min_query_length: 0, ...initial };
  }
  if (field.type === 'select' && field.options) {
    const options = field.options.slice(0, LIMITS.optionsPerSelect).map((o) => selectOption(o.label, o.value));
    const initial = options.find((o) => o.value === field.initial);
    return { type: 'static_select', action_id: field.name, placeholder: plain(field.label, 150), options, ...(initial ? { initial_option: initial } : {}) };
  }
  const max = Math.min(field.maxLength ?? LIMITS.plainInput, LIMITS.plainInput);
  return {
    type: 'plain_text_input',
    action_id: field.name,
    multiline: field.type === 'textarea',
    max_length: max,
    ...(field.type === 'datetime' ? { placeholder: plain(DATETIME_PLACEHOLDER, 150) } : {}),
    ...(field.initial ? { initial_value: truncate(field.initial, max) } : {}),
  };
}

/** A modal that only says something (waiting, a result, a refusal). */
export function renderNoticeModal(title: string, text: string, closeLabel: string): SlackModal {
  return {
    type: 'modal',
    callback_id: 'incident_notice',
    title: plain(title, LIMITS.viewTitle),
    close: plain(closeLabel, LIMITS.viewTitle),
    private_metadata: '',
    blocks: [{ type: 'section', text: mrkdwn(safeMrkdwn(text)) }],
  };
}

/** Errors for `response_action: errors`: keyed by block id (= field name), trimmed. */
export function fieldErrors(form: Pick<FormView, 'fields' | 'errors'>): Record<string, string> {
  const errors: Record<string, string> = {};
  const names = new Set(form.fields.map((f) => f.name));
  for (const [field, message] of Object.entries(form.errors ?? {})) {
    if (names.has(field)) errors[field] = truncate(message, 150);
  }
  return errors;
}

type StateValue = { type?: string; value?: string | null; selected_option?: { value?: string } | null; selected_date_time?: number | null };

/** Reads a submitted modal's values by field name (block id). */
export function readSubmission(state: { values?: Record<string, Record<string, StateValue>> } | undefined): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [blockId, actions] of Object.entries(state?.values ?? {})) {
    for (const element of Object.values(actions)) {
      const value = element.selected_option?.value ?? element.value ??
        (typeof element.selected_date_time === 'number' ? new Date(element.selected_date_time * 1000).toISOString() : undefined);
      if (typeof value === 'string') values[blockId] = value;
    }
  }
  return values;
}
