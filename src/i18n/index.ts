import type { UserError } from '../domain/errors.js';
import { en, type Catalog } from './en.js';
import type { Locale } from '../config/locales.js';
import { word } from './word.js';
import { zhCN } from './zh-CN.js';

export type { Catalog };
export { word };

export { LOCALES, isLocale, localeOf, say, type Locale, type Localized } from '../config/locales.js';

const catalogs: Record<Locale, Catalog> = { en, 'zh-CN': zhCN };

export function catalog(locale: Locale = 'en'): Catalog {
  return catalogs[locale];
}

/** The sentence for a refusal; an unknown code still reads as something, and is easy to spot. */
export function errorText(error: UserError, m: Catalog = en): string {
  const template = word(m.error, error.code);
  return template ? template(error.params) : `${error.code}: ${JSON.stringify(error.params)}`;
}
