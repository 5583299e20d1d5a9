import { Schema, type Connection, type Model } from 'mongoose';
import { isLocale, type Locale } from '../config/locales.js';
import { prepareCollections } from './models.js';

interface LocaleDoc {
  _id: string;
  locale: string;
  at: Date;
}

/**
 * The language each chat platform reports for a person (Slack's `users.info` locale, Discord's
 * interaction locale), kept so notifications sent later, by a timer or another process, reach
 * them in it. Read once at start into memory; written only when a person's language changes, so
 * an interaction costs no database command.
 */
export class LocaleBook {
  private readonly model: Model<LocaleDoc>;
  private readonly known = new Map<string, Locale>();

  constructor(conn: Connection) {
    this.model = (conn.models.PersonLocale as Model<LocaleDoc> | undefined) ?? conn.model<LocaleDoc>('PersonLocale', new Schema<LocaleDoc>({ _id: String, locale: String, at: Date }, { versionKey: false }), 'person_locales');
  }

  async init(): Promise<void> {
    await prepareCollections([this.model]);
    for (const doc of await this.model.find({}).lean()) if (isLocale(doc.locale)) this.known.set(doc._id, doc.locale);
  }

  get(personId: string): Locale | undefined {
    return this.known.get(personId);
  }

  /** Remembers what the platform said; a write only when it differs from what is known. */
  async remember(personId: string, locale: Locale, now: Date): Promise<void> {
    if (this.known.get(personId) === locale) return;
    this.known.set(personId, locale);
    await this.model.replaceOne({ _id: personId }, { locale, at: now }, { upsert: true });
  }
}
