import { describe, expect, it } from 'vitest';
import { en } from '../../src/i18n/en.js';
import { zhCN } from '../../src/i18n/zh-CN.js';
import { catalog, localeOf, type Catalog } from '../../src/i18n/index.js';
import { formatDuration } from '../../src/config/duration.js';
import { createRegistry } from '../../commands/index.js';

type Leaf = string | ((p: Record<string, string | number>) => string);

/** Every leaf of a catalog by its dotted path. */
function leaves(node: unknown, path = ''): Map<string, Leaf> {
  const out = new Map<string, Leaf>();
  if (typeof node === 'string' || typeof node === 'function') out.set(path, node as Leaf);
  else if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) for (const [p, l] of leaves(v, path ? `${path}.${k}` : k)) out.set(p, l);
  return out;
}

/** Parameters that read as themselves («id»), so what a sentence uses is visible in what it says. */
const params = new Proxy({}, { get: (_t, key) => (typeof key === 'string' ? `«${key}»` : undefined) }) as Record<string, string>;
const used = (text: string) => new Set([...text.matchAll(/«(\w+)»/g)].map((m) => m[1]));
const HAN = /\p{Script=Han}/u;

// A language that lacks a sentence, or has one English does not, does not compile (checked by `npm test`'s build).
const { done: _dropped, ...replyWithoutDone } = zhCN.reply;
// @ts-expect-error — "reply.done" is missing
const missing: Catalog = { ...zhCN, reply: replyWithoutDone };
// @ts-expect-error — "reply.extra" is not an English key
const extra: Catalog = { ...zhCN, reply: { ...zhCN.reply, extra: 'x' } };
void missing;
void extra;

describe('the zh-CN catalog', () => {
  const english = leaves(en);
  const chinese = leaves(zhCN);

  it('has every sentence English has, and no other', () => {
    expect([...chinese.keys()].sort()).toEqual([...english.keys()].sort());
  });

  it('says everything the English sentence says: each parameter English shows, Chinese shows too', () => {
    for (const [path, enLeaf] of english) {
      const zhLeaf = chinese.get(path)!;
      if (typeof enLeaf === 'string') continue;
      const want = used(enLeaf(params));
      const have = used((zhLeaf as (p: Record<string, string>) => string)(params));
      for (const p of want) expect(have.has(p), `${path} drops ${p}`).toBe(true);
    }
  });

  it('is written in Chinese, apart from names of things that are names everywhere', () => {
    const namesEverywhere = /^(timelineNote\.platform\.(slack|discord|test)|language\.|time\.never|duration\.separator)/;
    for (const [path, leaf] of chinese) {
      if (namesEverywhere.test(path)) continue;
      const text = typeof leaf === 'string' ? leaf : leaf(params);
      // A sentence that is only its parameters and punctuation ("«field»：«problem»") has nothing to translate.
      if (!/\p{L}/u.test(text.replace(/«\w+»/g, ''))) continue;
      expect(text, path).toMatch(HAN);
    }
  });

  it('names durations the Chinese way', () => {
    expect(formatDuration(5_400_000, zhCN.duration)).toBe('1小时30分钟');
    expect(formatDuration(5_400_000, en.duration)).toBe('1h 30m');
  });
});

describe('commands in the desk\'s own words', () => {
  it('takes each command\'s Chinese name as the command', () => {
    const registry = createRegistry();
    expect(registry.parseText('派单 INC-000042')).toEqual({ name: 'dispatch', args: { id: 'INC-000042' } });
    expect(registry.parseText('受理 42')).toEqual({ name: 'accept', args: { id: '42' } });
    expect(registry.parseText('报告 邮件服务器宕机')).toEqual({ name: 'report', args: { title: '邮件服务器宕机' } });
    expect(registry.parseText('搜索 邮件 服务器')).toEqual({ name: 'search', args: { text: '邮件 服务器' } });
    // A title that is not a command word stays a title.
    expect(registry.parseText('邮件服务器宕机')).toBeUndefined();
  });
});

describe('choosing a language', () => {
  it('maps a platform locale tag to a language the bot speaks, or to none', () => {
    expect(localeOf('zh-CN')).toBe('zh-CN');
    expect(localeOf('zh_CN')).toBe('zh-CN');
    expect(localeOf('zh-TW')).toBe('zh-CN');
    expect(localeOf('en-US')).toBe('en');
    expect(localeOf('en-GB')).toBe('en');
    expect(localeOf('fr')).toBeUndefined();
    expect(localeOf(undefined)).toBeUndefined();
    expect(catalog('zh-CN')).toBe(zhCN);
    expect(catalog('en')).toBe(en);
  });
});
