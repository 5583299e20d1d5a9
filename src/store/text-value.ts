import { BSON } from 'mongodb';

/**
 * Parts of a document that are written whole and never queried inside (an event's change set, a
 * timer plan, an outbox entry's message, a held submission) are stored as one text value: FerretDB
 * encodes, stores and decodes a document value by value, so thirty fields cost it about thirty
 * times one. Extended JSON (relaxed) keeps dates as dates; `undefined` fields are left out.
 */
export function toText(value: unknown): string {
  return BSON.EJSON.stringify(value, { relaxed: true });
}

/** A value `toText` wrote. */
export function fromText<T>(text: string): T {
  return BSON.EJSON.parse(text, { relaxed: true }) as T;
}
