import { UserError } from '../../src/domain/errors.js';

/**
 * `name=Core switch 1 type=switch group=network`: each key's value runs to the next ` key=`. Keys
 * are matched without case through `keys` (what the person types → the field); any other key is
 * refused, naming the ones there are.
 */
export function keyValues<K extends string>(text: string, keys: Readonly<Record<string, K>>): Partial<Record<K, string>> {
  const out: Partial<Record<K, string>> = {};
  const parts = text.trim().split(/\s+(?=[A-Za-z]+=)/).filter(Boolean);
  for (const part of parts) {
    const at = part.indexOf('=');
    const key = at > 0 ? keys[part.slice(0, at).toLowerCase()] : undefined;
    if (!key) throw new UserError('invalid_field', { field: part.slice(0, 40), problem: `use ${Object.keys(keys).map((k) => `${k}=`).join(', ')}` });
    out[key] = part.slice(at + 1).trim();
  }
  return out;
}
