import { Schema, type Connection, type Model } from 'mongoose';
import type { ConfigurationItem } from '../domain/ci.js';
import { prepareCollections } from './models.js';
import { Mirror } from './mirror.js';
import { retryTransient } from './transient.js';

interface CiDoc extends Omit<ConfigurationItem, 'id'> {
  _id: string;
  updatedAt: Date;
}

/** How many CIs `search` returns at most. */
const SEARCH_LIMIT = 25;

/**
 * The CI catalog (CMDB records) in the `cis` collection, held in memory (Mirror: another
 * replica's changes arrive within a minute): looked up by id or name when a report names a CI,
 * searched as people type, listed by `ci` commands, loaded from a CSV or YAML file (`CI_CATALOG`).
 */
export class CiStore {
  private readonly model: Model<CiDoc>;
  /** The whole catalog in memory (a few thousand records): a report's CI costs no round trip. */
  private readonly mirror: Mirror<ConfigurationItem>;

  constructor(conn: Connection) {
    const schema = new Schema<CiDoc>(
      { _id: String, name: String, type: String, service: String, ownerGroup: String, location: String, status: String, updatedAt: Date },
      { versionKey: false, autoIndex: false, collection: 'cis' },
    );
    this.model = (conn.models.ConfigurationItem as Model<CiDoc> | undefined) ?? conn.model<CiDoc>('ConfigurationItem', schema);
    this.mirror = new Mirror(async () => (await retryTransient(() => this.model.find({}).lean<CiDoc[]>().exec())).map((doc) => [doc._id, toItem(doc)]));
  }

  async init(): Promise<void> {
    await prepareCollections([this.model]);
    await this.mirror.init();
  }

  async get(id: string): Promise<ConfigurationItem | undefined> {
    return this.mirror.current().get(id);
  }

  /** The CI a person typed: its id (exact, then in any case) or its name (in any case). */
  async find(ref: string): Promise<ConfigurationItem | undefined> {
    const typed = ref.trim();
    if (!typed) return undefined;
    const all = this.mirror.current();
    const exact = all.get(typed);
    if (exact) return exact;
    const lower = typed.toLowerCase();
    for (const item of all.values()) if (item.id.toLowerCase() === lower || item.name.toLowerCase() === lower) return item;
    return undefined;
  }

  /** CIs whose id or name contains every word typed (in any case), active first, at most 25, by id. */
  async search(words: string, includeRetired = false): Promise<ConfigurationItem[]> {
    const parts = words.toLowerCase().split(/\s+/).filter(Boolean).slice(0, 5);
    return [...this.mirror.current().values()]
      .filter((item) => (includeRetired || item.status === 'active') && parts.every((p) => item.id.toLowerCase().includes(p) || item.name.toLowerCase().includes(p)))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .slice(0, SEARCH_LIMIT);
  }

  async count(): Promise<number> {
    return this.mirror.current().size;
  }

  /** Adds or replaces a CI (an import, `ci add`). */
  async save(item: ConfigurationItem, now: Date): Promise<void> {
    const { id, ...rest } = item;
    await retryTransient(() => this.model.replaceOne({ _id: id }, { ...rest, updatedAt: now }, { upsert: true }).exec());
    this.mirror.put(id, item);
  }

  /** Marks a CI retired (kept, so its incidents still name it); false when there is no such CI. */
  async retire(id: string, now: Date): Promise<boolean> {
    const result = await retryTransient(() => this.model.updateOne({ _id: id }, { $set: { status: 'retired', updatedAt: now } }).exec());
    const held = this.mirror.current().get(id);
    if (held) this.mirror.put(id, { ...held, status: 'retired' });
    return result.matchedCount > 0;
  }
}

function toItem(doc: CiDoc): ConfigurationItem {
  const { _id, updatedAt: _at, ...rest } = doc;
  return { id: _id, ...rest };
}
