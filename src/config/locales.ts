/** The languages the bot speaks; English is the fallback for anything not said otherwise. */
export const LOCALES = ['en', 'zh-CN'] as const;
export type Locale = (typeof LOCALES)[number];

/** A name in the policy file, per language; English is always there. */
export type Localized = { en: string } & Partial<Record<Exclude<Locale, 'en'>, string>>;

/** The label in this language, else English. */
export function say(label: Localized, locale: Locale): string {
  return label[locale] ?? label.en;
}

/**
 * The language for a platform's locale tag ("zh-CN", "zh_CN", "zh-TW", "en-US", "fr"): Chinese for
 * any Chinese tag (the only Chinese catalog is Simplified), English for English; undefined for a
 * language the bot does not speak, so the next source (the organisation's default) decides.
 */
export function localeOf(tag: string | undefined | null): Locale | undefined {
  const lower = tag?.trim().toLowerCase().replace('_', '-');
  if (!lower) return undefined;
  if (lower === 'zh' || lower.startsWith('zh-')) return 'zh-CN';
  if (lower === 'en' || lower.startsWith('en-')) return 'en';
  return undefined;
}

export function isLocale(value: string): value is Locale {
  return (LOCALES as readonly string[]).includes(value);
}
