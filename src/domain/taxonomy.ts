import type { ConfigFile } from '../config/config.schema.js';
import { say, type Locale, type Localized } from '../config/locales.js';
import { UserError } from './errors.js';

type Policy = ConfigFile['policy'];

/** Where an incident sits in the three-level taxonomy (SPEC §2, §16): category, area, sub-area. */
export interface TaxonomyPlace {
  category: string;
  subcategory?: string;
  subarea?: string;
}

/** An id from an English label: "Login failure" → "login-failure". */
export function slug(label: Localized): string {
  return label.en.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'x';
}

/**
 * Every area and sub-area as one choice, written as its path: value `access/login-failure/vpn`,
 * label "Access › Login failure › VPN". With `category`, only that category's.
 */
export function areaChoices(policy: Policy, locale: Locale, category?: string): { value: string; label: string }[] {
  // Asked for every report form a person opens; a policy does not change once loaded.
  let known = choicesOf.get(policy);
  if (!known) choicesOf.set(policy, (known = new Map()));
  const key = `${locale}\n${category ?? ''}`;
  let choices = known.get(key);
  if (!choices) known.set(key, (choices = listAreaChoices(policy, locale, category)));
  return choices.map((choice) => ({ ...choice }));
}

const choicesOf = new WeakMap<Policy, Map<string, readonly Readonly<{ value: string; label: string }>[]>>();

function listAreaChoices(policy: Policy, locale: Locale, category?: string): { value: string; label: string }[] {
  const out: { value: string; label: string }[] = [];
  for (const c of policy.categories) {
    if (category && c.id !== category) continue;
    for (const area of c.subcategories) {
      const areaPath = `${c.id}/${slug(area.label)}`;
      const areaLabel = `${say(c.label, locale)} › ${say(area.label, locale)}`;
      out.push({ value: areaPath, label: areaLabel });
      for (const sub of area.subareas) out.push({ value: `${areaPath}/${slug(sub)}`, label: `${areaLabel} › ${say(sub, locale)}` });
    }
  }
  return out;
}

/**
 * The place a chosen area names (`category/area[/sub-area]`), checked against the policy: the
 * category must exist, the area be one of its areas, the sub-area one of the area's. When the
 * incident's category is given as well, the area must belong to it.
 */
export function placeOf(policy: Policy, value: string, category?: string): TaxonomyPlace {
  const [categoryId = '', areaId, subareaId, extra] = value.trim().split('/');
  const found = policy.categories.find((c) => c.id === categoryId);
  if (!found) throw new UserError('unknown_category', { category: categoryId });
  if (category && category !== found.id) throw new UserError('area_not_in_category', { area: value, category });
  if (!areaId) return { category: found.id };
  const area = found.subcategories.find((a) => slug(a.label) === areaId);
  if (!area || extra !== undefined) throw new UserError('unknown_area', { area: value, areas: areaChoices(policy, 'en', found.id).map((c) => c.value).join(', ') || '—' });
  if (!subareaId) return { category: found.id, subcategory: areaId };
  if (!area.subareas.some((s) => slug(s) === subareaId)) throw new UserError('unknown_area', { area: value, areas: areaChoices(policy, 'en', found.id).map((c) => c.value).join(', ') });
  return { category: found.id, subcategory: areaId, subarea: subareaId };
}

/** "Access › Login failure › VPN" for a stored place; an area or sub-area no longer in the policy shows as stored. */
export function placeLabel(policy: Policy, locale: Locale, place: { category: string; subcategory?: string; subarea?: string }): string {
  const category = policy.categories.find((c) => c.id === place.category);
  const parts = [category ? say(category.label, locale) : place.category];
  if (place.subcategory) {
    const area = category?.subcategories.find((a) => slug(a.label) === place.subcategory);
    parts.push(area ? say(area.label, locale) : place.subcategory);
    if (place.subarea) {
      const sub = area?.subareas.find((s) => slug(s) === place.subarea);
      parts.push(sub ? say(sub, locale) : place.subarea);
    }
  }
  return parts.join(' › ');
}
