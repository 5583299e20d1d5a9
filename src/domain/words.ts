/**
 * Words for search and matching. Chinese has no spaces between words, so text is cut into words by
 * the dictionary-based segmenter built into Node (`Intl.Segmenter` with `zh`, which splits Latin
 * text at spaces and punctuation as well): "邮件服务器无法连接" → 邮件 · 服务 · 器 · 无法 · 连接, so
 * it shares 邮件 and 服务器 with "邮件服务器宕机". Words are lower-cased and width-folded (NFKC:
 * "ＶＰＮ" is "vpn"); words that say nothing about the subject are dropped.
 */
const SEGMENTER = new Intl.Segmenter('zh', { granularity: 'word' });

const STOP = new Set([
  'a', 'an', 'and', 'are', 'as', 'at', 'be', 'but', 'by', 'can', 'cannot', 'for', 'from', 'has', 'have', 'in', 'is', 'it', 'its',
  'not', 'of', 'on', 'or', 'the', 'this', 'to', 'was', 'were', 'with', 'my', 'our', 'we', 'i',
  '的', '了', '是', '在', '和', '与', '及', '或', '也', '都', '就', '被', '把', '我', '我们', '你', '他', '她', '它', '这', '那', '有', '没有', '一个',
]);

/** At most this many distinct words are kept per text (a 3,000-character description has a few hundred). */
export const MAX_WORDS = 400;

/** The distinct words of a text, in the order they first appear. */
export function wordsOf(text: string): string[] {
  const out = new Set<string>();
  for (const part of SEGMENTER.segment(text.normalize('NFKC').toLowerCase())) {
    if (!part.isWordLike) continue;
    const word = part.segment.trim();
    if (!word || STOP.has(word)) continue;
    out.add(word);
    if (out.size >= MAX_WORDS) break;
  }
  return [...out];
}

/** How many of the asked words a text's words contain. */
export function overlap(asked: readonly string[], words: readonly string[]): number {
  const have = new Set(words);
  return asked.filter((w) => have.has(w)).length;
}
