import { Schema, type Connection, type Model } from 'mongoose';
import { isLocale, type Locale } from '../config/locales.js';
import { Mirror } from './mirror.js';
import { prepareCollections } from './models.js';

interface LocaleDoc {
  _id: string;
  locale: string;
  at: Date;
}

/**
 * The language each chat platform reports for a person (Slack's `users.info` locale, Discord's
 * interaction locale), kept so notifications sent later, by a timer or another process, reach
 * them in it. Held in memory (Mirror: read at start, read again in the background at most once a
 * minute when asked, so what another replica learned arrives within a minute), written only when
 * a person's language changes. An interaction costs no database command.
 */
export class LocaleBook {
  private readonly model: Model<LocaleDoc>;
  private readonly known: Mirror<Locale>;

  constructor(conn: Connection) {
    this.model = (conn.models.PersonLocale as Model<LocaleDoc> | undefined) ?? conn.model<LocaleDoc>('PersonLocale', new Schema<LocaleDoc>({ _id: String, locale: String, at: Date }, { versionKey: false }), 'person_locales');
    this.known = new Mirror(async () => (await this.model.find({}).lean()).flatMap((doc): [string, Locale][] => (isLocale(doc.locale) ? [[doc._id, doc.locale]] : [])));
  }

  async init(): Promise<void> {
    await prepareCollections([this.model]);
    await this.known.init();
  }

  get(personId: string): Locale | undefined {
    return this.known.current().get(personId);
  }

  /** Remembers what the platform said; a write only when it differs from what is known. */
  async remember(personId: string, locale: Locale, now: Date): Promise<void> {
    if (this.known.current().get(personId) === locale) return;
    this.known.put(personId, locale);
    await this.model.replaceOne({ _id: personId }, { locale, at: now }, { upsert: true });
  }
}
