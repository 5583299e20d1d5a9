import type { Priority } from '../config/config.schema.js';
import type { Status } from './incident.js';

/** What a search asks beyond its words (SPEC §14 "find anything"); every part optional. */
export interface SearchFilter {
  statuses?: Status[];
  priorities?: Priority[];
  groupId?: string;
  /** The assignee or the accepted owner. */
  personId?: string;
  ci?: string;
  service?: string;
  category?: string;
  since?: Date;
  until?: Date;
  /** Any target (respond, accept, resolve) past due and not met. */
  overdue?: boolean;
  major?: boolean;
  /** Not yet with a group. */
  unassigned?: boolean;
  /** Closed records the team lead has (true) or has not yet (false) verified (SPEC §11). */
  verified?: boolean;
}

export type SearchSort = 'best' | 'newest' | 'oldest' | 'priority';
