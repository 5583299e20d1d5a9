import { Schema, type Connection, type Model } from 'mongoose';

/**
 * Where things live in Slack, per incident: the service-desk card, the stakeholder thread, the war
 * room; and keys of messages and events already handled. The `_id` is the unique key, so the insert
 * that lands first decides every race between retries and processes (DESIGN.md data rules).
 */
export interface SlackRef {
  _id: string;
  incidentId: string;
  at: Date;
  channel?: string;
  ts?: string;
  name?: string;
  archived?: boolean;
}

const SlackRefSchema = new Schema(
  {
    _id: { type: String, required: true },
    incidentId: { type: String, required: true },
    at: { type: Date, required: true },
    channel: String,
    ts: String,
    name: String,
    archived: Boolean,
  },
  { collection: 'slack_refs', versionKey: false, autoIndex: false },
);
SlackRefSchema.index({ incidentId: 1 });
SlackRefSchema.index({ at: 1 });

export const refKey = {
  card: (incidentId: string) => `card:${incidentId}`,
  thread: (incidentId: string) => `thread:${incidentId}`,
  warRoom: (incidentId: string) => `warroom:${incidentId}`,
  /** One side message (thread reply, DM) per incident event and purpose. */
  sent: (incidentId: string, seq: number, what: string) => `sent:${incidentId}:${seq}:${what}`,
  event: (eventId: string) => `event:${eventId}`,
};

export class SlackRefs {
  private readonly model: Model<SlackRef>;

  constructor(conn: Connection) {
    this.model = (conn.models.SlackRef as Model<SlackRef> | undefined) ?? conn.model<SlackRef>('SlackRef', SlackRefSchema);
  }

  async init(): Promise<void> {
    await this.model.createIndexes();
  }

  /** True when this call inserted the key (it is now ours to act on); false when it already existed. */
  async claim(key: string, incidentId: string, fields: Partial<SlackRef> = {}): Promise<boolean> {
    try {
      await this.model.create({ ...fields, _id: key, incidentId, at: new Date() });
      return true;
    } catch (error) {
      if ((error as { code?: number }).code === 11000) return false;
      throw error;
    }
  }

  /**
   * Takes over a claim whose holder never filled `field` within `olderThanMs` (it crashed between
   * claiming and storing). The unique insert still decides between two processes taking over.
   */
  async takeOverStale(key: string, incidentId: string, field: 'ts' | 'channel', olderThanMs: number): Promise<boolean> {
    const stale = await this.model.deleteOne({ _id: key, [field]: { $exists: false }, at: { $lt: new Date(Date.now() - olderThanMs) } });
    return stale.deletedCount === 1 && this.claim(key, incidentId);
  }

  /** Gives a claim back after the work it guarded failed, so a retry may try again. */
  async release(key: string): Promise<void> {
    await this.model.deleteOne({ _id: key });
  }

  async get(key: string): Promise<SlackRef | undefined> {
    return (await this.model.findById(key).lean<SlackRef>()) ?? undefined;
  }

  async set(key: string, fields: Partial<SlackRef>): Promise<void> {
    await this.model.updateOne({ _id: key }, { $set: fields });
  }

  /** Waits briefly for another request to finish filling a claimed ref (e.g. the card's ts). */
  async waitFor(key: string, field: 'ts' | 'channel', timeoutMs = 5_000): Promise<SlackRef | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ref = await this.get(key);
      if (!ref || ref[field] || Date.now() > deadline) return ref?.[field] ? ref : undefined;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
