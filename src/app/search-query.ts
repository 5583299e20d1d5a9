import { PRIORITIES, type ConfigFile, type Priority } from '../config/config.schema.js';
import type { Directory } from '../domain/directory.js';
import { UserError } from '../domain/errors.js';
import { STATUSES, type Status } from '../domain/incident.js';
import type { SearchFilter, SearchSort } from '../domain/search-filter.js';
import type { Catalog } from '../i18n/index.js';

export interface SearchQuery {
  /** The free text, for the word index. */
  text: string;
  filter: SearchFilter;
  page: number;
  sort: SearchSort;
  /** `format:csv`: every match (up to the search's limit) as a CSV file instead of a page. */
  format?: 'csv';
}

const ACTIVE: Status[] = ['open', 'assigned', 'in_progress', 'pending_change', 'suspended'];
const SORTS: readonly SearchSort[] = ['best', 'newest', 'oldest', 'priority'];

/**
 * Reads `search` text: words, plus `key:value` filters (`status:open,assigned`, `priority:P1`,
 * `group:network`, `assignee:li.wei`, `ci:mail-01`, `service:finance`, `category:failure`,
 * `since:2026-11-01`, `until:2026-11-30`, `verified:no`, `page:2`, `sort:newest`) and the words `overdue`, `major`,
 * `unassigned`. Statuses may be written as their names in the reader's language ("处理中") or
 * `active` (every status before resolved). Anything it cannot read is refused with a sentence
 * naming the part and what would work.
 */
export function parseSearch(input: string, config: ConfigFile, directory: Directory, m: Catalog): SearchQuery {
  const words: string[] = [];
  const filter: SearchFilter = {};
  let page = 1;
  let sort: SearchSort | undefined;
  let format: 'csv' | undefined;
  const refuse = (part: string, problem: string) => new UserError('search_filter', { part: part.slice(0, 60), problem });
  for (const token of input.trim().split(/\s+/).filter(Boolean)) {
    const lower = token.toLowerCase();
    if (lower === 'overdue') filter.overdue = true;
    else if (lower === 'major') filter.major = true;
    else if (lower === 'unassigned') filter.unassigned = true;
    else if (/^[a-z]+:/i.test(token) && !/^https?:/i.test(token)) {
      const colon = token.indexOf(':');
      const key = token.slice(0, colon).toLowerCase();
      const value = token.slice(colon + 1);
      if (!value) throw refuse(token, m.problem.searchValue);
      switch (key) {
        case 'status':
          filter.statuses = value.split(',').flatMap((v) => {
            const statuses = statusesOf(v, m);
            if (!statuses) throw refuse(token, m.problem.searchStatus({ values: STATUSES.join(', ') }));
            return statuses;
          });
          break;
        case 'priority':
          filter.priorities = value.toUpperCase().split(',').map((p) => {
            if (!(PRIORITIES as readonly string[]).includes(p)) throw refuse(token, m.problem.searchPriority);
            return p as Priority;
          });
          break;
        case 'group': {
          const group = directory.allGroups().find((g) => g.id === value.toLowerCase());
          if (!group) throw refuse(token, m.problem.searchChoice({ values: directory.allGroups().map((g) => g.id).join(', ') }));
          filter.groupId = group.id;
          break;
        }
        case 'assignee': {
          const person = directory.findPerson(value);
          if (!person) throw refuse(token, m.problem.searchPerson);
          filter.personId = person.id;
          break;
        }
        case 'ci':
          filter.ci = value;
          break;
        case 'service':
          if (!config.policy.services.some((s) => s.id === value)) throw refuse(token, m.problem.searchChoice({ values: config.policy.services.map((s) => s.id).join(', ') }));
          filter.service = value;
          break;
        case 'category':
          if (!config.policy.categories.some((c) => c.id === value)) throw refuse(token, m.problem.searchChoice({ values: config.policy.categories.map((c) => c.id).join(', ') }));
          filter.category = value;
          break;
        case 'since':
        case 'until': {
          const date = dayOf(value, key === 'until');
          if (!date) throw refuse(token, m.problem.searchDate);
          filter[key] = date;
          break;
        }
        case 'verified': {
          const yes = ['yes', 'true', m.word.yes.toLowerCase()].includes(value.toLowerCase());
          const no = ['no', 'false', m.word.no.toLowerCase()].includes(value.toLowerCase());
          if (!yes && !no) throw refuse(token, m.problem.searchChoice({ values: 'yes, no' }));
          filter.verified = yes;
          // Only closed records are verified.
          filter.statuses = ['closed'];
          break;
        }
        case 'page':
          page = Number(value);
          if (!Number.isInteger(page) || page < 1 || page > 1_000) throw refuse(token, m.problem.searchPage);
          break;
        case 'format':
          if (value.toLowerCase() !== 'csv') throw refuse(token, m.problem.searchChoice({ values: 'csv' }));
          format = 'csv';
          break;
        case 'sort':
          if (!(SORTS as readonly string[]).includes(value)) throw refuse(token, m.problem.searchChoice({ values: SORTS.join(', ') }));
          sort = value as SearchSort;
          break;
        default:
          throw refuse(token, m.problem.searchKey);
      }
    } else {
      words.push(token);
    }
  }
  const text = words.join(' ');
  return { text, filter, page, sort: sort ?? (text ? 'best' : 'priority'), ...(format ? { format } : {}) };
}

function statusesOf(value: string, m: Catalog): Status[] | undefined {
  const v = value.toLowerCase();
  if (v === 'active') return ACTIVE;
  if ((STATUSES as readonly string[]).includes(v)) return [v as Status];
  const named = STATUSES.find((s) => m.status[s].toLowerCase() === v);
  return named ? [named] : undefined;
}

/** "2026-11-01": the start of that day (UTC), or its end for `until`. */
function dayOf(value: string, end: boolean): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return undefined;
  const date = new Date(`${value}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) return undefined;
  return end ? new Date(date.getTime() + 86_400_000 - 1) : date;
}
