import { randomBytes } from 'node:crypto';
import { Schema, type Connection, type Model } from 'mongoose';
import { insertOnce } from '../store/insert-once.js';
import { prepareCollections } from '../store/models.js';
import { retryTransient } from '../store/transient.js';

interface UseDoc {
  _id: string;
  action: string;
  at: Date;
}

interface SettingDoc {
  _id: string;
  value: string;
}

/**
 * What the reporter links need kept: which answers were given (one per resolution, so a link
 * works once, and its twin Confirm/Reopen link with it), and the signing secret, made once at
 * random and shared by every replica when LINK_SECRET is not set.
 */
export class LinkStore {
  private readonly uses: Model<UseDoc>;
  private readonly settings: Model<SettingDoc>;

  constructor(conn: Connection) {
    this.uses = (conn.models.LinkUse as Model<UseDoc> | undefined) ?? conn.model<UseDoc>('LinkUse', new Schema<UseDoc>({ _id: String, action: String, at: Date }, { versionKey: false, autoIndex: false }), 'link_uses');
    this.settings = (conn.models.Setting as Model<SettingDoc> | undefined) ?? conn.model<SettingDoc>('Setting', new Schema<SettingDoc>({ _id: String, value: String }, { versionKey: false, autoIndex: false }), 'settings');
  }

  async init(): Promise<void> {
    await prepareCollections([this.uses, this.settings]);
  }

  /** The secret links are signed with: `configured` when given, else the one kept in the database (made by whichever replica asked first). */
  async secret(configured?: string): Promise<Buffer> {
    if (configured) return Buffer.from(configured, 'utf8');
    await insertOnce(this.settings, { _id: 'link-secret', value: randomBytes(32).toString('base64') });
    const doc = await retryTransient(() => this.settings.findById('link-secret').lean<SettingDoc>().exec());
    if (!doc) throw new Error('the link secret could not be stored');
    return Buffer.from(doc.value, 'base64');
  }

  /** When (and how) this answer was given, if it was. */
  async used(answerId: string): Promise<UseDoc | undefined> {
    return (await retryTransient(() => this.uses.findById(answerId).lean<UseDoc>().exec())) ?? undefined;
  }

  /** Records the answer; false when another request recorded it first. */
  use(answerId: string, action: string, at: Date): Promise<boolean> {
    return insertOnce(this.uses, { _id: answerId, action, at });
  }
}
