import { Schema, type Connection, type Model } from 'mongoose';
import type { FormView } from '../../src/app/view.js';
import type { RawArgs } from '../../src/app/command.js';
import type { Actor } from '../../src/domain/directory.js';
import type { Locale } from '../../src/i18n/index.js';
import { SubmissionInbox } from '../../src/store/submission-inbox.js';
import { prepareCollections } from '../../src/store/models.js';

/**
 * What the Discord adapter remembers (DESIGN.md: a unique-index insert decides every race, no
 * transactions). `_id` is the unique key everywhere, so a second insert for the same thing fails
 * atomically on MongoDB and FerretDB alike.
 */

/**
 * Things done once: interaction ids already handled (`i:<id>`, a redelivered interaction is
 * ignored). What is posted for incidents is recorded in the shared surface store (src/outbox).
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
    Claim: model(conn, 'DiscordClaim', ClaimSchema),
    Draft: model(conn, 'DiscordDraft', DraftSchema),
  };
}
export type DiscordModels = ReturnType<typeof discordModels>;

export async function ensureDiscordIndexes(m: DiscordModels): Promise<void> {
  await prepareCollections(Object.values(m));
}

export function isDuplicateKey(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: number }).code === 11000;
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

/** A submitted Discord form taken and not yet answered: enough to run it again and answer its person. */
export interface HeldDiscordSubmission {
  /** The form's request key (`discord:form:<draft id>`): running it again acts once. */
  _id: string;
  draftId: string;
  /** The person as the interaction showed them (their role groups included). */
  actor: Actor;
  userId: string;
  command: string;
  args: RawArgs;
  locale: Locale;
  /** The interaction's token: its answer can be edited for 15 minutes, by any process. */
  token: string;
  at: Date;
}

export type DiscordInbox = SubmissionInbox<HeldDiscordSubmission>;

/**
 * `discord_submissions`: a submitted form is held from the moment it is taken until its person has
 * the answer. Discord does not send an interaction again once the bot has taken it (deferred), so a
 * process that stopped in between would leave its person at "thinking…" for good.
 */
export function discordInbox(conn: Connection): DiscordInbox {
  return new SubmissionInbox<HeldDiscordSubmission>(conn, 'discord_submissions');
}
