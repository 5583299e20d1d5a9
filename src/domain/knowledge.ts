import { overlap, wordsOf } from './words.js';

export const ARTICLE_STATUSES = ['draft', 'published', 'retired'] as const;
export type ArticleStatus = (typeof ARTICLE_STATUSES)[number];

/** A knowledge article (SPEC §13): a known error or a solution, found on report before anyone is paged. */
export interface Article {
  id: string;
  number: number;
  title: string;
  symptoms: string;
  cause?: string;
  /** The workaround or solution a reporter or first line applies. */
  solution: string;
  cis: string[];
  services: string[];
  categories: string[];
  status: ArticleStatus;
  ownerId: string;
  /** The incident whose solution it was drafted from. */
  fromIncident?: string;
  createdAt: Date;
  updatedAt: Date;
}

/** The fields a person writes (`kb new`, `kb edit`). */
export const ARTICLE_FIELDS = ['title', 'symptoms', 'cause', 'solution', 'ci', 'service', 'category'] as const;

export function formatArticleId(n: number): string {
  return `KB-${String(n).padStart(6, '0')}`;
}

/** "KB-000042", "kb-42", "KB42" → "KB-000042"; undefined when it is not an article id. */
export function parseArticleRef(ref: string | undefined): string | undefined {
  const match = /^kb-?0*(\d{1,9})$/i.exec((ref ?? '').trim());
  return match ? formatArticleId(Number(match[1])) : undefined;
}

/** The words an article is found by: its title counts twice, then symptoms, cause and solution. */
export function articleWords(article: Pick<Article, 'title' | 'symptoms' | 'cause' | 'solution'>): string[] {
  return [...new Set([...wordsOf(article.title), ...wordsOf(article.symptoms), ...wordsOf(article.cause ?? ''), ...wordsOf(article.solution)])];
}

/** An article with its words worked out once (segmenting its text is the costly part of matching). */
export interface ArticleIndex {
  article: Article;
  words: string[];
  titleWords: string[];
}

export function indexArticle(article: Article): ArticleIndex {
  return { article, words: articleWords(article), titleWords: wordsOf(article.title) };
}

export interface MatchQuery {
  words: readonly string[];
  ci?: string;
  category?: string;
  service?: string;
}

/**
 * How well an article answers a report: shared words (title words weigh double), plus the CI,
 * service and category it is linked to. Zero when nothing but the links match: an article is
 * only offered when its text speaks of the same thing.
 */
export function matchScore(article: Article, query: MatchQuery, words: Pick<ArticleIndex, 'words' | 'titleWords'> = indexArticle(article)): number {
  const text = overlap(query.words, words.words) + overlap(query.words, words.titleWords);
  if (text === 0) return 0;
  let score = text;
  if (query.ci && article.cis.includes(query.ci)) score += 3;
  if (query.service && article.services.includes(query.service)) score += 1;
  if (query.category && article.categories.includes(query.category)) score += 1;
  return score;
}
