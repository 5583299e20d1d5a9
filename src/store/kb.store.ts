import { Schema, type Connection, type Model } from 'mongoose';
import { formatArticleId, indexArticle, matchScore, type Article, type ArticleIndex, type ArticleStatus, type MatchQuery } from '../domain/knowledge.js';
import { insertOnce } from './insert-once.js';
import { prepareCollections } from './models.js';
import { Mirror } from './mirror.js';
import { retryTransient } from './transient.js';

interface ArticleDoc extends Omit<Article, 'id'> {
  _id: string;
}

interface UseDoc {
  _id: string;
  articleId: string;
  incidentId: string;
  byId: string;
  at: Date;
}

/**
 * The knowledge base: articles in `kb_articles` (numbered KB-000001 from `kb_counters`), held in
 * memory (Mirror: a report is matched against them without a round trip; another replica's edits
 * arrive within a minute), and each use in `kb_uses`, one per article and incident, so a replayed
 * change counts it once.
 */
export class KbStore {
  private readonly articles: Model<ArticleDoc>;
  private readonly uses: Model<UseDoc>;
  private readonly counters: Model<{ _id: string; n: number }>;
  private readonly mirror: Mirror<ArticleIndex>;

  constructor(conn: Connection) {
    const articleSchema = new Schema<ArticleDoc>(
      {
        _id: String, number: Number, title: String, symptoms: String, cause: String, solution: String, cis: [String], services: [String], categories: [String],
        status: String, ownerId: String, fromIncident: String, createdAt: Date, updatedAt: Date,
      },
      { versionKey: false, autoIndex: false, collection: 'kb_articles' },
    );
    const useSchema = new Schema<UseDoc>({ _id: String, articleId: String, incidentId: String, byId: String, at: Date }, { versionKey: false, autoIndex: false, collection: 'kb_uses' });
    useSchema.index({ articleId: 1 });
    this.articles = (conn.models.KbArticle as Model<ArticleDoc> | undefined) ?? conn.model<ArticleDoc>('KbArticle', articleSchema);
    this.uses = (conn.models.KbUse as Model<UseDoc> | undefined) ?? conn.model<UseDoc>('KbUse', useSchema);
    this.mirror = new Mirror(async () => (await retryTransient(() => this.articles.find({}).lean<ArticleDoc[]>().exec())).map((doc) => [doc._id, indexArticle(toArticle(doc))]));
    this.counters = (conn.models.KbCounter as Model<{ _id: string; n: number }> | undefined) ?? conn.model<{ _id: string; n: number }>('KbCounter', new Schema({ _id: String, n: Number }, { versionKey: false, autoIndex: false, collection: 'kb_counters' }));
  }

  async init(): Promise<void> {
    await prepareCollections([this.articles, this.uses, this.counters]);
    await this.mirror.init();
  }

  /** Stores a new article under the next number (a taken number, from a race, takes the one after). */
  async create(fields: Omit<Article, 'id' | 'number' | 'createdAt' | 'updatedAt'>, now: Date): Promise<Article> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const counter = await retryTransient(() => this.counters.findOneAndUpdate({ _id: 'kb' }, { $inc: { n: 1 } }, { upsert: true, returnDocument: 'after' }).lean().exec());
      const number = counter?.n ?? 1;
      const article: Article = { ...fields, id: formatArticleId(number), number, createdAt: now, updatedAt: now };
      if (await insertOnce(this.articles, { ...toDoc(article) })) {
        this.mirror.put(article.id, indexArticle(article));
        return article;
      }
    }
    throw new Error('could not number a new knowledge article');
  }

  async get(id: string): Promise<Article | undefined> {
    return this.mirror.current().get(id)?.article;
  }

  /** Saves an article's new content or status. */
  async save(article: Article, now: Date): Promise<Article> {
    const next = { ...article, updatedAt: now };
    await retryTransient(() => this.articles.replaceOne({ _id: article.id }, toDoc(next)).exec());
    this.mirror.put(next.id, indexArticle(next));
    return next;
  }

  /**
   * Articles that may answer a report or a search, best first: published ones (and drafts when
   * asked) sharing words with it, scored by matchScore.
   */
  async matches(query: MatchQuery, options: { limit: number; statuses?: ArticleStatus[] }): Promise<Article[]> {
    if (query.words.length === 0) return [];
    const statuses = options.statuses ?? ['published'];
    return [...this.mirror.current().values()]
      .filter(({ article }) => statuses.includes(article.status))
      .map((indexed) => ({ article: indexed.article, score: matchScore(indexed.article, query, indexed) }))
      .filter((m) => m.score > 0)
      .sort((a, b) => b.score - a.score || a.article.number - b.article.number)
      .slice(0, options.limit)
      .map((m) => m.article);
  }

  /** Whether any article is published: a report is only cut into words for matching when one is. */
  anyPublished(): boolean {
    for (const { article } of this.mirror.current().values()) if (article.status === 'published') return true;
    return false;
  }

  /** Records that an article was used on an incident; false when that use was recorded already. */
  recordUse(articleId: string, incidentId: string, byId: string, at: Date): Promise<boolean> {
    return insertOnce(this.uses, { _id: `${articleId}:${incidentId}`, articleId, incidentId, byId, at });
  }

  /** How many incidents used the article. */
  useCount(articleId: string): Promise<number> {
    return retryTransient(() => this.uses.countDocuments({ articleId }).exec());
  }
}

function toDoc(article: Article): ArticleDoc {
  const { id, ...rest } = article;
  return { _id: id, ...rest };
}

function toArticle(doc: ArticleDoc): Article {
  const { _id, ...rest } = doc;
  return { id: _id, ...rest, cis: rest.cis ?? [], services: rest.services ?? [], categories: rest.categories ?? [] };
}
