import { Schema, type Connection, type Model } from 'mongoose';
import type { ConfigurationItem } from '../domain/ci.js';
import { prepareCollections } from './models.js';
import { retryTransient } from './transient.js';

interface CiDoc extends Omit<ConfigurationItem, 'id'> {
  _id: string;
  /** The name in lower case: found by name as typed, in any case. */
  nameKey: string;
  updatedAt: Date;
}

/** How many CIs `search` returns at most. */
const SEARCH_LIMIT = 25;

/**
 * The CI catalog (CMDB records) in the `cis` collection: looked up by id or name when a report
 * names a CI, listed by `ci` commands, loaded from a CSV or YAML file (`npm run ci:import`,
 * `CI_CATALOG` at start).
 */
export class CiStore {
  private readonly model: Model<CiDoc>;

  constructor(conn: Connection) {
    const schema = new Schema<CiDoc>(
      { _id: String, name: String, nameKey: String, type: String, service: String, ownerGroup: String, location: String, status: String, updatedAt: Date },
      { versionKey: false, autoIndex: false, collection: 'cis' },
    );
    schema.index({ nameKey: 1 });
    this.model = (conn.models.ConfigurationItem as Model<CiDoc> | undefined) ?? conn.model<CiDoc>('ConfigurationItem', schema);
  }

  async init(): Promise<void> {
    await prepareCollections([this.model]);
  }

  async get(id: string): Promise<ConfigurationItem | undefined> {
    const doc = await retryTransient(() => this.model.findById(id).lean<CiDoc>().exec());
    return doc ? toItem(doc) : undefined;
  }

  /** The CI a person typed: its id (exact, then in any case) or its name (in any case). */
  async find(ref: string): Promise<ConfigurationItem | undefined> {
    const typed = ref.trim();
    if (!typed) return undefined;
    const byId = await this.get(typed);
    if (byId) return byId;
    const doc = await retryTransient(() => this.model.findOne({ $or: [{ nameKey: typed.toLowerCase() }, { _id: typed.toLowerCase() }] }).lean<CiDoc>().exec());
    return doc ? toItem(doc) : undefined;
  }

  /** CIs whose id or name contains every word typed (in any case), active first, at most 25. */
  async search(words: string, includeRetired = false): Promise<ConfigurationItem[]> {
    const parts = words.toLowerCase().split(/\s+/).filter(Boolean).slice(0, 5).map(escapeRegex);
    const filter: Record<string, unknown> = parts.length > 0 ? { $and: parts.map((p) => ({ $or: [{ nameKey: { $regex: p } }, { _id: { $regex: p, $options: 'i' } }] })) } : {};
    if (!includeRetired) filter.status = 'active';
    const docs = await retryTransient(() => this.model.find(filter).sort({ _id: 1 }).limit(SEARCH_LIMIT).lean<CiDoc[]>().exec());
    return docs.map(toItem);
  }

  async count(): Promise<number> {
    return retryTransient(() => this.model.countDocuments({}).exec());
  }

  /** Adds or replaces a CI (an import, `ci add`). */
  async save(item: ConfigurationItem, now: Date): Promise<void> {
    const { id, ...rest } = item;
    await retryTransient(() => this.model.replaceOne({ _id: id }, { ...rest, nameKey: item.name.toLowerCase(), updatedAt: now }, { upsert: true }).exec());
  }

  /** Marks a CI retired (kept, so its incidents still name it); false when there is no such CI. */
  async retire(id: string, now: Date): Promise<boolean> {
    const result = await retryTransient(() => this.model.updateOne({ _id: id }, { $set: { status: 'retired', updatedAt: now } }).exec());
    return result.matchedCount > 0;
  }
}

function toItem(doc: CiDoc): ConfigurationItem {
  const { _id, nameKey: _key, updatedAt: _at, ...rest } = doc;
  return { id: _id, ...rest };
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
