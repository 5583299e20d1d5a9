/** How often a mirror reads its collection again, so what another replica wrote arrives within it. */
export const MIRROR_REREAD_MS = 60_000;

/**
 * A small collection held in memory (the CI catalog, the knowledge articles, people's languages): read at
 * start, read again in the background at most once a minute when used, and changed at once by
 * this process's own writes. A report then looks CIs and articles up without a round trip; a
 * change made on another replica is seen there within a minute.
 */
export class Mirror<T> {
  private items = new Map<string, T>();
  private readAt = 0;
  private reading?: Promise<void>;
  private writesDuringRead?: Map<string, T | undefined>;

  constructor(private readonly load: () => Promise<[string, T][]>) {}

  async init(): Promise<void> {
    await this.read();
  }

  /** What is held now (a background re-read starts when the last read is over a minute old). */
  current(): ReadonlyMap<string, T> {
    if (!this.reading && Date.now() - this.readAt > MIRROR_REREAD_MS) {
      this.reading = this.read().catch(() => undefined).finally(() => (this.reading = undefined));
    }
    return this.items;
  }

  /** This process wrote `item` (or removed it, with undefined). */
  put(id: string, item: T | undefined): void {
    if (item === undefined) this.items.delete(id);
    else this.items.set(id, item);
    this.writesDuringRead?.set(id, item);
  }

  private async read(): Promise<void> {
    const startedAt = Date.now();
    // Writes this process makes while the read is under way are applied over what it returns.
    this.writesDuringRead = new Map();
    try {
      const fresh = new Map(await this.load());
      for (const [id, item] of this.writesDuringRead) {
        if (item === undefined) fresh.delete(id);
        else fresh.set(id, item);
      }
      this.items = fresh;
      this.readAt = startedAt;
    } finally {
      this.writesDuringRead = undefined;
    }
  }
}
