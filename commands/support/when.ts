import { parseDuration } from '../../src/config/duration.js';
import { zoned } from '../../src/domain/follow-up.js';

/**
 * A time typed in a command, in the organisation's time zone: `+30m` / `+2h` from now, `14:30`
 * today, `2026-11-30 14:30`. Undefined when it is none of these.
 */
export function parseWhen(text: string, now: Date, timeZone: string): Date | undefined {
  const typed = text.trim();
  if (typed.startsWith('+')) {
    const ms = parseDuration(typed.slice(1));
    return ms === undefined ? undefined : new Date(now.getTime() + ms);
  }
  const today = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
  const match = /^(?:(\d{4})-(\d{2})-(\d{2})[ T])?(\d{1,2}):(\d{2})$/.exec(typed);
  if (!match) return undefined;
  const [year, month, day] = match[1] ? [match[1], match[2], match[3]] : today.split('-');
  const hour = Number(match[4]);
  const minute = Number(match[5]);
  if (hour > 23 || minute > 59) return undefined;
  const at = zoned(Number(year), Number(month), Number(day), hour, timeZone);
  return new Date(at.getTime() + minute * 60_000);
}
