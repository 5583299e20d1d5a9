import { z } from 'zod';
import type { Logger } from 'pino';
import type { Actor } from '../domain/directory.js';
import type { Catalog, Locale } from '../i18n/index.js';
import type { Clock } from './clock.js';
import type { IncidentService } from './incident-service.js';
import type { FormField, Reply } from './view.js';
import type { Kpis } from './kpis.js';
import type { ServiceView } from '../domain/service-state.js';

/** Everything a command may use. Adapters build one per request. */
export interface CommandContext {
  service: IncidentService;
  actor: Actor;
  m: Catalog;
  /** The language of `m`: the actor's (their setting, else their platform's, else the organisation's). */
  locale: Locale;
  clock: Clock;
  log: Logger;
  /** Idempotency key of the platform request (event id, view id), when there is one. */
  key?: string;
  /** A person waits for this answer (a submitted form): commit, answer, then the rest (CommitOptions). */
  answerFirst?: boolean;
  /** The outbox, for the admin command. */
  outbox?: OutboxAdmin;
  /** The monitoring intake's payloads, for the admin command. */
  alerts?: AlertsAdmin;
  /** The monthly follow-up draw, for `followup run`. */
  followUps?: { draw(month: string): Promise<{ month: string; drawn: number; drawnBefore?: Date }> };
  /** The KPIs of a period, for `kpi`. */
  kpis?: Pick<Kpis, 'read' | 'facts' | 'majorPriorities'>;
  /** Service states and who follows them, for `subscribe` and `unsubscribe`. */
  serviceStatus?: ServiceStatusPort;
}

export type RawArgs = Record<string, string | undefined>;

/** A command is a declaration: name, its fields (from which the argument schema is derived), and `run`. */
export interface CommandDef {
  name: string;
  /** Words a user may type instead of the name ("escalate" for redispatch). */
  aliases?: string[];
  /** The incident the command acts on comes first when typed: "/incident accept INC-000042". */
  takesIncident: boolean;
  /** Argument names filled from the remaining typed words, in order. */
  positional?: string[];
  /** Input fields; empty when the command needs nothing but the incident. */
  fields(ctx: CommandContext, args: RawArgs): FormField[] | Promise<FormField[]>;
  /** Pressed as a button (or typed), never a Discord subcommand of its own: /incident holds 25. */
  buttonOnly?: boolean;
  /** Show the form even when every field is optional and none was given (a button press on "Classify"). */
  alwaysAsk?: boolean;
  /** Refuses early (throws a UserError) before any form is shown, e.g. when the actor may not act. */
  precheck?(ctx: CommandContext, args: RawArgs): Promise<void>;
  /** Form title for this command. */
  formTitle?(ctx: CommandContext, args: RawArgs): string;
  run(ctx: CommandContext, args: Record<string, string | undefined>): Promise<Reply>;
}

export function defineCommand(def: CommandDef): CommandDef {
  return def;
}

/**
 * Derives the zod schema of a command's arguments from its fields, so form and validation cannot
 * drift. Schemas are kept by what they check (fields and catalog): building one costs about a
 * millisecond (zod compiles it on first use), checking a value with a built one about a hundredth
 * of that, and the same form is validated again and again.
 */
const schemas = new WeakMap<Catalog, Map<string, z.ZodObject>>();
const MAX_SCHEMAS = 500;

export function schemaFor(fields: FormField[], m: Catalog): z.ZodObject {
  const key = fields.map((f) => `${f.name}|${f.type}|${f.required ? 1 : 0}|${f.maxLength ?? ''}|${f.label}|${f.options?.map((o) => o.value).join(',') ?? ''}`).join('\n');
  let cache = schemas.get(m);
  if (!cache) schemas.set(m, (cache = new Map()));
  let schema = cache.get(key);
  if (!schema) {
    if (cache.size >= MAX_SCHEMAS) cache.clear();
    schema = buildSchema(fields, m);
    cache.set(key, schema);
  }
  return schema;
}

function buildSchema(fields: FormField[], m: Catalog): z.ZodObject {
  const shape: Record<string, z.ZodType> = {};
  for (const field of fields) {
    let schema: z.ZodString;
    const label = field.label;
    if (field.type === 'select' && field.options) {
      const values = field.options.map((o) => o.value);
      // Named as people read them: "choose one of Access, Data, …".
      const shown = field.options.slice(0, 12).map((o) => o.label.replace(/\s*[(（].*$/, '')).join(', ');
      schema = z.string().refine((v) => values.includes(v), { message: m.error.invalid_field({ field: label, problem: m.problem.chooseOneOf({ values: shown }) }) });
    } else if (field.type === 'datetime') {
      schema = z.string().refine((v) => !Number.isNaN(parseDateTime(v)?.getTime() ?? NaN), {
        message: m.error.invalid_field({ field: label, problem: m.problem.dateTime }),
      });
    } else {
      schema = z.string();
      if (field.maxLength) schema = schema.max(field.maxLength, m.error.too_long({ field: label, max: field.maxLength }));
    }
    const missing = m.error.field_required({ field: label });
    // An absent value and an empty one read the same to the user: "Urgency is required."
    const required = z.string({ error: missing }).min(1, missing).pipe(schema);
    shape[field.name] = field.required ? required : schema.optional();
  }
  return z.object(shape);
}

/** Blank answers count as absent; text is trimmed. */
export function cleanArgs(args: RawArgs): RawArgs {
  const out: RawArgs = {};
  for (const [key, value] of Object.entries(args)) {
    const trimmed = value?.trim();
    if (trimmed) out[key] = trimmed;
  }
  return out;
}

export function parseDateTime(text: string): Date | undefined {
  const normalised = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}/.test(text) ? text.replace(' ', 'T') : text;
  const date = new Date(normalised);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** What the admin command reads and does with monitoring payloads (the alert store provides it). */
export interface AlertsAdmin {
  overview(limit: number): Promise<{ waiting: number; failed: { _id: string; source: string; receivedAt: Date; attempts: number; error?: string }[] }>;
  retry(id: string, now: Date): Promise<boolean>;
}

/** What the admin command reads and does in the outbox (the outbox store provides it). */
export interface OutboxAdmin {
  retry(id: string, now: Date): Promise<boolean>;
  counts(): Promise<Record<'pending' | 'sent' | 'dead' | 'undeliverable', number>>;
  oldestPending(): Promise<Date | undefined>;
  list(filter: { status?: 'pending' | 'sent' | 'dead' | 'undeliverable'; incidentId?: string }, limit: number): Promise<OutboxLine[]>;
}

export interface OutboxLine {
  _id: string;
  incidentId?: string;
  platform: string;
  attempts: number;
  lastError?: string;
}

/** What `subscribe` and `unsubscribe` read and do (src/status provides it). */
export interface ServiceStatusPort {
  /** Every configured service with its state now. */
  services(): Promise<ServiceView[]>;
  /** False when the person already follows the service. */
  subscribe(service: string, personId: string, at: Date): Promise<boolean>;
  /** False when the person did not follow it. */
  unsubscribe(service: string, personId: string): Promise<boolean>;
  subscriptionsOf(personId: string): Promise<string[]>;
}
