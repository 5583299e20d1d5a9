import {
  ButtonStyle,
  ComponentType,
  TextInputStyle,
  type APILabelComponent,
  type APIModalInteractionResponseCallbackData,
  type APIStringSelectComponent,
  type APITextInputComponent,
} from 'discord.js';
import { narrowed, type FormField, type FormView } from '../../src/app/view.js';
import type { Catalog } from '../../src/i18n/index.js';
import { encodeRef } from './custom-id.js';
import type { MessageRow, DiscordMessage } from './discord.renderer.js';
import { LIMITS, NO_MENTIONS, cut, show } from './discord.text.js';

/**
 * Forms on Discord: a modal holds at most 5 Label components (a text input or a select of ≤ 25
 * options each). What does not fit is asked in a follow-up ephemeral message ("panel") with
 * select menus, a "More details…" button for further text, and the submit button.
 */

/** Fields a command's first modal shows before any other, where Discord's 5 slots are precious. */
const MODAL_FIRST: Record<string, readonly string[]> = {
  report: ['title', 'description', 'impact', 'urgency', 'category'],
};

export interface FormPlan {
  /** Shown in the first modal. */
  modal: FormField[];
  /** Asked afterwards in the panel. */
  rest: FormField[];
}

export function fitsModal(field: FormField): boolean {
  return field.type !== 'select' || (field.options?.length ?? 0) <= LIMITS.selectOptions;
}

export function planForm(form: FormView): FormPlan {
  const preferred = MODAL_FIRST[form.command] ?? [];
  const rank = (f: FormField) => {
    const p = preferred.indexOf(f.name);
    if (p >= 0) return p;
    return preferred.length + (f.required ? 0 : 100) + form.fields.indexOf(f);
  };
  const ordered = form.fields.filter(fitsModal).sort((a, b) => rank(a) - rank(b));
  const modal = ordered.slice(0, LIMITS.modalComponents);
  // Keep the form's own order inside the modal, so it reads like the form.
  modal.sort((a, b) => form.fields.indexOf(a) - form.fields.indexOf(b));
  return { modal, rest: form.fields.filter((f) => !modal.includes(f)) };
}

export function renderModal(
  title: string,
  customId: string,
  fields: FormField[],
  values: Record<string, string>,
  errors: Record<string, string>,
  m: Catalog,
): APIModalInteractionResponseCallbackData {
  return {
    title: cut(title, LIMITS.modalTitle),
    custom_id: customId,
    components: fields.slice(0, LIMITS.modalComponents).map((f) => labelFor(f, values[f.name] ?? f.initial, errors[f.name], m)),
  };
}

function labelFor(field: FormField, value: string | undefined, error: string | undefined, m: Catalog): APILabelComponent {
  const hint = error ? `⚠ ${error}` : field.type === 'datetime' ? m.discord.datetimeHint : field.hint;
  return {
    type: ComponentType.Label,
    label: cut(field.label, LIMITS.labelText),
    ...(hint ? { description: cut(hint, LIMITS.labelDescription) } : {}),
    component: field.type === 'select' ? selectFor(field, field.name, value, true) : textInputFor(field, value, m),
  };
}

function textInputFor(field: FormField, value: string | undefined, m: Catalog): APITextInputComponent {
  const max = Math.min(field.maxLength ?? LIMITS.textInput, LIMITS.textInput);
  return {
    type: ComponentType.TextInput,
    custom_id: field.name,
    style: field.type === 'textarea' ? TextInputStyle.Paragraph : TextInputStyle.Short,
    required: field.required,
    max_length: max,
    ...(value ? { value: cut(value, max) } : {}),
    ...(field.type === 'datetime' ? { placeholder: m.discord.datetimeHint } : {}),
  } as APITextInputComponent;
}

