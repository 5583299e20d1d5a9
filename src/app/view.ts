/**
 * The neutral reply model every command returns and every adapter renders (Block Kit, discord.js
 * components, terminal text). No platform types here.
 */
export interface ActionButton {
  label: string;
  command: string;
  args: Record<string, string>;
  style?: 'primary' | 'danger';
}

export interface CardField {
  label: string;
  value: string;
  /** Short fields may sit side by side. */
  short?: boolean;
}

export type Colour = 'red' | 'orange' | 'yellow' | 'blue' | 'green' | 'grey';

export interface CardView {
  incidentId: string;
  title: string;
  subtitle: string;
  colour: Colour;
  fields: CardField[];
  actions: ActionButton[];
  /** The incident revision shown: buttons carry it, so pressing one twice acts once. */
  rev?: number;
}

export interface FormOption {
  value: string;
  label: string;
}

export interface FormField {
  name: string;
  label: string;
  type: 'text' | 'textarea' | 'select' | 'datetime';
  required: boolean;
  options?: FormOption[];
  maxLength?: number;
  initial?: string;
  /** The user already gave this value (typed it, or submitted it): a terminal need not ask again. */
  given?: boolean;
  hint?: string;
  /**
   * A text field whose value can be looked up as it is typed, where the platform can (Slack: an
   * external_select loading options from the bot; Discord: autocomplete). `ci`: the CI catalog.
   * What was typed stays possible.
   */
  suggest?: 'ci';
  /**
   * A choice that depends on another field's answer: its options are paths starting with that
   * answer (`category` → `access/login-failure`). An adapter that knows the answer when it asks
   * (the terminal, Discord's panel) offers only those; one that does not offers every path, and
   * the command checks the pair.
   */
  dependsOn?: string;
}

/**
 * The field as it should be asked once the answers so far are known: a dependent choice narrowed
 * to the options under its parent's answer; undefined when there is nothing to choose under it.
 */
export function narrowed(field: FormField, answers: Readonly<Record<string, string | undefined>>): FormField | undefined {
  const parent = field.dependsOn ? answers[field.dependsOn] : undefined;
  if (!parent || !field.options) return field;
  const options = field.options.filter((o) => o.value.startsWith(`${parent}/`));
  return options.length > 0 ? { ...field, options } : undefined;
}

export interface FormView {
  title: string;
  submitLabel: string;
  /** The button that closes the form without sending it. */
  cancelLabel: string;
  /** The command the filled form runs, with `args` carried along unchanged (e.g. the incident id). */
  command: string;
  args: Record<string, string>;
  fields: FormField[];
  /** Problems with a submitted form, by field name (rendered on the field). */
  errors?: Record<string, string>;
}

export interface ListItem {
  incidentId: string;
  line: string;
}

export interface ListSection {
  heading: string;
  items: ListItem[];
}

/** A file for the person: text (CSV, Markdown) as is, or binary (a PDF) as base64. */
export interface ReplyFile {
  name: string;
  type: string;
  content: string;
  encoding?: 'base64';
}

/** What a person entered in a form, one line per filled field (option labels, not values), as they would read it back. */
export function enteredLines(fields: readonly FormField[], values: Readonly<Record<string, string | undefined>>): string[] {
  return fields
    .filter((f) => values[f.name]?.trim())
    .map((f) => `${f.label}: ${f.options?.find((o) => o.value === values[f.name])?.label ?? values[f.name]}`);
}

/** The bytes of a file, however it is carried. */
export function fileBytes(file: Pick<ReplyFile, 'content' | 'encoding'>): Buffer {
  return Buffer.from(file.content, file.encoding === 'base64' ? 'base64' : 'utf8');
}

export interface Reply {
  /** Shown only to the person who acted (ephemeral on chat platforms). */
  ephemeral: boolean;
  text?: string;
  card?: CardView;
  form?: FormView;
  sections?: ListSection[];
  lines?: string[];
  error?: { code: string; ref?: string };
  /** The incident the command changed; adapters refresh its shared card. */
  changedIncidentId?: string;
  /** A file for the person (a CSV export): Slack uploads it to their DM, Discord attaches it, the terminal saves it. */
  file?: ReplyFile;
  /** Several files (a report's charts and tables), delivered the same way, together. */
  files?: ReplyFile[];
}

/** Every file a reply carries, the single one first. */
export function filesOf(reply: Pick<Reply, 'file' | 'files'>): ReplyFile[] {
  return [...(reply.file ? [reply.file] : []), ...(reply.files ?? [])];
}
