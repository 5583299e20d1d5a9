import { Schema, type Connection, type Model } from 'mongoose';
import type { FormView } from '../../src/app/view.js';

/**
 * What the Discord adapter remembers (DESIGN.md: a unique-index insert decides every race, no
 * transactions). `_id` is the unique key everywhere, so a second insert for the same thing fails
 * atomically on MongoDB and FerretDB alike.
 */

/**
 * One Discord object made for an incident: `${incidentId}:card` (service-desk card message),
 * `:stakeholders` (thread), `:management` (thread), `:warroom` (text channel). The claim is
 * inserted before the object is created, and the created id is stored right after, before
 * anything else happens, so a retry finds it instead of creating a second one.
 */
const RefSchema = new Schema(
  {
    _id: { type: String, required: true },
    incidentId: { type: String, required: true },
    kind: { type: String, required: true },
    channelId: String,
    messageId: String,
    /** The incident revision last shown (cards) or the last event posted (threads). */
    seq: { type: Number, default: 0 },
    archived: { type: Boolean, default: false },
    claimedAt: { type: Date, required: true },
  },
  { collection: 'discord_refs', versionKey: false, autoIndex: false },
);
RefSchema.index({ incidentId: 1 });

/**
 * Things done once: interaction ids already handled (`i:<id>`, a redelivered interaction is
 * ignored) and messages already posted for an incident event (`p:<incident>:<target>:<seq>`).
 */
const ClaimSchema = new Schema(
  { _id: { type: String, required: true }, at: { type: Date, required: true } },
  { collection: 'discord_claims', versionKey: false, autoIndex: false },
);
ClaimSchema.index({ at: 1 });

/**
 * A form being filled across several Discord steps (a modal cannot hold more than 5 inputs): the
 * command, its carried args and the values so far. Referenced from custom ids by `_id`.
 */
const DraftSchema = new Schema(
  {
    _id: { type: String, required: true },
    userId: { type: String, required: true },
    command: { type: String, required: true },
    args: { type: Schema.Types.Mixed, default: {} },
    values: { type: Schema.Types.Mixed, default: {} },
    form: { type: Schema.Types.Mixed, required: true },
    asked: { type: [String], default: [] },
    problems: { type: Schema.Types.Mixed, default: {} },
    createdAt: { type: Date, required: true },
  },
  { collection: 'discord_drafts', versionKey: false, minimize: false, autoIndex: false },
);
DraftSchema.index({ createdAt: 1 });

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyModel = Model<any>;

function model(conn: Connection, name: string, schema: Schema): AnyModel {
  return (conn.models[name] as AnyModel | undefined) ?? conn.model(name, schema);
}

export function discordModels(conn: Connection) {
  return {
    Ref: model(conn, 'DiscordRef', RefSchema),
    Claim: model(conn, 'DiscordClaim', ClaimSchema),
    Draft: model(conn, 'DiscordDraft', DraftSchema),
  };
}
export type DiscordModels = ReturnType<typeof discordModels>;

export async function ensureDiscordIndexes(m: DiscordModels): Promise<void> {
  for (const m2 of Object.values(m)) await m2.createIndexes();
}

export function isDuplicateKey(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: number }).code === 11000;
}

export interface DiscordRef {
  _id: string;
  incidentId: string;
  kind: 'card' | 'stakeholders' | 'management' | 'warroom';
  channelId?: string;
  messageId?: string;
  seq: number;
  archived: boolean;
  claimedAt: Date;
}

export interface Draft {
  _id: string;
  userId: string;
  command: string;
  args: Record<string, string>;
  values: Record<string, string>;
  /** The form as the core described it (fields, options, labels). */
  form: FormView;
  /** Fields already asked in a modal. */
  asked: string[];
  /** Problems with the last submission, by field (mongoose reserves the name `errors`). */
  problems: Record<string, string>;
  createdAt: Date;
}

/** Keys of the refs kept per incident (and per guild for the categories). */
export const refKey = (incidentId: string, kind: DiscordRef['kind']) => `${incidentId}:${kind}`;

