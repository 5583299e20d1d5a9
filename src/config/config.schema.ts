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
/** A taxonomy area: its label, and its sub-areas' labels. */
const Area = z
  .union([Label, z.object({ label: Label, subareas: z.array(Label).default([]) }).strict()])
  .transform((value): { label: Localized; subareas: Localized[] } => ('label' in value ? value : { label: value, subareas: [] }));

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

const LevelNumber = z.number().int().min(1).max(4);
/** The name of an environment variable that holds a secret (never the secret itself). */
const EnvName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'the name of an environment variable that holds the secret, e.g. ALERTMANAGER_TOKEN');

/** How a monitoring source proves who it is (SPEC §14): a bearer token, or an HMAC of the body in a header. */
const SourceAuth = z.union([
  z.object({ bearer: EnvName }).strict(),
  z.object({
    hmac: z.object({
      secret: EnvName,
      header: z.string().min(1).default('x-signature').transform((h) => h.toLowerCase()),
      algorithm: z.enum(['sha256', 'sha1']).default('sha256'),
      /** Text before the hex digest in the header, e.g. "sha256=". */
      prefix: z.string().default(''),
    }).strict(),
  }).strict(),
]);

const GenericMappingSchema = z.object({
  items: z.string().optional(),
  title: z.string().min(1),
  description: z.string().optional(),
  severity: z.string().optional(),
  fingerprint: z.string().optional(),
  status: z.string().optional(),
  resolvedValues: z.array(z.string()).default(['resolved', 'ok', 'recovered']),
  ci: z.string().optional(),
  service: z.string().optional(),
  url: z.string().optional(),
  labels: z.string().optional(),
});

const MonitoringSource = z.object({
  kind: z.enum(['alertmanager', 'grafana', 'zabbix', 'generic']),
  /** The name people read as the reporter ("Alertmanager"). */
  label: Label.optional(),
  auth: SourceAuth,
  /** The tool's severity (lower case) → impact and urgency, so priority comes from the matrix. */
  severity: z.record(z.string(), z.object({ impact: LevelNumber, urgency: LevelNumber })).transform((table) =>
    Object.fromEntries(Object.entries(table).map(([k, v]) => [k.toLowerCase(), v]))),
  /** The severity assumed when an alert has none, or one the table does not have. */
  defaultSeverity: z.string().transform((s) => s.toLowerCase()),
  /** Alert labels read, in order, for the CI, service, category and assignment group. */
  labels: z.object({
    ci: z.array(z.string()).default(['ci', 'instance', 'host']),
    service: z.array(z.string()).default(['service']),
    category: z.array(z.string()).default(['category']),
    group: z.array(z.string()).default(['team', 'group']),
  }).default({ ci: ['ci', 'instance', 'host'], service: ['service'], category: ['category'], group: ['team', 'group'] }),
  /** Category of its incidents when no label names one. */
  category: Id.optional(),
  /** A resolved alert also resolves the incident (resolution code resolved-by-monitoring). Off: it only adds a line and tells the assignee. */
  resolve: z.boolean().default(false),
  /** A group named by the alert (or the category's): suggested on the card, or dispatched to at once. */
  dispatch: z.enum(['suggest', 'auto']).default('suggest'),
  /** For kind "generic": where each field is in the JSON. */
  mapping: GenericMappingSchema.optional(),
});

const Monitoring = z.object({
  /** Larger bodies are refused with 413 before anything is stored. */
  maxBodyBytes: z.number().int().min(1_024).max(10_485_760).default(1_048_576),
  /** Firing again this many times after resolving marks the incident as flapping. */
  flappingAfter: z.number().int().min(1).default(3),
  /** A repeated alert updates the incident's card at most this often (the count is kept meanwhile). */
  refreshEvery: Duration.default(300_000),
  sources: z.record(Id, MonitoringSource).default({}),
});

const MONITORING_DEFAULT = { maxBodyBytes: 1_048_576, flappingAfter: 3, refreshEvery: 300_000, sources: {} };

