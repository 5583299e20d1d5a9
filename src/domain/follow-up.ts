import { createHash } from 'node:crypto';
import { PRIORITIES, type Policy } from '../config/config.schema.js';
import type { Incident } from './incident.js';

/**
 * The monthly follow-up calls (SPEC §11 回访): which month is due, and which of its closed
 * incidents are called back. Pure: the job and the command feed it the clock and the incidents.
 */

type FollowUpPolicy = Policy['closure']['followUp'];

/**
 * One formatter per time zone, made once: building an Intl.DateTimeFormat costs far more than
 * using one, and every change files its KPI facts under its day (measured: 3.5 % of the bot's CPU
 * under a burst of reports when each call built its own).
 */
const formats = new Map<string, Intl.DateTimeFormat>();
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

function formatIn(timeZone: string): Intl.DateTimeFormat {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', hourCycle: 'h23', weekday: 'short' });
    formats.set(timeZone, format);
  }
  return format;
}

/** The calendar parts of an instant in a time zone. */
export function partsIn(at: Date, timeZone: string): { year: number; month: number; day: number; hour: number; weekday: number } {
  const parts: Partial<Record<Intl.DateTimeFormatPartTypes, string>> = {};
  for (const part of formatIn(timeZone).formatToParts(at)) parts[part.type] = part.value;
  return { year: Number(parts.year), month: Number(parts.month), day: Number(parts.day), hour: Number(parts.hour), weekday: WEEKDAYS.indexOf(parts.weekday ?? '') };
}

/** The instant a local date-time happens in a time zone (the zone's offset read back and applied). */
export function zoned(year: number, month: number, day: number, hour: number, timeZone: string): Date {
  const guess = Date.UTC(year, month - 1, day, hour);
  let at = guess;
  for (let i = 0; i < 2; i++) {
    const p = partsIn(new Date(at), timeZone);
    const shown = Date.UTC(p.year, p.month - 1, p.day, p.hour);
    at += guess - shown;
  }
  return new Date(at);
}

export function monthLabel(year: number, month: number): string {
  return `${year}-${String(month).padStart(2, '0')}`;
}

/** "2026-10" → its first instant and the next month's, in the time zone; undefined for anything else. */
export function monthRange(label: string, timeZone: string): { from: Date; to: Date } | undefined {
  const match = /^(\d{4})-(\d{2})$/.exec(label.trim());
  if (!match) return undefined;
  const year = Number(match[1]);
  const month = Number(match[2]);
  if (month < 1 || month > 12) return undefined;
  const next = month === 12 ? { year: year + 1, month: 1 } : { year, month: month + 1 };
  return { from: zoned(year, month, 1, 0, timeZone), to: zoned(next.year, next.month, 1, 0, timeZone) };
}

/**
 * The month whose calls are due now: last month, once the first working day of this month has
 * reached the policy's hour (organisation time zone); undefined before that.
 */
export function dueMonth(now: Date, policy: Pick<FollowUpPolicy, 'workingDays' | 'startHour'>, timeZone: string): string | undefined {
  const today = partsIn(now, timeZone);
  let firstWorking = 1;
  for (let day = 1; day <= 7; day++) {
    const weekday = partsIn(zoned(today.year, today.month, day, 12, timeZone), timeZone).weekday;
    if (policy.workingDays.includes(weekday)) {
      firstWorking = day;
      break;
    }
  }
  const due = today.day > firstWorking || (today.day === firstWorking && today.hour >= policy.startHour);
  if (!due) return undefined;
  return today.month === 1 ? monthLabel(today.year - 1, 12) : monthLabel(today.year, today.month - 1);
}

/**
 * The incidents to call back: every major incident, and of the others the policy's share of each
 * priority (rounded up, so every priority closed that month appears at least once). Which ones is
 * decided by a hash of the month and the id: the same month draws the same sample, whoever runs it.
 * Withdrawn reports and monitoring's own incidents (nobody to call) are left out.
 */
export function sampleForCalls(closed: readonly Incident[], share: number, month: string): Incident[] {
  const callable = closed.filter((i) => !i.withdrawn && !(i.source === 'monitoring' && i.alert) && !i.links.masterId);
  const rank = (i: Incident) => createHash('sha256').update(`${month}:${i.id}`).digest('hex');
  const picked = callable.filter((i) => i.major);
  for (const priority of PRIORITIES) {
    const pool = callable.filter((i) => !i.major && i.priority === priority).sort((a, b) => rank(a).localeCompare(rank(b)));
    if (pool.length === 0) continue;
    picked.push(...pool.slice(0, Math.max(1, Math.ceil(pool.length * share))));
  }
  return picked.sort((a, b) => PRIORITIES.indexOf(a.priority) - PRIORITIES.indexOf(b.priority) || a.number - b.number);
}
