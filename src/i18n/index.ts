import type { UserError } from '../domain/errors.js';
import { en, type Catalog } from './en.js';

export type { Catalog };

const catalogs: Record<string, Catalog> = { en };

export function catalog(locale = 'en'): Catalog {
  return catalogs[locale] ?? en;
}

/** The sentence for a refusal; an unknown code still reads as something, and is easy to spot. */
export function errorText(error: UserError, m: Catalog = en): string {
  const template = m.error[error.code];
  return typeof template === 'function' ? template(error.params) : `${error.code}: ${JSON.stringify(error.params)}`;
}
