import { z } from 'zod';
import { parseDuration } from './duration.js';
import { LOCALES, type Localized } from './locales.js';

/**
 * The YAML file: `policy` (the process tables of SPEC.md) and `organisation` (people, roles, groups,
 * channels). Every number the process uses lives here, never in code.
 */
export const PRIORITIES = ['P1', 'P2', 'P3', 'P4'] as const;
export const Priority = z.enum(PRIORITIES);
export type Priority = z.infer<typeof Priority>;

const Duration = z
  .union([z.string(), z.number()])
  .transform((value, ctx) => {
    const ms = typeof value === 'number' ? undefined : parseDuration(value);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected a duration with a unit such as "90s", "15m" or "2h", got ${JSON.stringify(value)}` });
      return z.NEVER;
    }
    return ms;
  });

const Id = z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/, 'use lowercase letters, digits, ".", "_" or "-"');
const Text = z.string().min(1).max(100);
/**
 * A name people read: plain text, or one per language (`{ en: Network, zh-CN: 网络 }`, English
 * required, the others falling back to it). Read it with `say(label, locale)`.
 */
const Label = z
  .union([Text, z.object({ en: Text, 'zh-CN': Text.optional() }).strict()])
  .transform((value): Localized => (typeof value === 'string' ? { en: value } : value));
const Coded = z.object({ id: Id, label: Label });

const PerPriority = <T extends z.ZodType>(schema: T) =>
  z.object({ P1: schema, P2: schema, P3: schema, P4: schema });

const Hint = z
  .union([z.string().max(150), z.object({ en: z.string().max(150), 'zh-CN': z.string().max(150).optional() }).strict()])
  .transform((value): Localized => (typeof value === 'string' ? { en: value } : value));
const Level = z.object({ level: z.number().int().min(1).max(4), label: Label, hint: Hint.optional() });

const Targets = z.object({ respond: Duration, accept: Duration, resolve: Duration });
const Tier = z.object({ after: Duration, roles: z.array(Id).min(1) });
export const NotificationChannel = z.enum(['mention', 'dm', 'webhook', 'email']);
export type NotificationChannel = z.infer<typeof NotificationChannel>;

export const STATUS_NOTIFY_AUDIENCES = [
  'reporter', 'recorder', 'on_duty_first_line', 'assignee_or_group', 'next_line', 'incident_manager',
] as const;

const Policy = z.object({
  impact: z.array(Level).length(4),
  urgency: z.array(Level).length(4),
  /** Rows are urgency 1..4, columns impact 1..4 (SPEC §4). */
  priorityMatrix: z.array(z.array(Priority).length(4)).length(4),
  majorPriority: Priority.default('P1'),
  upgrades: z.object({
    unresolvedAfter: Duration,
    unresolvedMinimum: Priority,
    vipMinimum: Priority,
  }),
  targets: PerPriority(Targets),
  escalation: PerPriority(z.array(Tier)),
  notification: PerPriority(z.object({ channels: z.array(NotificationChannel).min(1), steps: z.array(Tier) })),
  statusNotifications: z.object({
    open: z.array(z.enum(STATUS_NOTIFY_AUDIENCES)),
    assigned: z.array(z.enum(STATUS_NOTIFY_AUDIENCES)),
    in_progress_after_escalation: z.array(z.enum(STATUS_NOTIFY_AUDIENCES)),
    suspended: z.array(z.enum(STATUS_NOTIFY_AUDIENCES)),
    resolved: z.array(z.enum(STATUS_NOTIFY_AUDIENCES)),
    closed: z.array(z.enum(STATUS_NOTIFY_AUDIENCES)),
  }),
  updates: PerPriority(
    z.object({ restoreWithin: Duration, first: Duration, every: Duration, afterResolution: Duration, audience: z.array(Id).min(1) }),
  ),
  duplicates: z.object({ window: Duration }),
  dispatch: z.object({
    /** More re-dispatches than this hand the incident to the incident manager (SPEC §9). */
    maxReDispatches: z.number().int().min(0),
    /** This many rejected dispatches hand dispatching to the incident manager. */
    failedDispatchesToManager: z.number().int().min(1),
  }),
  categories: z
    .array(
      z.object({
        id: Id,
        label: Label,
        subcategories: z.array(Label).default([]),
        group: Id,
        /** Forced major regardless of the matrix (SPEC §4). */
        major: z.boolean().default(false),
      }),
    )
    .min(1),
  services: z.array(Coded).min(1),
  resolutionCodes: z.array(Coded).min(1),
  closureCodes: z.array(Coded.extend({ reopensAsNew: z.boolean().default(false), raisesProblem: z.boolean().default(false) })).min(1),
  limits: z
    .object({ title: z.number().int().min(10).default(150), text: z.number().int().min(100).default(3000) })
    .default({ title: 150, text: 3000 }),
});

const PlatformIds = z.object({ slack: z.string().optional(), discord: z.string().optional() });

const Person = PlatformIds.extend({
  id: Id,
  name: Text,
  /** The language this person reads (else their platform's, else the organisation's). */
  locale: z.enum(LOCALES).optional(),
  vip: z.boolean().default(false),
  email: z.string().email().optional(),
  phone: z.string().optional(),
});

const Group = z.object({
  id: Id,
  name: Label,
  /** The service desk: its members are first line (log, dispatch, close). */
  firstLine: z.boolean().default(false),
  members: z.array(Id).default([]),
  onDuty: z.array(Id).default([]),
  /** Higher line for functional escalation ("escalate to next line"). */
  nextLine: Id.optional(),
  /** Roles resolved for incidents of this group, e.g. its project manager. Override organisation roles. */
  roles: z.record(Id, z.array(Id)).default({}),
  slack: z.object({ usergroup: z.string().optional(), channel: z.string().optional() }).default({}),
  discord: z.object({ role: z.string().optional(), channel: z.string().optional() }).default({}),
});

const Organisation = z.object({
  people: z.array(Person).min(1),
  groups: z.array(Group).min(1),
  incidentManagers: z.array(Id).min(1),
  majorIncidentManagers: z.array(Id).default([]),
  processOwners: z.array(Id).default([]),
  roles: z.record(Id, z.array(Id)).default({}),
  channels: z.object({
    serviceDesk: PlatformIds.default({}),
    stakeholders: PlatformIds.default({}),
    management: PlatformIds.default({}),
  }),
  /** How users reach the service desk; quoted in every notification (SPEC §7). */
  serviceDeskContact: z.string().min(1).max(300),
  webhooks: z.object({ notify: z.string().url().optional() }).default({}),
  /** The language of channel posts (cards, threads, war rooms) and of people whose own is unknown. */
  locale: z.enum(LOCALES).default('en'),
  /** IANA time zone for times shown to users. */
  timezone: z.string().default('UTC').refine(validTimeZone, 'unknown IANA time zone'),
});

function validTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export const ConfigFile = z
  .object({ policy: Policy, organisation: Organisation })
  .superRefine((config, ctx) => checkReferences(config, ctx));

export type ConfigFile = z.infer<typeof ConfigFile>;
export type Policy = ConfigFile['policy'];
export type Organisation = ConfigFile['organisation'];
export type PersonConfig = Organisation['people'][number];
export type GroupConfig = Organisation['groups'][number];

/** Cross-references zod cannot express field by field: every id used must be defined. */
function checkReferences(config: { policy: z.infer<typeof Policy>; organisation: z.infer<typeof Organisation> }, ctx: z.RefinementCtx): void {
  const { policy, organisation } = config;
  const people = new Set(organisation.people.map((p) => p.id));
  const groups = new Set(organisation.groups.map((g) => g.id));
  const requirePerson = (id: string, path: (string | number)[]) => {
    if (!people.has(id)) ctx.addIssue({ code: 'custom', path, message: `unknown person "${id}" (not in organisation.people)` });
  };
  const requireGroup = (id: string, path: (string | number)[]) => {
    if (!groups.has(id)) ctx.addIssue({ code: 'custom', path, message: `unknown group "${id}" (not in organisation.groups)` });
  };
  duplicates(organisation.people.map((p) => p.id), ['organisation', 'people'], ctx);
  duplicates(organisation.groups.map((g) => g.id), ['organisation', 'groups'], ctx);
  duplicates(policy.categories.map((c) => c.id), ['policy', 'categories'], ctx);
  organisation.groups.forEach((group, gi) => {
    group.members.forEach((id, i) => requirePerson(id, ['organisation', 'groups', gi, 'members', i]));
    group.onDuty.forEach((id, i) => requirePerson(id, ['organisation', 'groups', gi, 'onDuty', i]));
    if (group.nextLine) requireGroup(group.nextLine, ['organisation', 'groups', gi, 'nextLine']);
    for (const [role, ids] of Object.entries(group.roles)) {
      ids.forEach((id, i) => requirePerson(id, ['organisation', 'groups', gi, 'roles', role, i]));
    }
  });
  for (const key of ['incidentManagers', 'majorIncidentManagers', 'processOwners'] as const) {
    organisation[key].forEach((id, i) => requirePerson(id, ['organisation', key, i]));
  }
  for (const [role, ids] of Object.entries(organisation.roles)) {
    ids.forEach((id, i) => requirePerson(id, ['organisation', 'roles', role, i]));
  }
  if (!organisation.groups.some((g) => g.firstLine)) {
    ctx.addIssue({ code: 'custom', path: ['organisation', 'groups'], message: 'one group must be the service desk (firstLine: true)' });
  }
  policy.categories.forEach((category, i) => requireGroup(category.group, ['policy', 'categories', i, 'group']));
  policy.impact.forEach((level, i) => {
    if (level.level !== i + 1) ctx.addIssue({ code: 'custom', path: ['policy', 'impact', i, 'level'], message: `expected level ${i + 1}` });
  });
  policy.urgency.forEach((level, i) => {
    if (level.level !== i + 1) ctx.addIssue({ code: 'custom', path: ['policy', 'urgency', i, 'level'], message: `expected level ${i + 1}` });
  });
}

function duplicates(ids: string[], path: string[], ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  ids.forEach((id, i) => {
    if (seen.has(id)) ctx.addIssue({ code: 'custom', path: [...path, i, 'id'], message: `duplicate id "${id}"` });
    seen.add(id);
  });
}
