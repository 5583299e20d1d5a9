import { describe, expect, it } from 'vitest';
import { dayKey } from '../../src/domain/kpi.js';
import { partsIn } from '../../src/domain/follow-up.js';

/** The day as the time zone's own calendar says, with no cache. */
function calendarDay(at: Date, timeZone: string): string {
  const p = partsIn(at, timeZone);
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

describe('dayKey: the organisation-time day a fact is filed under', () => {
  it('GIVEN instants a minute apart around local midnight, asked twice each THEN each is on its own calendar day', () => {
    // Shanghai +8, Kathmandu +5:45, Adelaide +9:30/+10:30 (a daylight-saving change on 2026-10-04), UTC.
    for (const timeZone of ['Asia/Shanghai', 'Asia/Kathmandu', 'Australia/Adelaide', 'UTC']) {
      for (const day of ['2026-11-30T00:00:00', '2026-10-04T00:00:00', '2026-10-03T00:00:00']) {
        const midnightUtc = new Date(`${day}Z`).getTime();
        for (let offset = -15 * 3600_000; offset <= 15 * 3600_000; offset += 60_000) {
          const at = new Date(midnightUtc + offset);
          const expected = calendarDay(at, timeZone);
          expect(dayKey(at, timeZone)).toBe(expected);
          expect(dayKey(at, timeZone)).toBe(expected);
        }
      }
    }
  });

  it('names the day as the calendar does', () => {
    expect(dayKey(new Date('2026-11-30T16:00:00Z'), 'Asia/Shanghai')).toBe('2026-12-01');
    expect(dayKey(new Date('2026-11-30T15:59:59.999Z'), 'Asia/Shanghai')).toBe('2026-11-30');
    expect(dayKey(new Date('2026-11-30T18:14:59.999Z'), 'Asia/Kathmandu')).toBe('2026-11-30');
    expect(dayKey(new Date('2026-11-30T18:15:00Z'), 'Asia/Kathmandu')).toBe('2026-12-01');
  });
});
