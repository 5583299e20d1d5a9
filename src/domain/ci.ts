import { parse as parseCsv } from 'csv-parse/sync';
import { parse as parseYaml } from 'yaml';
import type { ConfigFile } from '../config/config.schema.js';
import { UserError } from './errors.js';

export const CI_STATUSES = ['active', 'retired'] as const;
export type CiStatus = (typeof CI_STATUSES)[number];

/** A configuration item of the catalog (CMDB): what incidents are logged against (SPEC §2, §16). */
export interface ConfigurationItem {
  id: string;
  name: string;
  type?: string;
  service?: string;
  /** The group that owns it: suggested when an incident on it is dispatched. */
  ownerGroup?: string;
  location?: string;
  status: CiStatus;
}

/** A CI id: letters, digits, and - _ . / : (at most 80), as CMDB ids and host names are written. */
const CI_ID = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,79}$/;
const FIELDS = ['id', 'name', 'type', 'service', 'ownerGroup', 'location', 'status'] as const;

/** What a row must refer to: the policy's services and the organisation's groups. */
export interface CiReferences {
  services: ReadonlySet<string>;
  groups: ReadonlySet<string>;
}

/** What the configuration lets a CI refer to. */
export function ciReferences(config: Pick<ConfigFile, 'policy' | 'organisation'>): CiReferences {
  return { services: new Set(config.policy.services.map((s) => s.id)), groups: new Set(config.organisation.groups.map((g) => g.id)) };
}

/** A CI from raw fields, checked; a field that is wrong is a UserError naming it and why (words in src/i18n). */
export function checkCi(raw: Record<string, unknown>, refs: CiReferences): ConfigurationItem {
  const text = (key: string, max: number): string | undefined => {
    const value = raw[key];
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string' && typeof value !== 'number') throw new UserError('ci_field_not_text', { field: key });
    const trimmed = String(value).trim();
    if (trimmed.length > max) throw new UserError('ci_field_too_long', { field: key, max });
    return trimmed || undefined;
  };
  const unknown = Object.keys(raw).filter((k) => !(FIELDS as readonly string[]).includes(k));
  if (unknown.length > 0) throw new UserError('ci_unknown_column', { columns: unknown.map((k) => `"${k}"`).join(', '), known: FIELDS.join(', ') });
  const id = text('id', 80);
  if (!id) throw new UserError('ci_id_missing');
  if (!CI_ID.test(id)) throw new UserError('ci_bad_id', { id });
  const name = text('name', 200);
  if (!name) throw new UserError('ci_name_missing');
  const service = text('service', 80);
  if (service && !refs.services.has(service)) throw new UserError('ci_unknown_service', { service });
  const ownerGroup = text('ownerGroup', 80);
  if (ownerGroup && !refs.groups.has(ownerGroup)) throw new UserError('ci_unknown_group', { group: ownerGroup });
  const status = (text('status', 20) ?? 'active') as CiStatus;
  if (!CI_STATUSES.includes(status)) throw new UserError('ci_bad_status', { status });
  const item: ConfigurationItem = { id, name, status };
  const type = text('type', 80);
  const location = text('location', 200);
  if (type) item.type = type;
  if (service) item.service = service;
  if (ownerGroup) item.ownerGroup = ownerGroup;
  if (location) item.location = location;
  return item;
}

export interface CiFileResult {
  items: ConfigurationItem[];
  /** Rows that could not be read, by line (CSV) or entry (YAML), with why; the other rows are kept. */
  problems: { line: number; problem: UserError }[];
}

/**
 * Reads a catalog file: CSV with a header row (id,name,type,service,ownerGroup,location,status) or
 * YAML (a list of such objects, or `cis:` holding one). Every row is checked on its own: a broken
 * row is reported with its line and the reason, the good ones are kept; an id seen twice keeps the
 * first and reports the second.
 */
export function readCiFile(text: string, format: 'csv' | 'yaml', refs: CiReferences): CiFileResult {
  const rows: { line: number; raw: Record<string, unknown> }[] = [];
  const problems: CiFileResult['problems'] = [];
  if (format === 'csv') {
    const records = parseCsv(text, { columns: true, skip_empty_lines: true, trim: true, bom: true, relax_column_count: true, info: true }) as { record: Record<string, string>; info: { lines: number } }[];
    for (const { record, info } of records) rows.push({ line: info.lines, raw: record });
  } else {
    const doc = parseYaml(text) as unknown;
    const list = Array.isArray(doc) ? doc : (doc as { cis?: unknown } | null)?.cis;
    if (!Array.isArray(list)) throw new Error('the YAML file must be a list of CIs, or hold one under "cis:"');
    list.forEach((raw, i) => rows.push({ line: i + 1, raw: (raw && typeof raw === 'object' ? raw : { id: raw }) as Record<string, unknown> }));
  }
  const items: ConfigurationItem[] = [];
  const seen = new Set<string>();
  for (const { line, raw } of rows) {
    try {
      const item = checkCi(raw, refs);
      if (seen.has(item.id)) throw new UserError('ci_duplicate_id', { id: item.id });
      seen.add(item.id);
      items.push(item);
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      problems.push({ line, problem: error });
    }
  }
  return { items, problems };
}