/** How long a claim without a stored Discord id may stand before another attempt takes it over. */
const STALE_CLAIM_MS = 2 * 60_000;

export class DiscordStore {
  readonly m: DiscordModels;

  constructor(conn: Connection) {
    this.m = discordModels(conn);
  }

  async init(): Promise<void> {
    await ensureDiscordIndexes(this.m);
  }

  /** True the first time a key is claimed; false for every later attempt (any process). */
  async claimOnce(key: string, at = new Date()): Promise<boolean> {
    try {
      await this.m.Claim.create([{ _id: key, at }]);
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  async releaseOnce(key: string): Promise<void> {
    await this.m.Claim.deleteOne({ _id: key });
  }

  async ref(incidentId: string, kind: DiscordRef['kind']): Promise<DiscordRef | undefined> {
    return (await this.m.Ref.findById(refKey(incidentId, kind)).lean<DiscordRef>()) ?? undefined;
  }

  /**
   * Claims the right to create a Discord object for an incident. `created` is set when this caller
   * must create it; otherwise the existing ref (possibly still being created elsewhere) is returned.
   * A claim left without an id for a while (a crash, a failed call) is taken over.
   */
  async claimRef(incidentId: string, kind: DiscordRef['kind'], now = new Date()): Promise<{ created: boolean; ref: DiscordRef }> {
    const _id = refKey(incidentId, kind);
    const fresh: DiscordRef = { _id, incidentId, kind, seq: 0, archived: false, claimedAt: now };
    try {
      await this.m.Ref.create([fresh]);
      return { created: true, ref: fresh };
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
    const existing = await this.m.Ref.findById(_id).lean<DiscordRef>();
    if (!existing) return this.claimRef(incidentId, kind, now);
    if (!existing.channelId && now.getTime() - new Date(existing.claimedAt).getTime() > STALE_CLAIM_MS) {
      const taken = await this.m.Ref.updateOne({ _id, channelId: { $exists: false }, claimedAt: existing.claimedAt }, { $set: { claimedAt: now } });
      if (taken.modifiedCount === 1) return { created: true, ref: { ...existing, claimedAt: now } };
    }
    return { created: false, ref: existing };
  }

  async setRef(incidentId: string, kind: DiscordRef['kind'], fields: Partial<Pick<DiscordRef, 'channelId' | 'messageId' | 'seq' | 'archived'>>): Promise<void> {
    await this.m.Ref.updateOne({ _id: refKey(incidentId, kind) }, { $set: fields });
  }

  /** A failed creation gives the claim back at once (what was stored so far is kept for the next attempt). */
  async releaseRef(incidentId: string, kind: DiscordRef['kind']): Promise<void> {
    await this.m.Ref.updateOne({ _id: refKey(incidentId, kind), channelId: { $exists: false } }, { $set: { claimedAt: new Date(0) } });
  }

  /** Raises the shown revision only forwards, so a slow, older update never wins over a newer one. */
  async advanceSeq(incidentId: string, kind: DiscordRef['kind'], seq: number): Promise<boolean> {
    const result = await this.m.Ref.updateOne({ _id: refKey(incidentId, kind), seq: { $lt: seq } }, { $set: { seq } });
    return result.modifiedCount === 1;
  }

  async refsOf(incidentId: string): Promise<DiscordRef[]> {
    return this.m.Ref.find({ incidentId }).lean<DiscordRef[]>();
  }

  async createDraft(draft: Draft): Promise<void> {
    await this.m.Draft.create([draft]);
  }

  async draft(id: string): Promise<Draft | undefined> {
    return (await this.m.Draft.findById(id).lean<Draft>()) ?? undefined;
  }

  async saveDraft(draft: Draft): Promise<void> {
    await this.m.Draft.replaceOne({ _id: draft._id }, draft);
  }

  async deleteDraft(id: string): Promise<void> {
    await this.m.Draft.deleteOne({ _id: id });
  }
}
