import { Index } from 'flexsearch';
import type { Incident, IncidentEvent } from '../domain/incident.js';
import { UserError } from '../domain/errors.js';
import { insertOnce } from './insert-once.js';
import type { Models } from './models.js';
import { retryTransient } from './transient.js';

/** Fields whose change changes an incident's words. */
export const TEXT_FIELDS = ['title', 'description', 'ci'] as const;

/**
 * The text half of a search (issue 14): which incidents hold the words asked. Both kinds index the
 * same words, `incidents.terms` (title, CI and description cut into words, Chinese segmented:
 * src/domain/words.ts), so a word matches the same incidents on either.
 *
 * - `mongodb-text`: a MongoDB text index on `terms` (language "none": the words are already cut,
 *   and a Chinese word is one token), queried with `$text`, where the server has text indexes.
 * - `in-process`: where it has none (FerretDB 1.24 answers `$text` with "can't find index"), an
 *   in-memory inverted index (FlexSearch) of every incident's words, open and closed, kept in step
 *   with the collections: filled in the background from start (FerretDB reads about 2,000
 *   incidents a second here: 100,000 take most of a minute, during which a search says how far it
 *   is), updated at once by this process's own writes, and by other processes' through a short
 *   feed collection (`search_feed`) read before each search and once a minute. Matches are then
 *   read by `_id`, the one lookup FerretDB does not answer by scanning the collection.
 */
export type TextSearch = MongoTextSearch | InProcessTextSearch;

export class MongoTextSearch {
  readonly kind = 'mongodb-text';

  /** The words as a `$text` condition: any of them (ranking keeps the good matches). */
  condition(asked: readonly string[]): Record<string, unknown> {
    return { $text: { $search: asked.join(' ') } };
  }

  describe(): string {
    return 'search: MongoDB text index on incidents.terms (words cut by Intl.Segmenter, Chinese too), queried with $text';
  }

  start(): void {}
  written(): void {}
  async processed(): Promise<void> {}
  archived(): void {}
  async ready(): Promise<void> {}
  stop(): void {}
}

/** How long feed entries are kept; a process that has not read the feed for longer fills its index again. */
const FEED_KEEP_MS = 15 * 60_000;
/** Feed entries are read again this far back, for writers whose clocks run a little behind. */
const FEED_OVERLAP_MS = 60_000;
/** How often the feed is read when nobody searches, and old entries dropped. */
const FEED_POLL_MS = 60_000;
/** How long a search waits for the fill before it says how far the fill is. */
const FILL_WAIT_MS = 2_000;

/** Where the in-process index says what it does (the bot's logger). */
export interface SearchLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}
const QUIET: SearchLog = { info: () => undefined, warn: () => undefined };

/**
 * An entry of the search feed: the words as one text, `w` (joined by spaces, which no word holds),
 * since FerretDB encodes, stores and decodes a document value by value; `terms`, an array, is how
 * earlier versions wrote them.
 */
interface FeedEntry {
  _id: string;
  n: number;
  rev: number;
  w?: string;
  terms?: string[];
  at: Date;
}

export class InProcessTextSearch {
  readonly kind = 'in-process';
  /**
   * Words by incident number; the words are already cut, so the index splits on spaces only.
   * Without FlexSearch's `fastupdate` register: at 100,000 incidents it held 20 MB (49 → 29 MB
   * for the index), and what it speeds up, replacing an incident's words, happens only when a
   * person corrects a title, description or CI (7 ms then instead of 0.2 ms; measured).
   */
  private readonly index = new Index({ tokenize: 'strict', resolution: 1, fastupdate: false, encode: (text: string) => text.split(' ').filter(Boolean) });
  /** The newest revision indexed for each incident number: a late or repeated feed entry does not move it back. */
  private readonly revOf = new Map<number, number>();
  /** Incident numbers found in the archive (`incidents_closed`): read there first. */
  private readonly closed = new Set<number>();
  private readUpTo = 0;
  private timer: NodeJS.Timeout | undefined;
  private catching: Promise<void> | undefined;
  /** The fill from the collections: running, and how far it is. */
  private filling: Promise<void> | undefined;
  private progress = { done: 0, total: 0 };

  constructor(
    private readonly m: Models,
    private readonly log: SearchLog = QUIET,
  ) {}

  /** Starts filling the index from both collections (in the background) and reading the feed. */
  start(): void {
    this.filling = this.fill();
    this.filling.catch((err: unknown) => this.log.warn({ err }, 'search: reading the incidents into the word index failed; the next search starts again'));
    this.timer = setInterval(() => void this.catchUp().then(() => this.prune()).catch((err: unknown) => this.log.warn({ err }, 'search: reading what other processes wrote failed; the next search tries again')), FEED_POLL_MS);
    this.timer.unref();
  }