export const STATUS_NOTIFY_AUDIENCES = [
  'reporter', 'recorder', 'on_duty_first_line', 'assignee_or_group', 'next_line', 'incident_manager',
] as const;

/** The audiences of a major incident's communication plan (SPEC §12) and where their updates go. */
export const AUDIENCES = ['leadership', 'all_staff', 'customers', 'partners', 'responders', 'press', 'authorities'] as const;
export const COMMS_CHANNELS = ['stakeholders', 'management', 'serviceDesk', 'none'] as const;

const AudienceConfig = z.object({
  audience: z.enum(AUDIENCES),
  /** `none`: released outside chat by people (press, authorities); the bot keeps the text and the time. */
  channel: z.enum(COMMS_CHANNELS).default('none'),
  every: Duration,
  /** Holders of this role approve each update before it goes out; none: it goes out as written. */
  approverRole: Id.optional(),
});

/** Managing a major incident (SPEC §12): review meetings, the management line, communications. */
const Major = z.object({
  /** The recovery team meets this often unless the plan names the next review. */
  reviewEvery: Duration.default(3_600_000),
  /** A review with no new plan version this long after it counts as missed: the incident managers are told. */
  reviewGrace: Duration.default(900_000),
  /** A summary in the management line this often. */
  managementEvery: Duration.default(3_600_000),
  /** Management escalation: a major incident still unresolved this long after it became major reaches these roles, in DMs and the management line. */
  managementEscalation: z.array(Tier).default([]),
  /** The major incident manager is reminded this long before an audience's update is due. */
  commsRemindBefore: Duration.default(300_000),
  communications: z.object({ P1: z.array(AudienceConfig).default([]), P2: z.array(AudienceConfig).default([]), P3: z.array(AudienceConfig).default([]), P4: z.array(AudienceConfig).default([]) }).prefault({}),
});

/** After closure (SPEC §11): verification by the team lead, the reporter's rating, the monthly follow-up calls. */
const Closure = z.object({
  verification: z.object({
    /** The role (organisation or group `roles`) whose holders verify a group's closed records; on-duty holders first. */
    leadRole: Id.default('team_lead'),
    /** A closed record still unverified this long after closure (or its correction) reminds the lead. */
    remindAfter: Duration.default(86_400_000),
  }).prefault({}),
  satisfaction: z.object({
    /** A rating at or below this tells the closing group's lead and the incident managers. */
    lowAtOrBelow: z.number().int().min(1).max(5).default(2),
  }).prefault({}),
  followUp: z.object({
    /** The share of last month's closed incidents called back (each priority at least one; majors always). */
    share: z.number().min(0).max(1).default(0.1),
    /** The calls are drawn on the first of these weekdays (0 Sunday … 6 Saturday) of each month, from this hour (organisation time zone). */
    workingDays: z.array(z.number().int().min(0).max(6)).min(1).default([1, 2, 3, 4, 5]),
    startHour: z.number().int().min(0).max(23).default(9),
    /** How often the job looks whether a month is due (it draws each month once). */
    checkEvery: Duration.default(3_600_000),
  }).prefault({}),
});

/**
 * Which open incidents of a service put it in a state (SPEC §7: tell its users when it is
 * interrupted and when it is restored): an incident matching any one part of the rule.
 */
const ServiceStateRule = z.object({
  /** An open incident of the service at one of these priorities. */
  priorities: z.array(Priority).default([]),
  /** An open incident whose CI cannot work (`ciOperable: false`) at one of these priorities. */
  ciInoperable: z.array(Priority).default([]),
  /** Any open major incident of the service, whatever its priority. */
  major: z.boolean().default(false),
});
export type ServiceStateRule = z.infer<typeof ServiceStateRule>;

