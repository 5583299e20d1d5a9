/** Durations in the policy file carry units ("90s", "15m", "2h", "1h30m", "3d") so a team can shorten every clock. */
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;

/** Parses a duration such as "1h30m" into milliseconds; returns undefined for anything else. */
export function parseDuration(text: string): number | undefined {
  const compact = text.replace(/\s+/g, '');
  if (!WHOLE.test(compact)) return undefined;
  let total = 0;
  for (const [, amount, unit] of compact.matchAll(PART)) {
    total += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  }
  return Math.round(total);
}

/** How a language writes the units of a duration ("1h 30m", "1小时30分钟"). */
export interface DurationWords {
  d: string;
  h: string;
  m: string;
  s: string;
  separator: string;
}

const UNITS: DurationWords = { d: 'd', h: 'h', m: 'm', s: 's', separator: ' ' };

/** Formats milliseconds as the shortest readable duration ("1h 30m", "45s"). */
export function formatDuration(ms: number, words: DurationWords = UNITS): string {
  const negative = ms < 0;
  let rest = Math.abs(Math.round(ms / 1000));
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['m', 60], ['s', 1]] as const) {
    const amount = Math.floor(rest / size);
    if (amount > 0) parts.push(`${amount}${words[unit]}`);
    rest -= amount * size;
  }
  const text = parts.length === 0 ? `0${words.s}` : parts.slice(0, 2).join(words.separator);
  return negative ? `-${text}` : text;
}
