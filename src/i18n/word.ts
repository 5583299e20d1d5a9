/**
 * A catalog table read with a key that arrives at run time (an action name, a status, an error
 * code): the table's own keys stay literal, so a language that lacks one does not compile, and an
 * unknown key reads as undefined here instead of hiding behind an index signature.
 */
export function word<T extends object>(table: T, key: string | undefined): T[keyof T] | undefined {
  return key !== undefined && Object.hasOwn(table, key) ? table[key as keyof T] : undefined;
}
