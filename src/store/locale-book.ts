import { Schema, type Connection, type Model } from 'mongoose';
import { isLocale, type Locale } from '../config/locales.js';
import { prepareCollections } from './models.js';

interface LocaleDoc {
  _id: string;
  locale: string;
  at: Date;
}

/** How often what other replicas learned is read again (a small collection: one document per person). */
const REREAD_MS = 60_000;

/**
 * The language each chat platform reports for a person (Slack's `users.info` locale, Discord's
 * interaction locale), kept so notifications sent later, by a timer or another process, reach
 * them in it. Held in memory: read at start, read again in the background at most once a minute
 * when asked (so what another replica learned arrives within a minute), written only when a
 * person's language changes. An interaction costs no database command.
 */
export class LocaleBook {
  private readonly model: Model<LocaleDoc>;
  private readonly known = new Map<string, Locale>();
  private readAt = 0;
  private reading?: Promise<void>;

  constructor(conn: Connection) {
    this.model = (conn.models.PersonLocale as Model<LocaleDoc> | undefined) ?? conn.model<LocaleDoc>('PersonLocale', new Schema<LocaleDoc>({ _id: String, locale: String, at: Date }, { versionKey: false }), 'person_locales');
  }

  async init(): Promise<void> {
    await prepareCollections([this.model]);
    await this.read();
  }

  private async read(): Promise<void> {
    this.readAt = Date.now();
    for (const doc of await this.model.find({}).lean()) if (isLocale(doc.locale)) this.known.set(doc._id, doc.locale);
  }

  get(personId: string): Locale | undefined {
    if (!this.reading && Date.now() - this.readAt > REREAD_MS) {
      this.reading = this.read().catch(() => undefined).finally(() => (this.reading = undefined));
    }
    return this.known.get(personId);
  }

  /** Remembers what the platform said; a write only when it differs from what is known. */
  async remember(personId: string, locale: Locale, now: Date): Promise<void> {
    if (this.known.get(personId) === locale) return;
    this.known.set(personId, locale);
    await this.model.replaceOne({ _id: personId }, { locale, at: now }, { upsert: true });
  }
}