  /** Resolves once the index holds every stored incident (tests, benchmarks). */
  async ready(): Promise<void> {
    await this.filling;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  get size(): number {
    return this.revOf.size;
  }

  describe(): string {
    return 'search: in-process word index (FlexSearch) of every incident, open and closed, read from the database in the background and kept in step through search_feed; the server has no text index';
  }

  /**
   * Incident numbers holding at least `need` of the words, most words first, then newest, at most
   * `limit` of them. The feed is read first, so what another process wrote is found.
   */
  async candidates(asked: readonly string[], need: number, limit: number): Promise<number[]> {
    await this.filled();
    await this.catchUp();
    const hits = new Map<number, number>();
    for (const word of new Set(asked)) {
      for (const n of this.index.search(word, { limit: this.revOf.size + 1 }) as number[]) hits.set(n, (hits.get(n) ?? 0) + 1);
    }
    return [...hits].filter(([, count]) => count >= need).sort((a, b) => b[1] - a[1] || b[0] - a[0]).slice(0, limit).map(([n]) => n);
  }

  /** This process wrote an incident's words: indexed at once. */
  written(incident: Incident, terms: readonly string[]): void {
    this.put(incident.number, incident.rev, terms);
  }

  /**
   * After-commit work of an event (so a crash before it is replayed): an event that set the words
   * goes on the feed for the other processes.
   */
  async processed(incident: Incident, event: IncidentEvent, terms: readonly string[]): Promise<void> {
    if (event.seq !== 1 && !TEXT_FIELDS.some((field) => field in event.changes)) return;
    this.put(incident.number, event.seq, terms);
    await insertOnce(this.m.SearchFeed, { _id: `${incident.id}#${event.seq}`, n: incident.number, rev: event.seq, w: terms.join(' '), at: new Date() });
  }

  private put(n: number, rev: number, terms: readonly string[]): void {
    const known = this.revOf.get(n);
    if (known !== undefined && known >= rev) return;
    this.revOf.set(n, rev);
    const text = terms.join(' ');
    if (known === undefined) this.index.add(n, text);
    else this.index.update(n, text);
  }

  /** Whether an incident was last seen in the archive. */
  isClosed(n: number): boolean {
    return this.closed.has(n);
  }

  /** This process moved an incident to the archive. */
  archived(n: number): void {
    this.closed.add(n);
  }

  /**
   * Waits for the fill a short while; a search that comes sooner is told how far it is (a clear
   * sentence, not an answer missing what is not read yet). A fill that failed starts again.
   */
  private async filled(): Promise<void> {
    if (!this.filling) return;
    const wait = new Promise<'waiting'>((resolve) => setTimeout(() => resolve('waiting'), FILL_WAIT_MS).unref());
    const outcome = await Promise.race([this.filling.then(() => 'done' as const, () => 'failed' as const), wait]);
    if (outcome === 'done') {
      this.filling = undefined;
      return;
    }
    if (outcome === 'failed') {
      this.filling = this.fill();
      this.filling.catch((err: unknown) => this.log.warn({ err }, 'search: reading the incidents into the word index failed; the next search starts again'));
    }
    throw new UserError('search_index_loading', { done: this.progress.done, total: Math.max(this.progress.total, this.progress.done) });
  }

  private async fill(): Promise<void> {
    const started = Date.now();
    this.readUpTo = started;
    const models = [this.m.Incident, this.m.ClosedIncident];
    const counts = await Promise.all(models.map((model) => retryTransient(() => model.estimatedDocumentCount())));
    this.progress = { done: 0, total: counts[0]! + counts[1]! };
    for (const model of models) {
      const archive = model === this.m.ClosedIncident;
      const cursor = model.find({}, { number: 1, rev: 1, terms: 1 }).lean<{ number: number; rev: number; terms?: string[] }>().cursor({ batchSize: 1_000 });
      for await (const doc of cursor) {
        this.put(doc.number, doc.rev, doc.terms ?? []);
        if (archive) this.closed.add(doc.number);
        this.progress.done++;
      }
    }
    this.log.info({ incidents: this.size, ms: Date.now() - started }, `search: word index ready, ${this.size} incidents read in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }

  /** Reads what other processes wrote since the last read; one read at a time, shared by concurrent searches. */
  private catchUp(): Promise<void> {
    this.catching ??= this.readFeed().finally(() => (this.catching = undefined));
    return this.catching;
  }

  private async readFeed(): Promise<void> {
    const now = Date.now();
    // Entries older than this may already be gone (this process stood still): read everything again.
    if (now - this.readUpTo > FEED_KEEP_MS - FEED_OVERLAP_MS) {
      this.filling = this.fill();
      return this.filling;
    }
    const entries = await retryTransient(() => this.m.SearchFeed.find({ at: { $gte: new Date(this.readUpTo - FEED_OVERLAP_MS) } }).lean<FeedEntry[]>());
    for (const entry of entries.sort((a, b) => a.rev - b.rev)) this.put(entry.n, entry.rev, typeof entry.w === 'string' ? entry.w.split(' ').filter(Boolean) : (entry.terms ?? []));
    this.readUpTo = now;
  }

  private async prune(): Promise<void> {
    await retryTransient(() => this.m.SearchFeed.deleteMany({ at: { $lt: new Date(Date.now() - FEED_KEEP_MS) } }));
  }
}

/**
 * The text search the server allows: a MongoDB text index where `$text` answers, else the
 * in-process index (not started yet). `reason` says why the in-process one was chosen.
 */
export async function chooseTextSearch(m: Models, log?: SearchLog): Promise<{ search: TextSearch; reason?: string }> {
  try {
    for (const model of [m.Incident, m.ClosedIncident]) {
      await model.collection.createIndex({ terms: 'text' }, { name: 'terms_text', default_language: 'none' });
      await model.collection.find({ $text: { $search: 'probe' } }).limit(1).toArray();
    }
    return { search: new MongoTextSearch() };
  } catch (error) {
    // A server that took the index but cannot use it (FerretDB) keeps nothing of it.
    for (const model of [m.Incident, m.ClosedIncident]) await model.collection.dropIndex('terms_text').catch(() => undefined);
    return { search: new InProcessTextSearch(m, log), reason: error instanceof Error ? error.message : String(error) };
  }
}