export function selectFor(field: FormField, customId: string, value: string | undefined, inModal: boolean): APIStringSelectComponent {
  const options = (field.options ?? []).slice(0, LIMITS.selectOptions).map((o) => ({
    label: cut(o.label, LIMITS.optionLabel),
    value: o.value.slice(0, LIMITS.optionValue),
    ...(o.value === value ? { default: true } : {}),
  }));
  return {
    type: ComponentType.StringSelect,
    custom_id: customId,
    options,
    min_values: field.required && inModal ? 1 : 0,
    max_values: 1,
    ...(inModal ? { required: field.required } : { placeholder: cut(field.label + (field.required ? '' : ' (optional)'), LIMITS.placeholder) }),
  } as APIStringSelectComponent;
}

export interface PanelState {
  draftId: string;
  form: FormView;
  values: Record<string, string>;
  errors: Record<string, string>;
  /** Fields the panel asks with selects (the rest of the form, and selects with errors). */
  selects: FormField[];
  /** Text fields (and overflow selects) the "More details…" / "Edit" modal asks. */
  modalFields: FormField[];
}

/** The follow-up ephemeral message that completes a form. */
export function renderPanel(state: PanelState, m: Catalog): DiscordMessage {
  const { form, values, errors } = state;
  const hasErrors = Object.keys(errors).length > 0;
  const lines = [
    (hasErrors ? m.discord.panelFix : m.discord.panelIntro)({ title: form.title, submit: form.submitLabel }),
    ...Object.entries(errors).map(([name, problem]) => `⚠ ${form.fields.find((f) => f.name === name)?.label ?? name}: ${problem}`),
    ...form.fields
      .filter((f) => values[f.name])
      .map((f) => m.discord.panelChosen({ field: f.label, value: f.options?.find((o) => o.value === values[f.name])?.label ?? values[f.name] ?? '' })),
  ];
  // A dependent choice (an area) offers only what lies under its parent's answer (the category from the first modal).
  const selects = state.selects.map((f) => narrowed(f, values)).filter((f): f is FormField => f !== undefined);
  const rows: MessageRow[] = selects.slice(0, LIMITS.rowsPerMessage - 1).map((f) => ({
    type: ComponentType.ActionRow,
    components: [selectFor(f, encodeRef({ kind: 'field', draftId: state.draftId, field: f.name }), values[f.name], false)],
  }));
  const buttons: MessageRow = {
    type: ComponentType.ActionRow,
    components: [
      ...(state.modalFields.length > 0
        ? [{ type: ComponentType.Button as const, style: ButtonStyle.Secondary as const, label: hasErrors ? m.discord.editForm : m.discord.moreDetails, custom_id: encodeRef({ kind: 'edit', draftId: state.draftId }) }]
        : []),
      { type: ComponentType.Button, style: ButtonStyle.Primary, label: cut(form.submitLabel, LIMITS.buttonLabel), custom_id: encodeRef({ kind: 'submit', draftId: state.draftId }) },
      { type: ComponentType.Button, style: ButtonStyle.Secondary, label: m.discord.cancel, custom_id: encodeRef({ kind: 'cancel', draftId: state.draftId }) },
    ],
  };
  return { content: cut(lines.map((l) => show(l, 500)).join('\n'), LIMITS.content), embeds: [], components: [...rows, buttons], allowed_mentions: NO_MENTIONS };
}

/**
 * What the panel asks: selects for the fields not yet asked (and those with errors), at most 4
 * rows; every other field that still needs asking goes into the panel's modal (≤ 5).
 */
export function panelLayout(form: FormView, asked: readonly string[], errors: Record<string, string>): { selects: FormField[]; modalFields: FormField[] } {
  const pending = form.fields.filter((f) => !asked.includes(f.name) || errors[f.name]);
  const selects = pending.filter((f) => f.type === 'select').slice(0, LIMITS.rowsPerMessage - 1);
  let modalFields = pending.filter((f) => !selects.includes(f) && fitsModal(f)).slice(0, LIMITS.modalComponents);
  // Nothing left to type: "Edit" reopens the form's text fields so a typo can still be fixed.
  if (modalFields.length === 0) modalFields = form.fields.filter((f) => f.type !== 'select').slice(0, LIMITS.modalComponents);
  return { selects, modalFields };
}