/** Service states, the notices when one changes, and the public page `GET /status`. */
const StatusPage = z.object({
  /** Checked first: a service with an open incident matching this rule is out of service. */
  outage: ServiceStateRule.prefault({ priorities: ['P1'], ciInoperable: ['P1', 'P2'] }),
  /** Else a service with an open incident matching this rule works, but worse. */
  degraded: ServiceStateRule.prefault({ priorities: ['P1', 'P2', 'P3'], major: true }),
  /** Incident titles in notices and on the page; off: ids only (the page has no login). */
  showInternal: z.boolean().default(false),
  /** The page's history: state changes of the last `days`, at most `max`, newest first. */
  history: z.object({ days: z.number().int().min(1).max(366).default(14), max: z.number().int().min(1).max(500).default(50) }).prefault({}),
  /** The page's heading (else "Service status" in the reader's language). */
  title: Label.optional(),
});

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
        /**
         * Areas (sub-categories) of the category, each a label, or `{ label, subareas: [labels] }`
         * for a third level (SPEC §2, §16). Ids are made from the English labels.
         */
        subcategories: z.array(Area).default([]),
        group: Id,
        /** Forced major regardless of the matrix (SPEC §4). */
        major: z.boolean().default(false),
      }),
    )
    .min(1),
  services: z.array(Coded).min(1),
  resolutionCodes: z.array(Coded).min(1),
  closureCodes: z.array(Coded.extend({ reopensAsNew: z.boolean().default(false), raisesProblem: z.boolean().default(false) })).min(1),
  closure: Closure.prefault({}),
  major: Major.prefault({}),
  /** Problem records (PRB-…): owned by holders of this role (else the incident managers). */
  problems: z.object({ managerRole: Id.default('problem_manager') }).prefault({}),
  limits: z
    .object({ title: z.number().int().min(10).default(150), text: z.number().int().min(100).default(3000) })
    .default({ title: 150, text: 3000 }),
  /** Alerts from monitoring tools (SPEC §14): sources, their credentials and severity tables. */
  monitoring: Monitoring.default(MONITORING_DEFAULT),
  /** Service states from their open incidents, who is told when one changes, the status page. */
  statusPage: StatusPage.prefault({}),
  /** The monthly report (SPEC §15), posted by a job on the first of `workingDays` of each month from `startHour` (organisation time zone). */
  reports: z.object({
    monthly: z.object({
      workingDays: z.array(z.number().int().min(0).max(6)).min(1).default([1, 2, 3, 4, 5]),
      startHour: z.number().int().min(0).max(23).default(9),
      /** Where it is posted: the management channel by default; `none` turns the job off. */
      channel: z.enum(['management', 'stakeholders', 'serviceDesk', 'none']).default('management'),
    }).prefault({}),
    /** How often the job looks whether a month's report is due (each month is posted once). */
    checkEvery: Duration.default(3_600_000),
  }).prefault({}),
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
  /** An outside party (a vendor, a contractor): what it resolves counts as third-line resolution (SPEC §15). */
  thirdParty: z.boolean().default(false),
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
  /** A channel per service (policy.services id → Slack / Discord channel id) told when its state changes. */
  serviceChannels: z.record(Id, PlatformIds).default({}),
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
  const services = new Set(policy.services.map((s) => s.id));
  for (const service of Object.keys(organisation.serviceChannels)) {
    if (!services.has(service)) ctx.addIssue({ code: 'custom', path: ['organisation', 'serviceChannels', service], message: `unknown service "${service}" (not in policy.services)` });
  }
  const categories = new Set(policy.categories.map((c) => c.id));
  for (const [name, source] of Object.entries(policy.monitoring.sources)) {
    const path = ['policy', 'monitoring', 'sources', name];
    if (!source.severity[source.defaultSeverity]) ctx.addIssue({ code: 'custom', path: [...path, 'defaultSeverity'], message: `"${source.defaultSeverity}" is not in the severity table` });
    if (source.category && !categories.has(source.category)) ctx.addIssue({ code: 'custom', path: [...path, 'category'], message: `unknown category "${source.category}"` });
    if (source.kind === 'generic' && !source.mapping) ctx.addIssue({ code: 'custom', path: [...path, 'mapping'], message: 'a generic source needs a mapping (at least title)' });
  }
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
